using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Http.HttpClientLibrary;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;
using Orderly.Client;
using Orderly.Client.Generated;
using Orderly.Client.Generated.Models;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Http;

/// <summary>
/// The Kiota client in clients/Orderly.Client, generated from docs/openapi.json, against the real gateway: the
/// document is good enough for a generated client to place, retry, read and change an order and to get every
/// failure as a typed problem document. And the committed client is exactly what Kiota makes of the document.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class GeneratedClientTests(GatewayFixture fixture) : IDisposable
{
    private static string ClientDir => Path.Combine(TestDatabase.Layout.Root, "clients", "Orderly.Client", "Generated");

    private readonly List<HttpClient> _clients = [];

    private Uri BaseUrl => new($"http://127.0.0.1:{fixture.Port}");

    /// <summary>The generated client as a caller would build it, over an HttpClient whose last status <paramref name="statuses"/> reads.</summary>
    private OrderlyApiClient ClientFor(string? token, StatusRecorder? statuses = null)
    {
        // Kiota's default handlers (retry, redirect, header inspection…), then the recorder next to the wire.
        var handlers = KiotaClientFactory.CreateDefaultHandlers();
        handlers.Add(statuses ?? new StatusRecorder());
        var http = KiotaClientFactory.Create(handlers);
        _clients.Add(http);
        return OrderlyClient.Create(BaseUrl, token, http);
    }

    private OrderlyApiClient Customer(string id, StatusRecorder? statuses = null) =>
        ClientFor(fixture.Issuer.Mint(id, staff: false), statuses);

    private static PlaceOrderRequest Order(string customer, int quantity = 2) => new()
    {
        CustomerId = customer,
        Items = [new OrderLineDto { Sku = "SKU-1", Quantity = quantity }],
        DeliveryAddress = "1 Main St",
    };

    private static string NewCustomer() => "gc-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task The_committed_client_is_what_Kiota_generates_from_the_committed_document()
    {
        // Regenerate with the same command a person uses and compare every file. Comparing only kiota-lock.json's
        // descriptionHash would miss a hand edit under Generated/, a file left behind, or another Kiota version's output.
        var scratch = Directory.CreateTempSubdirectory("orderly-client-");
        try
        {
            var fresh = Path.Combine(scratch.FullName, "Generated");
            await RunAsync(Path.Combine(TestDatabase.Layout.Root, "orderly"), "generate-client", fresh);

            var committed = Files(ClientDir);
            var generated = Files(fresh);
            var problems = new List<string>();
            problems.AddRange(generated.Keys.Except(committed.Keys).Select(f => $"missing from the commit: {f}"));
            problems.AddRange(committed.Keys.Except(generated.Keys).Select(f => $"not generated any more: {f}"));
            foreach (var file in committed.Keys.Intersect(generated.Keys))
            {
                if (Comparable(file, committed[file]) != Comparable(file, generated[file]))
                    problems.Add($"differs: {file}");
            }
            Assert.True(problems.Count == 0, $"""
                clients/Orderly.Client/Generated is not what Kiota generates from docs/openapi.json:
                  {string.Join("\n  ", problems)}
                Regenerate it, build, and commit the result with the document:
                    ./orderly generate-client
                """);
            Assert.True(committed.ContainsKey("OrderlyApiClient.cs"), "the comparison must have looked at the client itself");
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_generated_client_places_with_an_idempotency_key_retries_reads_and_changes_an_order()
    {
        var customer = NewCustomer();
        var statuses = new StatusRecorder();
        var client = Customer(customer, statuses);
        var key = "checkout-" + Guid.NewGuid().ToString("N");
        // Kiota generates no typed header parameters: headers go through the request configuration.
        void WithKey(RequestConfiguration<DefaultQueryParameters> c) => c.Headers.Add("Idempotency-Key", key);

        var placed = await client.Orders.PostAsync(Order(customer), WithKey);
        Assert.Equal(HttpStatusCode.Created, statuses.Last);
        Assert.NotNull(placed);
        Assert.NotNull(placed.Id);
        var id = placed.Id.Value;
        Assert.Equal(OrderStatus.Placed, placed.Status);
        Assert.Equal(customer, placed.CustomerId);
        Assert.Equal(1, placed.Version);
        Assert.Equal(2, Assert.Single(placed.Items!).Quantity);

        var retried = await client.Orders.PostAsync(Order(customer), WithKey);
        Assert.Equal(HttpStatusCode.OK, statuses.Last);
        Assert.Equal(id, retried!.Id);
        Assert.Equal(1, retried.Version);

        var headers = new HeadersInspectionHandlerOption { InspectResponseHeaders = true };
        var read = await client.Orders[id].GetAsync(c => c.Options.Add(headers));
        Assert.Equal(id, read!.Id);
        Assert.Equal(placed.CreatedAt, read.CreatedAt);
        var etag = Assert.Single(headers.ResponseHeaders["ETag"]);
        Assert.Equal("\"1\"", etag);

        var changed = await client.Orders[id].PatchAsync(
            new UpdateOrderRequest { DeliveryAddress = "2 High St" },
            c => { c.Headers.Add("If-Match", etag); c.Headers.Add("Idempotency-Key", key + "-address"); });
        Assert.Equal("2 High St", changed!.DeliveryAddress);
        Assert.Equal(2, changed.Version);

        var cancelled = await client.Orders[id].Status.PostAsync(
            new ChangeStatusRequest { Status = ChangeStatusRequest_status.Cancelled });
        Assert.Equal(OrderStatus.Cancelled, cancelled!.Status);
        Assert.Equal(3, cancelled.Version);
    }

    [Fact]
    public async Task A_generated_client_gets_failures_as_typed_problem_documents()
    {
        var customer = NewCustomer();
        var client = Customer(customer);
        var order = (await client.Orders.PostAsync(Order(customer)))!;
        var item = client.Orders[order.Id!.Value];

        // Nothing to change: the 400 the document maps to its validation problem type.
        var empty = await Assert.ThrowsAsync<HttpValidationProblemDetails>(() => item.PatchAsync(new UpdateOrderRequest()));
        Assert.Equal(400, empty.ResponseStatusCode);
        Assert.Equal(400, empty.Status);
        Assert.Contains("Nothing to change", empty.Detail, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(empty.TraceId));

        await item.PatchAsync(new UpdateOrderRequest { DeliveryAddress = "2 High St" });
        var stale = await Assert.ThrowsAsync<ProblemDetails>(() => item.PatchAsync(
            new UpdateOrderRequest { DeliveryAddress = "3 Low St" }, c => c.Headers.Add("If-Match", "\"1\"")));
        Assert.Equal(412, stale.ResponseStatusCode);
        Assert.Equal(412, stale.Status);
        Assert.False(string.IsNullOrEmpty(stale.Detail));

        var key = "reuse-" + Guid.NewGuid().ToString("N");
        await client.Orders.PostAsync(Order(customer), c => c.Headers.Add("Idempotency-Key", key));
        var reused = await Assert.ThrowsAsync<ProblemDetails>(() =>
            client.Orders.PostAsync(Order(customer, quantity: 3), c => c.Headers.Add("Idempotency-Key", key)));
        Assert.Equal(422, reused.ResponseStatusCode);
        Assert.Equal("Idempotency-Key reused", reused.Title);
    }

    [Fact]
    public async Task A_generated_client_without_a_token_gets_a_typed_401()
    {
        var anonymous = ClientFor(token: null);

        var refused = await Assert.ThrowsAsync<ProblemDetails>(() => anonymous.Orders.PostAsync(Order(NewCustomer())));

        Assert.Equal(401, refused.ResponseStatusCode);
        Assert.Equal(401, refused.Status);
        var challenge = refused.ResponseHeaders.Single(h => h.Key.Equals("WWW-Authenticate", StringComparison.OrdinalIgnoreCase));
        Assert.StartsWith("Bearer", Assert.Single(challenge.Value), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_generated_client_gets_a_typed_404_for_another_customers_order_and_for_a_missing_one()
    {
        var owner = NewCustomer();
        var id = (await Customer(owner).Orders.PostAsync(Order(owner)))!.Id!.Value;
        var stranger = Customer(NewCustomer());

        var theirs = await Assert.ThrowsAsync<ProblemDetails>(() => stranger.Orders[id].GetAsync());
        var missing = await Assert.ThrowsAsync<ProblemDetails>(() => stranger.Orders[Guid.NewGuid()].GetAsync());

        Assert.Equal(404, theirs.ResponseStatusCode);
        Assert.Equal(404, missing.ResponseStatusCode);
        // Someone else's order answers as a missing one does: ids cannot be probed.
        Assert.Equal(missing.Title, theirs.Title);
        Assert.Equal("Order not found", theirs.Title);
        Assert.Equal($"There is no order {id}.", theirs.Detail);
    }

    public void Dispose()
    {
        foreach (var http in _clients)
            http.Dispose();
    }

    /// <summary>Every file under <paramref name="root"/> by its path relative to it, with its text.</summary>
    private static Dictionary<string, string> Files(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f).Replace('\\', '/'), File.ReadAllText);

    /// <summary>
    /// kiota-lock.json records where the document was relative to the output folder, which differs for a scratch
    /// folder; everything else in it (the document's hash, Kiota's version, the options) must match.
    /// </summary>
    private static string Comparable(string file, string text)
    {
        if (file != "kiota-lock.json")
            return text.ReplaceLineEndings("\n");
        var lockFile = JsonNode.Parse(text)!.AsObject();
        lockFile.Remove("descriptionLocation");
        return lockFile.ToJsonString();
    }

    private static async Task RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} exited {process.ExitCode}:\n{await output}\n{await error}");
    }

    /// <summary>The status of the last response that came off the wire: Kiota returns bodies, not statuses.</summary>
    private sealed class StatusRecorder : DelegatingHandler
    {
        public HttpStatusCode? Last { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            Last = response.StatusCode;
            return response;
        }
    }
}
