using System.Net;
using System.Text.Json;
using Orderly.Harness.Identity;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Http;

/// <summary>
/// Who may do what (docs/api.md): tokens from a real issuer (keys, discovery document and JWKS on
/// loopback), validated by the gateway's JwtBearer handler; every request here says who it is itself.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class AuthorizationTests(GatewayFixture fixture)
{
    private readonly HttpClient _http = fixture.CreateAnonymousClient();
    private LocalIssuer Issuer => fixture.Issuer;

    private string Customer(string id) => Issuer.Mint(id, staff: false);
    private string Staff => Issuer.Mint("staff-1", staff: true);

    private async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> Send(
        HttpMethod method, string path, string? token, string? body = null, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : OrderApiTests.Json(body) };
        if (token is not null)
            request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {token}");
        foreach (var (name, value) in headers)
            request.Headers.TryAddWithoutValidation(name, value);
        var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    private async Task<string> PlaceAsync(string customer, string? key = null)
    {
        var headers = key is null ? [] : new[] { ("Idempotency-Key", key) };
        var (status, body, _) = await Send(HttpMethod.Post, "/orders", Customer(customer), OrderApiTests.OrderBody(customer), headers);
        Assert.Equal(HttpStatusCode.Created, status);
        return body.GetProperty("id").GetString()!;
    }

    public static TheoryData<string, string> EveryRoute => new()
    {
        { "POST", "/orders" },
        { "GET", "/orders" },
        { "GET", $"/orders/{Guid.NewGuid()}" },
        { "PATCH", $"/orders/{Guid.NewGuid()}" },
        { "POST", $"/orders/{Guid.NewGuid()}/status" },
    };

    [Theory]
    [MemberData(nameof(EveryRoute))]
    public async Task Without_a_token_every_order_route_answers_401_with_WWW_Authenticate_and_a_problem_document(string method, string path)
    {
        var (status, body, response) = await Send(new HttpMethod(method), path, token: null, body: OrderApiTests.OrderBody());
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(401, body.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Health_and_the_API_document_need_no_token()
    {
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/openapi/v1.json")).StatusCode);
    }

    public static TheoryData<string, string> RefusedTokens()
    {
        var data = new TheoryData<string, string>();
        data.Add("not a JWT", "garbage");
        data.Add("expired", "expired");
        data.Add("another audience", "audience");
        data.Add("payload changed after signing", "tampered");
        data.Add("signed by another issuer's key", "foreign");
        data.Add("unsigned (alg none)", "unsigned");
        return data;
    }

    [Theory]
    [MemberData(nameof(RefusedTokens))]
    public async Task A_token_that_does_not_validate_is_refused_with_invalid_token(string why, string kind)
    {
        var token = kind switch
        {
            "garbage" => "abc.def.ghi",
            "expired" => Issuer.Mint("c-auth", staff: false, lifetime: TimeSpan.FromMinutes(5), issuedAt: DateTime.UtcNow.AddHours(-1)),
            "audience" => Issuer.Mint("c-auth", staff: false, audience: "someone-else"),
            "tampered" => Tamper(Customer("c-auth")),
            "foreign" => await ForeignAsync(),
            _ => Unsigned(Customer("c-auth")),
        };
        var (status, body, response) = await Send(HttpMethod.Get, "/orders", token);
        Assert.True(status == HttpStatusCode.Unauthorized, $"{why}: {status}");
        Assert.Contains("error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.StartsWith("The bearer token was refused", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_customer_places_orders_only_for_itself_and_staff_place_none()
    {
        Assert.Equal(HttpStatusCode.Created, (await Send(HttpMethod.Post, "/orders", Customer("c-self"), OrderApiTests.OrderBody("c-self"))).Status);
        var (other, problem, _) = await Send(HttpMethod.Post, "/orders", Customer("c-self"), OrderApiTests.OrderBody("c-victim"));
        Assert.Equal(HttpStatusCode.Forbidden, other);
        Assert.Equal(403, problem.GetProperty("status").GetInt32());
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(HttpMethod.Post, "/orders", Staff, OrderApiTests.OrderBody("c-self"))).Status);
        Assert.Equal(0, await fixture.CountWhereAsync("orders", "customer_id", "c-victim"));
    }

    [Fact]
    public async Task Someone_elses_order_answers_exactly_as_a_missing_one_and_is_not_changed()
    {
        var id = await PlaceAsync("c-owner");
        var missing = Guid.CreateVersion7().ToString();
        var before = await fixture.StoredStateFingerprintAsync();

        var (own, _, _) = await Send(HttpMethod.Get, $"/orders/{id}", Customer("c-owner"));
        Assert.Equal(HttpStatusCode.OK, own);
        foreach (var (method, suffix, body) in new[]
        {
            (HttpMethod.Get, "", (string?)null),
            (HttpMethod.Patch, "", """{"deliveryAddress":"9 Thief St"}"""),
            (HttpMethod.Post, "/status", """{"status":"cancelled"}"""),
        })
        {
            var theirs = await Send(method, $"/orders/{id}{suffix}", Customer("c-prober"), body);
            var none = await Send(method, $"/orders/{missing}{suffix}", Customer("c-prober"), body);
            Assert.Equal(HttpStatusCode.NotFound, theirs.Status);
            Assert.Equal(none.Status, theirs.Status);
            Assert.Equal(none.Body.GetProperty("title").GetString(), theirs.Body.GetProperty("title").GetString());
            Assert.Equal(none.Body.GetProperty("detail").GetString()!.Replace(missing, "ID", StringComparison.Ordinal),
                theirs.Body.GetProperty("detail").GetString()!.Replace(id, "ID", StringComparison.Ordinal));
            Assert.False(theirs.Response.Headers.Contains("ETag"));
        }
        Assert.Equal(before, await fixture.StoredStateFingerprintAsync());
    }

    [Fact]
    public async Task A_customer_changes_and_cancels_its_own_order_and_staff_advance_it()
    {
        var id = await PlaceAsync("c-journey");
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Patch, $"/orders/{id}", Customer("c-journey"), """{"deliveryAddress":"2 New St"}""")).Status);
        // Staff do not edit what the customer ordered; customers do not pack.
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(HttpMethod.Patch, $"/orders/{id}", Staff, """{"deliveryAddress":"3 Other St"}""")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(HttpMethod.Post, $"/orders/{id}/status", Customer("c-journey"), """{"status":"packed"}""")).Status);
        var (packed, order, _) = await Send(HttpMethod.Post, $"/orders/{id}/status", Staff, """{"status":"packed"}""");
        Assert.Equal(HttpStatusCode.OK, packed);
        Assert.Equal("packed", order.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, $"/orders/{id}", Staff)).Status);

        var other = await PlaceAsync("c-journey");
        var (cancelled, body, _) = await Send(HttpMethod.Post, $"/orders/{other}/status", Customer("c-journey"), """{"status":"cancelled"}""");
        Assert.Equal(HttpStatusCode.OK, cancelled);
        Assert.Equal("cancelled", body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Only_staff_list_a_day()
    {
        await PlaceAsync("c-lister");
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(HttpMethod.Get, "/orders?limit=5", Customer("c-lister"))).Status);
        var (status, page, _) = await Send(HttpMethod.Get, "/orders?limit=5", Staff);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(page.GetProperty("orders").GetArrayLength() > 0);
    }

    [Fact]
    public async Task One_idempotency_key_in_two_customers_hands_places_two_orders()
    {
        var key = $"shared-{Guid.NewGuid():N}";
        var first = await PlaceAsync("c-key-a", key);
        var second = await PlaceAsync("c-key-b", key);
        Assert.NotEqual(first, second);
        // And the same customer's retry is the same order.
        var (again, body, _) = await Send(HttpMethod.Post, "/orders", Customer("c-key-a"), OrderApiTests.OrderBody("c-key-a"), ("Idempotency-Key", key));
        Assert.Equal(HttpStatusCode.OK, again);
        Assert.Equal(first, body.GetProperty("id").GetString());
    }

    /// <summary>Changes the subject inside the payload and keeps the signature.</summary>
    private static string Tamper(string token)
    {
        var parts = token.Split('.');
        var payload = JsonDocument.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(parts[1])).RootElement;
        var changed = JsonSerializer.Serialize(payload.EnumerateObject().ToDictionary(p => p.Name,
            p => p.Name == "sub" ? JsonSerializer.SerializeToElement("c-someone-else") : p.Value.Clone()));
        return $"{parts[0]}.{Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(changed)}.{parts[2]}";
    }

    /// <summary>The same claims with alg "none" and no signature.</summary>
    private static string Unsigned(string token)
    {
        var parts = token.Split('.');
        return $"{Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""")}.{parts[1]}.";
    }

    /// <summary>A well-formed token for this audience from an issuer the gateway does not trust.</summary>
    private static async Task<string> ForeignAsync()
    {
        await using var other = await LocalIssuer.StartAsync();
        return other.Mint("c-auth", staff: true);
    }
}
