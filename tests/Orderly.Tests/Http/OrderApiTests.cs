using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Http;

[Collection(GatewayCollection.Name)]
public sealed class OrderApiTests(GatewayFixture fixture)
{
    private readonly HttpClient _http = fixture.CreateClient();

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static string OrderBody(string customer = "c-42", int quantity = 2, string address = "1 Main St") =>
        $$"""{"customerId":"{{customer}}","items":[{"sku":"SKU-1","quantity":{{quantity}}}],"deliveryAddress":"{{address}}"}""";

    private async Task<(HttpResponseMessage Response, JsonElement Body)> Send(HttpMethod method, string path, string? body = null, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : Json(body) };
        foreach (var (name, value) in headers)
            request.Headers.TryAddWithoutValidation(name, value);
        var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task Placing_an_order_returns_201_with_location_and_etag_and_the_order_reads_back_the_same()
    {
        var (created, order) = await Send(HttpMethod.Post, "/orders", OrderBody());

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("\"1\"", created.Headers.ETag!.ToString());
        Assert.Equal("placed", order.GetProperty("status").GetString());
        Assert.Equal(1, order.GetProperty("version").GetInt32());
        var location = created.Headers.Location!.ToString();
        Assert.Equal($"/orders/{order.GetProperty("id").GetString()}", location);

        var (read, again) = await Send(HttpMethod.Get, location);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(created.Headers.ETag, read.Headers.ETag);
        Assert.Equal(order.GetRawText(), again.GetRawText());
    }

