using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json;
using Orderly.Harness.Identity;
using Orderly.LoadClient.Load;

namespace Orderly.Tests.Infrastructure;

/// <summary>
/// Gives a test's requests the token a real caller of that request would hold, so tests of other
/// things need not each say who calls: a place goes as the customer in its body, a command or read on
/// an order as the customer who placed it (as a stranger when the order is unknown here), a status
/// other than cancelled and a day's list as staff. A request that already has an Authorization header
/// (the authorization tests' own) goes as it is; health and the document go without one.
/// </summary>
public sealed class OwnerTokens(Func<string?, ValueTask<string>> token) : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
{
    /// <summary>A client for <paramref name="baseAddress"/> whose requests carry these tokens.</summary>
    public HttpClient Client(Uri baseAddress, TimeSpan? timeout = null) =>
        new(this, disposeHandler: true) { BaseAddress = baseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(100) };

    /// <summary>Who placed which order, across every client of the test run.</summary>
    private static readonly ConcurrentDictionary<Guid, string> Owners = new();

    public const string Stranger = "someone-else";

    /// <summary>Tokens from an issuer process's token endpoint (the local cluster's).</summary>
    public static OwnerTokens From(BearerTokens tokens) =>
        new(async customer => customer is null ? await tokens.StaffAsync() : await tokens.CustomerAsync(customer));

    /// <summary>Tokens minted by an issuer in this process.</summary>
    public static OwnerTokens From(LocalIssuer issuer) =>
        new(customer => ValueTask.FromResult(customer is null ? issuer.Mint("staff", staff: true) : issuer.Mint(customer, staff: false)));

    public static void Remember(Guid order, string customer) => Owners[order] = customer;

    /// <summary>Orders the load client placed: each is read and changed as its customer.</summary>
    public static void Remember(IEnumerable<AcknowledgedOrder> orders)
    {
        foreach (var order in orders)
            Remember(order.Id, order.CustomerId);
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.IsAbsoluteUri ? request.RequestUri.AbsolutePath : request.RequestUri.OriginalString.Split('?')[0];
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var isPlace = request.Method == HttpMethod.Post && segments is ["orders"];
        string? customer = null;
        if (request.Headers.Authorization is null && segments is ["orders", ..])
        {
            var (asStaff, who) = await WhoAsync(request, segments, isPlace);
            customer = who;
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await token(asStaff ? null : who));
        }
        var response = await base.SendAsync(request, cancellationToken);
        if (isPlace && customer is not null && response.IsSuccessStatusCode && response.Content is { } content)
        {
            await content.LoadIntoBufferAsync(cancellationToken);
            try
            {
                using var doc = JsonDocument.Parse(await content.ReadAsStringAsync(cancellationToken));
                if (doc.RootElement.TryGetProperty("id", out var id) && id.TryGetGuid(out var guid))
                    Remember(guid, customer);
            }
            catch (JsonException)
            {
            }
        }
        return response;
    }

    private static async Task<(bool Staff, string? Customer)> WhoAsync(HttpRequestMessage request, string[] segments, bool isPlace)
    {
        if (isPlace)
            return (false, await BodyStringAsync(request, "customerId") ?? Stranger);
        if (segments is ["orders"])
            return (true, null);
        var owner = Guid.TryParse(segments[1], out var id) && Owners.TryGetValue(id, out var known) ? known : Stranger;
        if (segments is [_, _, "status"] && await BodyStringAsync(request, "status") != "cancelled")
            return (true, null);
        return (false, owner);
    }

    private static async Task<string?> BodyStringAsync(HttpRequestMessage request, string property)
    {
        if (request.Content is null)
            return null;
        await request.Content.LoadIntoBufferAsync();
        try
        {
            using var doc = JsonDocument.Parse(await request.Content.ReadAsStringAsync());
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(property, out var value)
                && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not JSON, or a string that is not valid Unicode (the hostile-input tests send both).
            return null;
        }
    }
}

/// <summary>One token issuer in this test process, for every in-process gateway (Auth:Authority).</summary>
public static class TestIssuer
{
    private static readonly Lazy<Task<LocalIssuer>> Issuer = new(() => LocalIssuer.StartAsync());

    public static Task<LocalIssuer> GetAsync() => Issuer.Value;
}
