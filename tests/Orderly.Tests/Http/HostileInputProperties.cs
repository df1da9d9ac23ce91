using System.Net;
using System.Text;
using CsCheck;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Http;

/// <summary>One generated request: all the parts an attacker or a broken client controls.</summary>
public sealed record HostileRequest(string Method, string Path, string? ContentType, string? Body, (string Name, string Value)[] Headers)
{
    public override string ToString() => $"{Method} {Path} [{ContentType}] {Body?[..Math.Min(Body.Length, 200)]} {string.Join(", ", Headers.Select(h => $"{h.Name}: {h.Value[..Math.Min(h.Value.Length, 40)]}"))}";
}

/// <summary>
/// Property: whatever arrives — malformed JSON, deep nesting, huge numbers, wrong content types, odd
/// Unicode, header abuse, path tricks — the gateway answers below 500, and nothing it refused changed
/// stored state. 10,000 generated requests against the real gateway on Kestrel.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class HostileInputProperties(GatewayFixture fixture)
{
    private const int Requests = 10_000;

    private static readonly string[] OddText =
    [
        "", " ", "\u0000", "\u200B\u200D", "\uFEFF", "\u202Eevil", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\uD800", "\uDFFF", "é\u0301", "null", "true",
        "1e400", "-0", "9223372036854775808", "NaN", "{}", "[]", "\"", "\\", "'; DROP TABLE orders; --", "../../etc/passwd",
        new string('A', 70_000), new string('[', 5000), "{\"a\":" + new string('[', 300) + new string(']', 300) + "}",
    ];

    private static readonly Gen<string> Text = Gen.OneOf(Gen.OneOfConst(OddText), Gen.String, Gen.String[Gen.Char.AlphaNumeric, 0, 80]);

    private static readonly Gen<string> JsonValue = Gen.OneOf(
        Text.Select(t => System.Text.Json.JsonSerializer.Serialize(t)),
        Gen.Long.Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        Gen.Double.Select(d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture)),
        Gen.OneOfConst("null", "true", "false", "[]", "{}", "1e400", "-1", "0", "1001", "99999999999999999999", "\"packed\"", "\"placed\""));

    private static Gen<string> Body(string existing) => Gen.OneOf(
        Text,
        // Shaped like an order, with any field replaced by anything.
        Gen.Select(JsonValue, JsonValue, JsonValue, JsonValue, Gen.Bool, (customer, sku, qty, address, extra) =>
            $$"""{"customerId":{{customer}},"items":[{"sku":{{sku}},"quantity":{{qty}}}],"deliveryAddress":{{address}}{{(extra ? ",\"x\":1" : "")}}}"""),
        Gen.Select(JsonValue, v => $$"""{"status":{{v}}}"""),
        Gen.Select(JsonValue, JsonValue, (a, b) => $$"""{"items":{{a}},"deliveryAddress":{{b}}}"""),
        Gen.Int[1, 3000].Select(depth => new string('[', depth) + new string(']', depth)),
        Gen.Const($$"""{"customerId":"c","items":[{"sku":"S","quantity":1}],"deliveryAddress":"x","id":"{{existing}}"}"""));

    private static Gen<HostileRequest> Requests_(string existing) =>
        from method in Gen.OneOfConst("GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS", "HEAD")
        from path in Gen.OneOf(
            Gen.OneOfConst("/orders", "/orders/", $"/orders/{existing}", $"/orders/{existing}/status", "/orders//status",
                "/orders/%00", "/orders/..%2F..%2F", $"/ORDERS/{existing}", "/orders/" + new string('a', 4000), "/orders?limit=-1",
                "/orders?limit=99999999999", "/orders?date=0000-00-00", "/orders?date=9999-12-31&limit=1000", "/orders?cursor=%FF%FE",
                $"/orders/{existing}/status/../../", "/health/ready/..", "/openapi/v1.json/../x"),
            Text.Select(t => "/orders/" + Uri.EscapeDataString(t[..Math.Min(t.Length, 300)])),
            Text.Select(t => "/orders?date=" + Uri.EscapeDataString(t[..Math.Min(t.Length, 300)]) + "&cursor=" + Uri.EscapeDataString(t[..Math.Min(t.Length, 100)])))
        from contentType in Gen.OneOfConst<string?>("application/json", "application/json; charset=utf-8", "text/plain", "application/xml",
            "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "application/json; charset=utf-16", null)
        from body in Body(existing).Null(0.2)
        from idem in Text.Select(t => new string(t.Where(c => c is >= ' ' and < '\u007f').ToArray())).Null(0.6)
        from ifMatch in Gen.OneOfConst<string?>(null, "*", "\"1\"", "W/\"1\"", "\"-5\"", "\"99999999999\"", "garbage", new string('"', 100))
        from bigHeader in Gen.Bool
        select new HostileRequest(method, path, contentType, body,
        [
            .. idem is null ? Array.Empty<(string, string)>() : [("Idempotency-Key", idem)],
            .. ifMatch is null ? Array.Empty<(string, string)>() : [("If-Match", ifMatch)],
            .. bigHeader ? [("X-Padding", new string('p', 40_000))] : Array.Empty<(string, string)>(),
        ]);

    [Fact]
    public async Task Ten_thousand_hostile_requests_get_no_5xx_and_rejected_ones_change_nothing()
    {
        using var http = fixture.CreateClient();
        var created = await http.PostAsync("/orders", OrderApiTests.Json(OrderApiTests.OrderBody("c-hostile")));
        var existing = created.Headers.Location!.ToString()["/orders/".Length..];
        var ordersBefore = await fixture.CountAsync("orders");
        var versionBefore = await Version(existing);
        long accepted201 = 0, total = 0, maxVersionSeen = versionBefore;

        await Requests_(existing).SampleAsync(async request =>
        {
            using var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Path);
            if (request.Body is not null)
            {
                message.Content = new StringContent(request.Body, Encoding.UTF8);
                message.Content.Headers.Remove("Content-Type");
                if (request.ContentType is not null)
                    message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
            }
            foreach (var (name, value) in request.Headers)
                message.Headers.TryAddWithoutValidation(name, value);
            // One connection per request: Kestrel closes a connection after some refusals, and a
            // pooled connection closed that way must not be blamed on the next request.
            message.Headers.ConnectionClose = true;
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(message);
            }
            catch (HttpRequestException) when (request.Headers.Any(h => h.Name == "X-Padding") || request.Body?.Length > 64 * 1024)
            {
                // Over a limit, Kestrel answers (431/413) and closes while the client is still sending:
                // the client sees a broken connection instead. Refused either way; nothing stored.
                Interlocked.Increment(ref total);
                return true;
            }
            catch (HttpRequestException e)
            {
                throw new InvalidOperationException($"the connection failed: {e.HttpRequestError} {e.InnerException?.GetType().Name}: {e.InnerException?.Message}", e);
            }
            using var _ = response;
            Interlocked.Increment(ref total);
            var status = (int)response.StatusCode;
            if (status == 201)
                Interlocked.Increment(ref accepted201);
            if (status == 200 && request.Method is "PATCH" or "POST" && request.Path.StartsWith($"/orders/{existing}", StringComparison.Ordinal))
            {
                using var doc = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                var version = doc.RootElement.GetProperty("version").GetInt64();
                long seen;
                while ((seen = Interlocked.Read(ref maxVersionSeen)) < version && Interlocked.CompareExchange(ref maxVersionSeen, version, seen) != seen) { }
            }
            return status < 500;
        }, iter: Requests, threads: 4);

        Assert.Equal(Requests, total);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
        // Nothing but accepted requests changed anything: every new row is a 201, and the order is at the
        // last version an accepted change reported.
        Assert.Equal(ordersBefore + accepted201, await fixture.CountAsync("orders"));
        Assert.Equal(maxVersionSeen, await Version(existing));
    }

    private async Task<long> Version(string id)
    {
        await using var command = fixture.Db.CreateCommand("SELECT version FROM orders WHERE id = @id::uuid");
        command.Parameters.AddWithValue("id", id);
        return (int)(await command.ExecuteScalarAsync())!;
    }
}