    [Fact]
    public async Task Placing_the_same_order_twice_with_an_idempotency_key_returns_the_first_one()
    {
        var key = ("Idempotency-Key", Guid.NewGuid().ToString());
        var (first, a) = await Send(HttpMethod.Post, "/orders", OrderBody(), key);
        var (second, b) = await Send(HttpMethod.Post, "/orders", OrderBody(), key);
        var (conflict, problem) = await Send(HttpMethod.Post, "/orders", OrderBody(quantity: 3), key);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(a.GetRawText(), b.GetRawText());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, conflict.StatusCode);
        Assert.Equal("application/problem+json", conflict.Content.Headers.ContentType!.MediaType);
        Assert.Equal(422, problem.GetProperty("status").GetInt32());
        Assert.Equal(1, await fixture.CountWhereAsync("orders", "idempotency_key", key.Item2));
    }

    [Fact]
    public async Task Updating_with_a_current_etag_succeeds_and_with_a_stale_one_is_412()
    {
        var (created, order) = await Send(HttpMethod.Post, "/orders", OrderBody());
        var path = created.Headers.Location!.ToString();

        var (ok, updated) = await Send(HttpMethod.Patch, path, """{"deliveryAddress":"2 High St"}""", ("If-Match", "\"1\""));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("\"2\"", ok.Headers.ETag!.ToString());
        Assert.Equal("2 High St", updated.GetProperty("deliveryAddress").GetString());
        Assert.Equal(order.GetProperty("items").GetRawText(), updated.GetProperty("items").GetRawText());

        var (stale, _) = await Send(HttpMethod.Patch, path, """{"deliveryAddress":"3 Low St"}""", ("If-Match", "\"1\""));
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);

        var (items, withItems) = await Send(HttpMethod.Patch, path, """{"items":[{"sku":"SKU-9","quantity":4}]}""");
        Assert.Equal(HttpStatusCode.OK, items.StatusCode);
        Assert.Equal(4, withItems.GetProperty("items")[0].GetProperty("quantity").GetInt32());
    }

    [Fact]
    public async Task Status_advances_through_legal_transitions_and_illegal_ones_are_409()
    {
        var (created, _) = await Send(HttpMethod.Post, "/orders", OrderBody());
        var status = created.Headers.Location + "/status";

        var (skip, _) = await Send(HttpMethod.Post, status, """{"status":"delivered"}""");
        Assert.Equal(HttpStatusCode.Conflict, skip.StatusCode);
        foreach (var next in new[] { "packed", "shipped", "delivered" })
        {
            var (response, order) = await Send(HttpMethod.Post, status, $$"""{"status":"{{next}}"}""");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(next, order.GetProperty("status").GetString());
        }
        var (cancel, _) = await Send(HttpMethod.Post, status, """{"status":"cancelled"}""");
        Assert.Equal(HttpStatusCode.Conflict, cancel.StatusCode);
        var (edit, _) = await Send(HttpMethod.Patch, created.Headers.Location!.ToString(), """{"deliveryAddress":"late"}""");
        Assert.Equal(HttpStatusCode.Conflict, edit.StatusCode);
    }

    [Fact]
    public async Task A_repeated_status_change_with_the_same_idempotency_key_is_applied_once()
    {
        var (created, _) = await Send(HttpMethod.Post, "/orders", OrderBody());
        var status = created.Headers.Location + "/status";
        var key = ("Idempotency-Key", "pack-" + Guid.NewGuid());
        var (first, a) = await Send(HttpMethod.Post, status, """{"status":"packed"}""", key);
        var (second, b) = await Send(HttpMethod.Post, status, """{"status":"packed"}""", key);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(2, b.GetProperty("version").GetInt32());
        Assert.Equal(a.GetRawText(), b.GetRawText());
    }

    [Fact]
    public async Task Unknown_orders_are_404_problems()
    {
        var (response, problem) = await Send(HttpMethod.Get, $"/orders/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task The_day_listing_returns_todays_orders_in_pages_with_a_cursor()
    {
        var mine = new List<string>();
        for (var i = 0; i < 3; i++)
            mine.Add((await Send(HttpMethod.Post, "/orders", OrderBody("c-day"))).Body.GetProperty("id").GetString()!);
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var (response, page) = await Send(HttpMethod.Get, $"/orders?date={today}&limit=2" + (cursor is null ? "" : $"&cursor={cursor}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(page.GetProperty("orders").GetArrayLength() <= 2);
            seen.AddRange(page.GetProperty("orders").EnumerateArray().Select(o => o.GetProperty("id").GetString()!));
            cursor = page.GetProperty("next").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next").GetString();
        }
        while (cursor is not null);

        Assert.Equal(mine, seen.Where(mine.Contains));
        var (other, empty) = await Send(HttpMethod.Get, "/orders?date=2001-01-01");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal(0, empty.GetProperty("orders").GetArrayLength());
    }

    [Fact]
    public async Task Health_endpoints_answer_and_are_not_cached()
    {
        foreach (var path in new[] { "/health/live", "/health/ready" })
        {
            var response = await _http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("no-store", response.Headers.CacheControl!.ToString());
        }
    }

    /// <summary>Each operation: its id, the answers it can give, and the headers in and out (docs/api.md).</summary>
    public static TheoryData<string, string, string, string, string> DocumentedOperations => new()
    {
        // path, method, operationId, "status[:header+header]" answers, request headers
        { "/orders", "post", "PlaceOrder", "201:Location+ETag 200:ETag 400 401 403 413 415 422 500 503:Retry-After", "Idempotency-Key" },
        { "/orders", "get", "ListOrdersByDay", "200 400 401 403 500 503:Retry-After", "" },
        { "/orders/{id}", "get", "GetOrder", "200:ETag 400 401 404 500 503:Retry-After", "" },
        { "/orders/{id}", "patch", "UpdateOrder", "200:ETag 400 401 403 404 409:ETag 412:ETag 413 415 500 503:Retry-After", "If-Match Idempotency-Key" },
        { "/orders/{id}/status", "post", "ChangeOrderStatus", "200:ETag 400 401 403 404 409:ETag 412:ETag 413 415 500 503:Retry-After", "If-Match Idempotency-Key" },
    };

    [Theory]
    [MemberData(nameof(DocumentedOperations))]
    public async Task The_OpenAPI_document_describes_every_order_route(string path, string method, string operationId, string answers, string requestHeaders)
    {
        var doc = await _http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var operation = doc.GetProperty("paths").GetProperty(path).GetProperty(method);

        Assert.Equal(operationId, operation.GetProperty("operationId").GetString());
        Assert.Equal(["Orders"], operation.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.False(string.IsNullOrWhiteSpace(operation.GetProperty("summary").GetString()));
        Assert.Contains("Who may call", operation.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, operation.GetProperty("security").EnumerateArray().Single().GetProperty("bearer").GetArrayLength());

        var expected = answers.Split(' ').Select(a => a.Split(':')).ToDictionary(a => a[0], a => a.Length > 1 ? a[1].Split('+') : []);
        var responses = operation.GetProperty("responses");
        Assert.Equal(expected.Keys.Order(), responses.EnumerateObject().Select(r => r.Name).Order());
        foreach (var (status, headers) in expected)
        {
            var response = responses.GetProperty(status);
            var content = response.GetProperty("content").EnumerateObject().Single();
            Assert.Equal(status[0] == '2' ? "application/json" : "application/problem+json", content.Name);
            if (status[0] == '2')
                Assert.True(content.Value.TryGetProperty("example", out _), $"{operationId} {status} has no example");
            var documentedHeaders = response.TryGetProperty("headers", out var h) ? h.EnumerateObject().Select(x => x.Name).ToArray() : [];
            Assert.Equal(status == "401" ? ["WWW-Authenticate"] : headers, documentedHeaders);
        }
        var schema = responses.GetProperty("400").GetProperty("content").GetProperty("application/problem+json").GetProperty("schema").GetProperty("$ref").GetString();
        Assert.Equal(method == "get" ? "#/components/schemas/ProblemDetails" : "#/components/schemas/HttpValidationProblemDetails", schema);

        var parameters = operation.TryGetProperty("parameters", out var p) ? p.EnumerateArray().Where(x => x.GetProperty("in").GetString() == "header").Select(x => x.GetProperty("name").GetString()) : [];
        Assert.Equal(requestHeaders.Split(' ', StringSplitOptions.RemoveEmptyEntries), parameters);
        if (operation.TryGetProperty("requestBody", out var body))
            Assert.True(body.GetProperty("content").GetProperty("application/json").TryGetProperty("example", out _), $"{operationId} has no request example");
    }

    [Fact]
    public async Task The_OpenAPI_document_names_the_API_its_bearer_scheme_and_the_statuses_a_client_may_set()
    {
        var doc = await _http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        Assert.Equal("Orderly API", doc.GetProperty("info").GetProperty("title").GetString());
        Assert.Equal("MIT", doc.GetProperty("info").GetProperty("license").GetProperty("identifier").GetString());
        Assert.Equal(["/", "http://127.0.0.1:8080"], doc.GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("url").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(doc.GetProperty("tags").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "Orders").GetProperty("description").GetString()));

        var bearer = doc.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer");
        Assert.Equal("http", bearer.GetProperty("type").GetString());
        Assert.Equal("bearer", bearer.GetProperty("scheme").GetString());
        Assert.Equal("JWT", bearer.GetProperty("bearerFormat").GetString());
        Assert.Contains("orders:staff", bearer.GetProperty("description").GetString(), StringComparison.Ordinal);

        var schemas = doc.GetProperty("components").GetProperty("schemas");
        var status = schemas.GetProperty("ChangeStatusRequest").GetProperty("properties").GetProperty("status");
        Assert.Equal("string", status.GetProperty("type").GetString());
        Assert.Equal(["packed", "shipped", "delivered", "cancelled"], status.GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("status", schemas.GetProperty("ChangeStatusRequest").GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        var orderStatus = schemas.GetProperty("OrderStatus");
        Assert.Equal("string", orderStatus.GetProperty("type").GetString());
        Assert.Equal(["placed", "packed", "shipped", "delivered", "cancelled"], orderStatus.GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("#/components/schemas/OrderStatus", schemas.GetProperty("OrderResponse").GetProperty("properties").GetProperty("status").GetProperty("$ref").GetString());

        var problem = schemas.GetProperty("ProblemDetails").GetProperty("properties");
        Assert.Equal(["type", "title", "status", "detail", "instance", "traceId"], problem.EnumerateObject().Select(p => p.Name));
        Assert.True(schemas.GetProperty("HttpValidationProblemDetails").GetProperty("properties").TryGetProperty("errors", out _));
    }
}
