using System.Net;
using System.Text;
using System.Text.Json;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Http;

/// <summary>
/// Every kind of bad input named in docs/api.md gets a 4xx problem document, never a 5xx, and leaves
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

    public static TheoryData<string, string, string, string?, string?, string?, int> Cases() => new()
    {
        // name, method, path, body, content type (null = JSON), extra header "Name: value", the exact status
        { "malformed JSON", "POST", "/orders", "{\"customerId\": ", null, null, 400 },
        { "not JSON at all", "POST", "/orders", "hello", null, null, 400 },
        { "empty body", "POST", "/orders", "", null, null, 400 },
        { "JSON array instead of object", "POST", "/orders", "[]", null, null, 400 },
        { "quantity as string", "POST", "/orders", Body(items: """[{"sku":"A","quantity":"2"}]"""), null, null, 400 },
        { "items as object", "POST", "/orders", Body(items: """{"sku":"A","quantity":2}"""), null, null, 400 },
        { "customerId as number", "POST", "/orders", Body(customer: "42"), null, null, 400 },
        { "customerId null", "POST", "/orders", Body(customer: "null"), null, null, 400 },
        { "customerId missing", "POST", "/orders", """{"items":[{"sku":"A","quantity":1}],"deliveryAddress":"x"}""", null, null, 400 },
        { "customerId empty", "POST", "/orders", Body(customer: "\"\""), null, null, 400 },
        { "customerId too long", "POST", "/orders", Body(customer: $"\"{new string('c', 65)}\""), null, null, 400 },
        { "unknown field", "POST", "/orders", Body(extra: ",\"price\":1"), null, null, 400 },
        { "empty item list", "POST", "/orders", Body(items: "[]"), null, null, 400 },
        { "101 items", "POST", "/orders", Body(items: Items(101)), null, null, 400 },
        { "items null", "POST", "/orders", Body(items: "null"), null, null, 400 },
        { "quantity zero", "POST", "/orders", Body(items: Items(1, 0)), null, null, 400 },
        { "negative quantity", "POST", "/orders", Body(items: Items(1, -5)), null, null, 400 },
        { "quantity 1001", "POST", "/orders", Body(items: Items(1, 1001)), null, null, 400 },
        { "absurd quantity", "POST", "/orders", Body(items: """[{"sku":"A","quantity":99999999999999999999}]"""), null, null, 400 },
        { "fractional quantity", "POST", "/orders", Body(items: """[{"sku":"A","quantity":1.5}]"""), null, null, 400 },
        { "sku with spaces", "POST", "/orders", Body(items: """[{"sku":"A B","quantity":1}]"""), null, null, 400 },
        { "sku too long", "POST", "/orders", Body(items: $$"""[{"sku":"{{new string('S', 65)}}","quantity":1}]"""), null, null, 400 },
        { "sku empty", "POST", "/orders", Body(items: """[{"sku":"","quantity":1}]"""), null, null, 400 },
        { "address too long", "POST", "/orders", Body(address: $"\"{new string('a', 501)}\""), null, null, 400 },
        { "deeply nested", "POST", "/orders", Body(customer: new string('[', 200) + new string(']', 200)), null, null, 400 },
        { "oversized body", "POST", "/orders", Body(address: $"\"{new string('a', 70_000)}\""), null, null, 413 },
        { "wrong content type", "POST", "/orders", Good, "text/plain", null, 415 },
        { "Idempotency-Key too long", "POST", "/orders", Good, null, $"Idempotency-Key: {new string('k', 129)}", 400 },
        { "get with non-UUID id", "GET", "/orders/not-a-uuid", null, null, null, 400 },
        { "get with path tricks", "GET", "/orders/..%2F..%2Fetc%2Fpasswd", null, null, null, 400 },
        { "patch with non-UUID id", "PATCH", "/orders/123", """{"deliveryAddress":"x"}""", null, null, 400 },
        { "patch with nothing to change", "PATCH", "{order}", "{}", null, null, 400 },
        { "patch with empty items", "PATCH", "{order}", """{"items":[]}""", null, null, 400 },
        { "patch with unknown field", "PATCH", "{order}", """{"status":"shipped"}""", null, null, 400 },
        { "patch with bad quantity", "PATCH", "{order}", """{"items":[{"sku":"A","quantity":-1}]}""", null, null, 400 },
        { "patch with malformed If-Match", "PATCH", "{order}", """{"deliveryAddress":"x"}""", null, "If-Match: garbage", 412 },
        { "status unknown", "POST", "{order}/status", """{"status":"teleported"}""", null, null, 400 },
        { "status as number", "POST", "{order}/status", """{"status":1}""", null, null, 400 },
        { "status placed", "POST", "{order}/status", """{"status":"placed"}""", null, null, 400 },
        { "status missing", "POST", "{order}/status", "{}", null, null, 400 },
        { "status null", "POST", "{order}/status", """{"status":null}""", null, null, 400 },
        { "status on non-UUID id", "POST", "/orders/xyz/status", """{"status":"packed"}""", null, null, 400 },
        { "list with bad date", "GET", "/orders?date=2026-02-30", null, null, null, 400 },
        { "list with date in other format", "GET", "/orders?date=24/11/2026", null, null, null, 400 },
        { "list with limit 0", "GET", "/orders?limit=0", null, null, null, 400 },
        { "list with limit 1001", "GET", "/orders?limit=1001", null, null, null, 400 },
        { "list with non-numeric limit", "GET", "/orders?limit=ten", null, null, null, 400 },
        { "list with forged cursor", "GET", "/orders?cursor=AAAA", null, null, null, 400 },
        { "list with huge cursor", "GET", "/orders?cursor=" + new string('A', 5000), null, null, null, 400 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_input_gets_its_4xx_problem_and_changes_nothing(string name, string method, string path, string? body, string? contentType, string? header, int expected)
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
        Assert.True(status == expected, $"{name}: expected {expected}, got {status}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Equal(before, await fixture.StoredStateFingerprintAsync());
    }

    /// <summary>
    /// Text no order field may hold (control characters, unpaired surrogates) and repeated JSON names,
    /// in every string field and at every level: 400, and the answer names the field.
    /// </summary>
    public static TheoryData<string, string, string, string?, string?, string> HostileText() => new()
    {
        // name, method, path, body, extra header "Name: value", the field the answer must name
        { "NUL in customerId", "POST", "/orders", Body(customer: "\"c\\u0000\""), null, "customerId" },
        { "U+0001 in customerId", "POST", "/orders", Body(customer: "\"\\u0001c\""), null, "customerId" },
        { "U+001F in customerId", "POST", "/orders", Body(customer: "\"c\\u001f\""), null, "customerId" },
        { "DEL in customerId", "POST", "/orders", Body(customer: "\"c\\u007f\""), null, "customerId" },
        { "C1 NEL in customerId", "POST", "/orders", Body(customer: "\"c\\u0085\""), null, "customerId" },
        { "C1 U+009F in customerId", "POST", "/orders", Body(customer: "\"c\\u009f\""), null, "customerId" },
        { "raw control byte in customerId", "POST", "/orders", Body(customer: "\"c\u0001\""), null, "customerId" },
        { "NUL in deliveryAddress", "POST", "/orders", Body(address: "\"1 Main St\\u0000\""), null, "deliveryAddress" },
        { "line feed in deliveryAddress", "POST", "/orders", Body(address: "\"1 Main St\\nApt 2\""), null, "deliveryAddress" },
        { "tab in deliveryAddress", "POST", "/orders", Body(address: "\"1\\tMain St\""), null, "deliveryAddress" },
        { "escape sequence in deliveryAddress", "POST", "/orders", Body(address: "\"\\u001b[31m1 Main St\""), null, "deliveryAddress" },
        { "NUL in sku", "POST", "/orders", Body(items: """[{"sku":"A\u0000","quantity":1}]"""), null, "sku" },
        { "NUL in the second sku", "POST", "/orders", Body(items: """[{"sku":"A","quantity":1},{"sku":"\u0000","quantity":1}]"""), null, "sku" },
        { "unpaired high surrogate in customerId", "POST", "/orders", Body(customer: "\"c\\uD800\""), null, "customerId" },
        { "unpaired low surrogate in deliveryAddress", "POST", "/orders", Body(address: "\"\\uDC00 Main St\""), null, "deliveryAddress" },
        { "reversed surrogate pair in deliveryAddress", "POST", "/orders", Body(address: "\"\\uDC00\\uD800\""), null, "deliveryAddress" },
        { "high surrogate ending a sku", "POST", "/orders", Body(items: """[{"sku":"A\uD83D","quantity":1}]"""), null, "sku" },
        { "NUL in status", "POST", "{order}/status", """{"status":"packed\u0000"}""", null, "status" },
        { "NUL in patched deliveryAddress", "PATCH", "{order}", """{"deliveryAddress":"x\u0000"}""", null, "deliveryAddress" },
        { "unpaired surrogate in patched deliveryAddress", "PATCH", "{order}", """{"deliveryAddress":"x\uD800"}""", null, "deliveryAddress" },
        { "control character in patched sku", "PATCH", "{order}", """{"items":[{"sku":"A\u0007","quantity":1}]}""", null, "sku" },
        { "customerId twice", "POST", "/orders", Body(extra: ",\"customerId\":\"c-2\""), null, "customerId" },
        { "customerId twice, differing in case", "POST", "/orders", Body(extra: ",\"CustomerId\":\"c-2\""), null, "CustomerId" },
        { "customerId twice, once escaped", "POST", "/orders", Body(extra: ",\"customerI\\u0064\":\"c-2\""), null, "customerId" },
        { "items twice", "POST", "/orders", Body(extra: ",\"items\":[]"), null, "items" },
        { "deliveryAddress twice", "POST", "/orders", Body(extra: ",\"deliveryAddress\":\"2 Elm St\""), null, "deliveryAddress" },
        { "quantity twice in an item", "POST", "/orders", Body(items: """[{"sku":"A","quantity":1,"quantity":1000}]"""), null, "quantity" },
        { "sku twice in an item", "POST", "/orders", Body(items: """[{"sku":"A","sku":"B","quantity":1}]"""), null, "sku" },
        { "status twice", "POST", "{order}/status", """{"status":"packed","status":"cancelled"}""", null, "status" },
        { "patched deliveryAddress twice", "PATCH", "{order}", """{"deliveryAddress":"a","deliveryAddress":"b"}""", null, "deliveryAddress" },
        { "patched quantity twice in an item", "PATCH", "{order}", """{"items":[{"sku":"A","quantity":1,"quantity":2}]}""", null, "quantity" },
        { "control character in Idempotency-Key", "POST", "/orders", Good, "Idempotency-Key: k\u0001", "Idempotency-Key" },
        { "control character in Idempotency-Key of a patch", "PATCH", "{order}", """{"deliveryAddress":"x"}""", "Idempotency-Key: k\u007f", "Idempotency-Key" },
        { "control character before an order id", "GET", "/orders/%01{id}", null, null, "order id" },
        { "tab after an order id in a patch", "PATCH", "{order}%09", """{"deliveryAddress":"x"}""", null, "order id" },
        { "NUL in a date", "GET", "/orders?date=2026-01-01%00", null, null, "date" },
        { "control character in a cursor", "GET", "/orders?cursor=AAAA%01", null, null, "cursor" },
        { "NUL in a limit", "GET", "/orders?limit=1%00", null, null, "limit" },
    };

    [Theory]
    [MemberData(nameof(HostileText))]
    public async Task Hostile_text_and_repeated_names_get_400_naming_the_field_and_change_nothing(
        string name, string method, string path, string? body, string? header, string field)
    {
        var before = await fixture.StoredStateFingerprintAsync();
        var id = _order["/orders/".Length..];
        using var request = new HttpRequestMessage(new HttpMethod(method),
            path.Replace("{order}", _order, StringComparison.Ordinal).Replace("{id}", id, StringComparison.Ordinal));
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        if (header is not null)
        {
            var colon = header.IndexOf(':', StringComparison.Ordinal);
            Assert.True(request.Headers.TryAddWithoutValidation(header[..colon], header[(colon + 1)..].Trim()), name);
        }

        using var response = await fixture.CreateClient().SendAsync(request);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(field, text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, await fixture.StoredStateFingerprintAsync());
    }

    /// <summary>Bodies that are not UTF-8: invalid bytes and overlong encodings (the classic way to smuggle a NUL or a '/').</summary>
    public static TheoryData<string, byte[]> NotUtf8() => new()
    {
        { "overlong NUL (C0 80) in customerId", Bytes("{\"customerId\":\"c", [0xC0, 0x80], "\",\"items\":[{\"sku\":\"A\",\"quantity\":1}],\"deliveryAddress\":\"x\"}") },
        { "overlong '/' (C0 AF) in deliveryAddress", Bytes("{\"customerId\":\"c\",\"items\":[{\"sku\":\"A\",\"quantity\":1}],\"deliveryAddress\":\"..", [0xC0, 0xAF], "etc\"}") },
        { "three-byte overlong NUL (E0 80 80) in sku", Bytes("{\"customerId\":\"c\",\"items\":[{\"sku\":\"A", [0xE0, 0x80, 0x80], "\",\"quantity\":1}],\"deliveryAddress\":\"x\"}") },
        { "four-byte overlong (F0 80 80 80) in customerId", Bytes("{\"customerId\":\"", [0xF0, 0x80, 0x80, 0x80], "\",\"items\":[{\"sku\":\"A\",\"quantity\":1}],\"deliveryAddress\":\"x\"}") },
        { "UTF-8-encoded surrogate (ED A0 80) in deliveryAddress", Bytes("{\"customerId\":\"c\",\"items\":[{\"sku\":\"A\",\"quantity\":1}],\"deliveryAddress\":\"", [0xED, 0xA0, 0x80], "\"}") },
        { "lone continuation byte in customerId", Bytes("{\"customerId\":\"c", [0x80], "\",\"items\":[{\"sku\":\"A\",\"quantity\":1}],\"deliveryAddress\":\"x\"}") },
        { "0xFF in deliveryAddress", Bytes("{\"customerId\":\"c\",\"items\":[{\"sku\":\"A\",\"quantity\":1}],\"deliveryAddress\":\"x", [0xFF], "\"}") },
        { "truncated sequence before the closing quote", Bytes("{\"customerId\":\"c", [0xE2, 0x82], "\",\"items\":[{\"sku\":\"A\",\"quantity\":1}],\"deliveryAddress\":\"x\"}") },
        { "code point above U+10FFFF", Bytes("{\"customerId\":\"c", [0xF4, 0x90, 0x80, 0x80], "\",\"items\":[{\"sku\":\"A\",\"quantity\":1}],\"deliveryAddress\":\"x\"}") },
        { "overlong bytes in a property name", Bytes("{\"customerId\":\"c\",\"items\":[{\"sku\":\"A\",\"quantity\":1}],\"deliveryAddress\":\"x\",\"x", [0xC0, 0x80], "\":1}") },
        { "invalid bytes between tokens", Bytes("{\"customerId\":\"c\",", [0xC0, 0x80], "\"items\":[{\"sku\":\"A\",\"quantity\":1}],\"deliveryAddress\":\"x\"}") },
        { "overlong bytes in a status", Bytes("{\"status\":\"packed", [0xC0, 0x80], "\"}") },
    };

    private static byte[] Bytes(string before, byte[] middle, string after) =>
        [.. Encoding.ASCII.GetBytes(before), .. middle, .. Encoding.ASCII.GetBytes(after)];

    [Theory]
    [MemberData(nameof(NotUtf8))]
    public async Task A_body_that_is_not_UTF8_gets_400_and_changes_nothing(string name, byte[] body)
    {
        var before = await fixture.StoredStateFingerprintAsync();
        var path = name.Contains("status", StringComparison.Ordinal) ? $"{_order}/status" : "/orders";
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };

        using var response = await fixture.CreateClient().PostAsync(path, content);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await fixture.StoredStateFingerprintAsync());
    }

    [Fact]
    public async Task A_NUL_in_the_path_is_refused_by_Kestrel_before_any_handler_runs()
    {
        var before = await fixture.StoredStateFingerprintAsync();
        // Kestrel refuses a request target that decodes to a NUL itself: 400 with an empty body,
        // before routing, so no problem document (and no handler, grain or database involved).
        using var response = await fixture.CreateClient().GetAsync("/orders/%00");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(before, await fixture.StoredStateFingerprintAsync());
    }

    [Fact]
    public async Task An_oversized_body_is_refused_with_413()
    {
        var response = await fixture.CreateClient().PostAsync("/orders", OrderApiTests.Json(Body(address: $"\"{new string('a', 70_000)}\"")));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }
}
