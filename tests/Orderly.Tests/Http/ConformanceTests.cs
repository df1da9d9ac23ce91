using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Orderly.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Orderly.Tests.Http;

/// <summary>
/// Someone else's validator between a client and the real gateway: Stoplight Prism as a validating
/// proxy on docs/openapi.json. Every route is driven with valid, invalid and unauthorized requests;
/// Prism checks each request and each answer against the document and reports what disagrees in its
/// <c>sl-violations</c> header. The gateway's answers must never disagree; a valid request must not either.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class ConformanceTests(GatewayFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private Process _prism = null!;
    private readonly StringBuilder _prismLog = new();
    private readonly int _port = FreePorts.Next();
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        var prism = Path.Combine(Processes.Layout.State, "tools", "node", "node_modules", ".bin", "prism");
        Assert.True(File.Exists(prism), $"{prism} is missing: ./orderly test installs it (tools/node)");
        var psi = new ProcessStartInfo(prism)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Processes.Layout.Root,
        };
        foreach (var a in new[] { "proxy", "docs/openapi.json", $"http://127.0.0.1:{fixture.Port}", "--host", "127.0.0.1", "--port", $"{_port}" })
            psi.ArgumentList.Add(a);
        _prism = Process.Start(psi)!;
        _prism.OutputDataReceived += (_, e) => { lock (_prismLog) _prismLog.AppendLine(e.Data); };
        _prism.ErrorDataReceived += (_, e) => { lock (_prismLog) _prismLog.AppendLine(e.Data); };
        _prism.BeginOutputReadLine();
        _prism.BeginErrorReadLine();
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}"), Timeout = TimeSpan.FromSeconds(30) };
        await Eventually.Until(async () =>
        {
            try { return (await _http.GetAsync("/orders")).StatusCode; }
            catch (HttpRequestException) { return HttpStatusCode.ServiceUnavailable; }
        }, s => s == HttpStatusCode.Unauthorized || _prism.HasExited, TimeSpan.FromSeconds(90), "Prism proxying to the gateway");
        Assert.False(_prism.HasExited, _prismLog.ToString());
    }

    public Task DisposeAsync()
    {
        _http.Dispose();
        if (!_prism.HasExited)
            _prism.Kill(entireProcessTree: true);
        _prism.Dispose();
        return Task.CompletedTask;
    }

    private sealed record Exchange(string Name, HttpMethod Method, string Path, string? Body, string? Token, bool Valid, params (string Name, string Value)[] Headers);

    private sealed record Violation(string Location, string Message);

    [Fact]
    public async Task Every_route_answers_valid_invalid_and_unauthorized_requests_as_the_document_says()
    {
        var issuer = fixture.Issuer;
        var customer = issuer.Mint("c-prism", staff: false);
        var stranger = issuer.Mint("c-prism-other", staff: false);
        var staff = issuer.Mint("staff-prism", staff: true);
        var key = $"k-{Guid.NewGuid():N}";
        var missing = Guid.CreateVersion7();
        const string Place = """{"customerId":"c-prism","items":[{"sku":"SKU-1","quantity":2}],"deliveryAddress":"1 Main St"}""";

        // An order to work on, placed around the proxy.
        using var direct = fixture.CreateClient();
        var placed = await direct.PostAsync("/orders", OrderApiTests.Json(Place));
        var id = JsonDocument.Parse(await placed.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();

        Exchange[] exchanges =
        [
            new("place", HttpMethod.Post, "/orders", Place, customer, true, ("Idempotency-Key", key)),
            new("place again, same key", HttpMethod.Post, "/orders", Place, customer, true, ("Idempotency-Key", key)),
            new("place, same key, other body", HttpMethod.Post, "/orders", Place.Replace("1 Main", "2 Main", StringComparison.Ordinal), customer, true, ("Idempotency-Key", key)),
            new("place for another customer", HttpMethod.Post, "/orders", Place, stranger, true),
            new("place without a token", HttpMethod.Post, "/orders", Place, null, false),
            new("place, quantity 0", HttpMethod.Post, "/orders", Place.Replace("\"quantity\":2", "\"quantity\":0", StringComparison.Ordinal), customer, false),
            new("place, unknown field", HttpMethod.Post, "/orders", Place.Replace("}", ",\"x\":1}", StringComparison.Ordinal), customer, false),
            new("place, not JSON", HttpMethod.Post, "/orders", "{", customer, false),
            new("read", HttpMethod.Get, $"/orders/{id}", null, customer, true),
            new("read as staff", HttpMethod.Get, $"/orders/{id}", null, staff, true),
            new("read someone else's", HttpMethod.Get, $"/orders/{id}", null, stranger, true),
            new("read a missing order", HttpMethod.Get, $"/orders/{missing}", null, customer, true),
            new("read, not a UUID", HttpMethod.Get, "/orders/not-a-uuid", null, customer, false),
            new("read with a bad token", HttpMethod.Get, $"/orders/{id}", null, "abc.def.ghi", false),
            new("change", HttpMethod.Patch, $"/orders/{id}", """{"deliveryAddress":"2 High St"}""", customer, true, ("If-Match", "\"1\"")),
            new("change at a stale ETag", HttpMethod.Patch, $"/orders/{id}", """{"deliveryAddress":"3 High St"}""", customer, true, ("If-Match", "\"1\"")),
            new("change as staff", HttpMethod.Patch, $"/orders/{id}", """{"deliveryAddress":"4 High St"}""", staff, true),
            new("change, nothing to change", HttpMethod.Patch, $"/orders/{id}", "{}", customer, false),
            new("pack as the customer", HttpMethod.Post, $"/orders/{id}/status", """{"status":"packed"}""", customer, true),
            new("pack", HttpMethod.Post, $"/orders/{id}/status", """{"status":"packed"}""", staff, true),
            new("ship", HttpMethod.Post, $"/orders/{id}/status", """{"status":"shipped"}""", staff, true),
            new("change once shipped", HttpMethod.Patch, $"/orders/{id}", """{"deliveryAddress":"5 High St"}""", customer, true),
            new("back to packed", HttpMethod.Post, $"/orders/{id}/status", """{"status":"packed"}""", staff, true),
            new("status placed", HttpMethod.Post, $"/orders/{id}/status", """{"status":"placed"}""", staff, false),
            new("status without a token", HttpMethod.Post, $"/orders/{id}/status", """{"status":"delivered"}""", null, false),
            new("list as staff", HttpMethod.Get, "/orders?limit=2", null, staff, true),
            new("list as a customer", HttpMethod.Get, "/orders?limit=2", null, customer, true),
            new("list, limit 0", HttpMethod.Get, "/orders?limit=0", null, staff, false),
            new("list, bad date", HttpMethod.Get, "/orders?date=yesterday", null, staff, false),
        ];

        var statuses = new List<string>();
        var wrong = new List<string>();
        foreach (var e in exchanges)
        {
            using var request = new HttpRequestMessage(e.Method, e.Path) { Content = e.Body is null ? null : OrderApiTests.Json(e.Body) };
            if (e.Token is not null)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", e.Token);
            foreach (var (name, value) in e.Headers)
                request.Headers.TryAddWithoutValidation(name, value);
            using var response = await _http.SendAsync(request);
            var violations = Violations(response);
            statuses.Add($"{e.Name}: {(int)response.StatusCode}{(violations.Count == 0 ? "" : $" [{string.Join("; ", violations.Select(v => $"{v.Location}: {v.Message}"))}]")}");
            foreach (var v in violations.Where(v => v.Location.StartsWith("response", StringComparison.Ordinal) || e.Valid))
                wrong.Add($"{e.Name} → {(int)response.StatusCode}: {v.Location}: {v.Message}");
        }
        output.WriteLine(string.Join('\n', statuses));
        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
        // Prism did look: the requests the document forbids were reported as such.
        Assert.Contains(statuses, s => s.StartsWith("place, quantity 0", StringComparison.Ordinal) && s.Contains("request", StringComparison.Ordinal));
    }

    private static List<Violation> Violations(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("sl-violations", out var values))
            return [];
        var found = new List<Violation>();
        foreach (var value in values)
        {
            foreach (var v in JsonDocument.Parse(value).RootElement.EnumerateArray())
            {
                var location = string.Join('.', v.GetProperty("location").EnumerateArray().Select(l => l.ToString()));
                found.Add(new Violation(location, v.TryGetProperty("message", out var m) ? m.GetString() ?? "" : v.ToString()));
            }
        }
        return found;
    }
}
