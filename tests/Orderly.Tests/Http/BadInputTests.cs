using System.Net;
using System.Text;
using System.Text.Json;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Http;

/// <summary>
/// Every kind of bad input named in DESIGN.md gets a 4xx problem document, never a 5xx, and leaves
/// stored state exactly as it was. "{order}" in a path is an existing order.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class BadInputTests(GatewayFixture fixture) : IAsyncLifetime
{
    private static readonly string Good = OrderApiTests.OrderBody();
    private string _order = "";

    public async Task InitializeAsync()
    {
        var created = await fixture.CreateClient().PostAsync("/orders", OrderApiTests.Json(Good));
        _order = created.Headers.Location!.ToString();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static string Items(int count, int quantity = 1) =>
        "[" + string.Join(",", Enumerable.Range(0, count).Select(i => $$"""{"sku":"S{{i}}","quantity":{{quantity}}}""")) + "]";

    private static string Body(string customer = "\"c-1\"", string? items = null, string address = "\"1 Main St\"", string extra = "") =>
        $$"""{"customerId":{{customer}},"items":{{items ?? Items(1)}},"deliveryAddress":{{address}}{{extra}}}""";

    public static TheoryData<string, string, string, string?, string?, string?> Cases() => new()
    {
        // name, method, path, body, content type (null = JSON), extra header "Name: value"
        { "malformed JSON", "POST", "/orders", "{\"customerId\": ", null, null },
        { "not JSON at all", "POST", "/orders", "hello", null, null },
        { "empty body", "POST", "/orders", "", null, null },
        { "JSON array instead of object", "POST", "/orders", "[]", null, null },
        { "quantity as string", "POST", "/orders", Body(items: """[{"sku":"A","quantity":"2"}]"""), null, null },
        { "items as object", "POST", "/orders", Body(items: """{"sku":"A","quantity":2}"""), null, null },
        { "customerId as number", "POST", "/orders", Body(customer: "42"), null, null },
        { "customerId null", "POST", "/orders", Body(customer: "null"), null, null },
        { "customerId missing", "POST", "/orders", """{"items":[{"sku":"A","quantity":1}],"deliveryAddress":"x"}""", null, null },
        { "customerId empty", "POST", "/orders", Body(customer: "\"\""), null, null },
        { "customerId too long", "POST", "/orders", Body(customer: $"\"{new string('c', 65)}\""), null, null },
        { "unknown field", "POST", "/orders", Body(extra: ",\"price\":1"), null, null },
        { "empty item list", "POST", "/orders", Body(items: "[]"), null, null },
        { "101 items", "POST", "/orders", Body(items: Items(101)), null, null },
        { "items null", "POST", "/orders", Body(items: "null"), null, null },
        { "quantity zero", "POST", "/orders", Body(items: Items(1, 0)), null, null },
        { "negative quantity", "POST", "/orders", Body(items: Items(1, -5)), null, null },
        { "quantity 1001", "POST", "/orders", Body(items: Items(1, 1001)), null, null },
        { "absurd quantity", "POST", "/orders", Body(items: """[{"sku":"A","quantity":99999999999999999999}]"""), null, null },
        { "fractional quantity", "POST", "/orders", Body(items: """[{"sku":"A","quantity":1.5}]"""), null, null },
        { "sku with spaces", "POST", "/orders", Body(items: """[{"sku":"A B","quantity":1}]"""), null, null },
        { "sku too long", "POST", "/orders", Body(items: $$"""[{"sku":"{{new string('S', 65)}}","quantity":1}]"""), null, null },
        { "sku empty", "POST", "/orders", Body(items: """[{"sku":"","quantity":1}]"""), null, null },
        { "address too long", "POST", "/orders", Body(address: $"\"{new string('a', 501)}\""), null, null },
        { "deeply nested", "POST", "/orders", Body(customer: new string('[', 200) + new string(']', 200)), null, null },
        { "oversized body", "POST", "/orders", Body(address: $"\"{new string('a', 70_000)}\""), null, null },
        { "wrong content type", "POST", "/orders", Good, "text/plain", null },
        { "Idempotency-Key too long", "POST", "/orders", Good, null, $"Idempotency-Key: {new string('k', 129)}" },
        { "get with non-UUID id", "GET", "/orders/not-a-uuid", null, null, null },
        { "get with path tricks", "GET", "/orders/..%2F..%2Fetc%2Fpasswd", null, null, null },
        { "patch with non-UUID id", "PATCH", "/orders/123", """{"deliveryAddress":"x"}""", null, null },
        { "patch with nothing to change", "PATCH", "{order}", "{}", null, null },
        { "patch with empty items", "PATCH", "{order}", """{"items":[]}""", null, null },
        { "patch with unknown field", "PATCH", "{order}", """{"status":"shipped"}""", null, null },
        { "patch with bad quantity", "PATCH", "{order}", """{"items":[{"sku":"A","quantity":-1}]}""", null, null },
        { "patch with malformed If-Match", "PATCH", "{order}", """{"deliveryAddress":"x"}""", null, "If-Match: garbage" },
        { "status unknown", "POST", "{order}/status", """{"status":"teleported"}""", null, null },
        { "status as number", "POST", "{order}/status", """{"status":1}""", null, null },
        { "status placed", "POST", "{order}/status", """{"status":"placed"}""", null, null },
        { "status missing", "POST", "{order}/status", "{}", null, null },
        { "status null", "POST", "{order}/status", """{"status":null}""", null, null },
        { "status on non-UUID id", "POST", "/orders/xyz/status", """{"status":"packed"}""", null, null },
        { "list with bad date", "GET", "/orders?date=2026-02-30", null, null, null },
        { "list with date in other format", "GET", "/orders?date=24/11/2026", null, null, null },
        { "list with limit 0", "GET", "/orders?limit=0", null, null, null },
        { "list with limit 1001", "GET", "/orders?limit=1001", null, null, null },
        { "list with non-numeric limit", "GET", "/orders?limit=ten", null, null, null },
        { "list with forged cursor", "GET", "/orders?cursor=AAAA", null, null, null },
        { "list with huge cursor", "GET", "/orders?cursor=" + new string('A', 5000), null, null, null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_input_gets_a_4xx_problem_and_changes_nothing(string name, string method, string path, string? body, string? contentType, string? header)
    {
        var before = await fixture.StoredStateFingerprintAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{order}", _order, StringComparison.Ordinal));
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, contentType ?? "application/json");
        if (header is not null)
        {
            var colon = header.IndexOf(':', StringComparison.Ordinal);
            request.Headers.TryAddWithoutValidation(header[..colon], header[(colon + 1)..].Trim());
        }

        using var response = await fixture.CreateClient().SendAsync(request);

        var status = (int)response.StatusCode;
        Assert.True(status is >= 400 and < 500, $"{name}: got {status}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Equal(before, await fixture.StoredStateFingerprintAsync());
    }

    [Fact]
    public async Task An_oversized_body_is_refused_with_413()
    {
        var response = await fixture.CreateClient().PostAsync("/orders", OrderApiTests.Json(Body(address: $"\"{new string('a', 70_000)}\"")));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }
}
