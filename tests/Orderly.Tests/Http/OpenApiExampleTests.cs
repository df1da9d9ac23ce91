using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Http;

/// <summary>The examples in /openapi/v1.json are sent to the gateway: a client copying one gets what the document says.</summary>
[Collection(GatewayCollection.Name)]
public sealed class OpenApiExampleTests(GatewayFixture fixture)
{
    private readonly HttpClient _http = fixture.CreateClient();

    private static JsonElement Operation(JsonElement doc, string path, string method) => doc.GetProperty("paths").GetProperty(path).GetProperty(method);

    private static string RequestExample(JsonElement operation) =>
        operation.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("example").GetRawText();

    private static JsonElement ResponseExample(JsonElement operation, string status) =>
        operation.GetProperty("responses").GetProperty(status).GetProperty("content").EnumerateObject().Single().Value.GetProperty("example");

    private static IEnumerable<string> Names(JsonElement o) => o.EnumerateObject().Select(p => p.Name);

    private async Task<(HttpResponseMessage Response, JsonElement Body)> Send(HttpMethod method, string path, string body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        var response = await _http.SendAsync(request);
        return (response, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    [Fact]
    public async Task The_documented_request_examples_get_the_documented_answers()
    {
        var doc = await _http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var place = Operation(doc, "/orders", "post");
        var (created, order) = await Send(HttpMethod.Post, "/orders", RequestExample(place));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(Names(ResponseExample(place, "201")), Names(order));
        var location = created.Headers.Location!.ToString();

        var update = Operation(doc, "/orders/{id}", "patch");
        var (updated, changed) = await Send(HttpMethod.Patch, location, RequestExample(update));
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal(ResponseExample(update, "200").GetProperty("deliveryAddress").GetString(), changed.GetProperty("deliveryAddress").GetString());

        var status = Operation(doc, "/orders/{id}/status", "post");
        var (moved, packed) = await Send(HttpMethod.Post, location + "/status", RequestExample(status));
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        Assert.Equal(ResponseExample(status, "200").GetProperty("status").GetString(), packed.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Every_documented_operation_answers_a_request_without_a_token_with_its_documented_401()
    {
        var doc = await _http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        using var anonymous = fixture.CreateAnonymousClient();
        var operations = doc.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => (Path: path.Name, Method: op.Name, Operation: op.Value)))
            .ToList();
        Assert.Equal(5, operations.Count);

        foreach (var (path, method, operation) in operations)
        {
            var documented = operation.GetProperty("responses").GetProperty("401");
            using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), path.Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal));
            if (operation.TryGetProperty("requestBody", out _))
                request.Content = new StringContent(RequestExample(operation), Encoding.UTF8, "application/json");
            var response = await anonymous.SendAsync(request);

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal(documented.GetProperty("content").EnumerateObject().Single().Name, response.Content.Headers.ContentType!.MediaType);
            Assert.Equal(documented.GetProperty("headers").GetProperty("WWW-Authenticate").GetProperty("example").GetString(),
                response.Headers.WwwAuthenticate.ToString());
        }
    }

    [Fact]
    public async Task An_update_field_the_schema_lets_be_null_is_left_as_it_is()
    {
        var doc = await _http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var items = doc.GetProperty("components").GetProperty("schemas").GetProperty("UpdateOrderRequest").GetProperty("properties").GetProperty("items");
        Assert.Contains("null", items.GetProperty("type").EnumerateArray().Select(t => t.GetString()));

        var (created, order) = await Send(HttpMethod.Post, "/orders", OrderApiTests.OrderBody());
        var (updated, changed) = await Send(HttpMethod.Patch, created.Headers.Location!.ToString(), """{"items":null,"deliveryAddress":"2 High St"}""");

        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal(order.GetProperty("items").GetRawText(), changed.GetProperty("items").GetRawText());
        Assert.Equal("2 High St", changed.GetProperty("deliveryAddress").GetString());
    }

    [Fact]
    public async Task A_broken_limit_is_answered_in_the_shape_of_the_documented_400()
    {
        var doc = await _http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var documented = ResponseExample(Operation(doc, "/orders", "post"), "400");

        var (response, problem) = await Send(HttpMethod.Post, "/orders", OrderApiTests.OrderBody(quantity: 0));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(documented.GetProperty("title").GetString(), problem.GetProperty("title").GetString());
        Assert.Equal(Names(documented.GetProperty("errors")), Names(problem.GetProperty("errors")));
        Assert.Equal(Messages(documented), Messages(problem));
    }

    private static IEnumerable<string?> Messages(JsonElement problem) =>
        problem.GetProperty("errors").EnumerateObject().Single().Value.EnumerateArray().Select(m => m.GetString());
}
