using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Orderly.Gateway.Errors;
using Orderly.Gateway.OpenApi;
using Orderly.Grains.Abstractions.Orders;
using static Orderly.Gateway.Orders.HttpConventions;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Orderly.Gateway.Orders;

/// <summary>
/// What /openapi/v1.json says about each /orders route beyond what its handler's types tell: who may
/// call it, every answer it and the middleware can give (ProblemHandling, Unavailable, authentication),
/// the headers, and examples built from the contract types themselves. Kept out of OrderApi so the
/// handlers stay short; OpenApiSnapshotTests holds the result to docs/openapi.json.
/// </summary>
public static class OrderApiDocument
{
    public const string Tag = "Orders";

    // First: the headers and answers below use them, and static fields initialise in order.
    private static readonly Guid ExampleId = Guid.Parse("0193f3c4-7a1e-7c3b-9a51-3f1d2e4b5a60");
    private static readonly DateTimeOffset ExampleTime = new(2026, 11, 24, 9, 30, 0, TimeSpan.Zero);

    /// <summary>The statuses a client may ask for: everything but the one an order starts in (OrderApi.ChangeStatus).</summary>
    public static readonly IReadOnlyList<OrderStatus> SettableStatuses = [.. Enum.GetValues<OrderStatus>().Where(s => s != OrderStatus.Placed)];

    public static IServiceCollection AddOrderApiDocument(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.DescribeService();
            options.AddSchemaTransformer((schema, context, _) =>
            {
                // OrderStatus? with [Required]: the generator allows null and placed, the handler neither.
                if (context.JsonTypeInfo.Type == typeof(ChangeStatusRequest) && context.JsonPropertyInfo is null)
                {
                    schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
                    schema.Properties["status"] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.String,
                        Enum = [.. SettableStatuses.Select(s => (JsonNode)Name(s))],
                        Description = "The status to move to. Placed → packed → shipped → delivered; cancelled while not yet shipped.",
                    };
                    schema.Required ??= new HashSet<string>();
                    schema.Required.Add("status");
                }
                if (context.JsonTypeInfo.Type == typeof(OrderStatus))
                    schema.Description = "Where the order is: placed → packed → shipped → delivered, or cancelled (only before it ships).";
                if (context.JsonTypeInfo.Type == typeof(UpdateOrderRequest) && context.JsonPropertyInfo is null)
                    schema.Description = "Either field or both; a field absent (or null) stays as it is. Neither is a 400.";
                return Task.CompletedTask;
            });
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Tags ??= new HashSet<OpenApiTag>();
                foreach (var generated in document.Tags.Where(t => t.Name == Tag).ToList())
                    document.Tags.Remove(generated);
                document.Tags.Add(new OpenApiTag
                {
                    Name = Tag,
                    Description = "Place, read, change and list orders. Every operation needs a bearer token; each says whose.",
                });
                return Task.CompletedTask;
            });
        });

    public static RouteHandlerBuilder DescribePlaceOrder(this RouteHandlerBuilder endpoint) => endpoint.Describe(new Operation(
        "Place an order",
        """
        **Who may call:** a customer, for itself: `customerId` must be the token's subject, else 403. A staff token gets 403.

        Without an `Idempotency-Key` every request places a new order. With one, the order id is derived from the
        customer and the key, so a retry (after a timeout, say) reaches the same order: the same body answers 200 with
        the order as it is, another body answers 422 and changes nothing.
        """,
        [IdempotencyKeyParameter],
        Request: json => ToNode(new PlaceOrderRequest("c-42", [new OrderLineDto("SKU-1", 2)], "1 Main St"), json),
        Answers:
        [
            new(201, "Placed. `Location` names the new order.", [LocationHeader, ETagHeader], Example: json => ToNode(ExampleOrder(), json)),
            new(200, "An order with this `Idempotency-Key` and the same body exists already: this is it, unchanged.", [ETagHeader],
                Example: json => ToNode(ExampleOrder(), json)),
            BodyRejected(PlaceValidation),
            Unauthenticated,
            new(403, "The token is staff's, or its subject is not the body's `customerId`."),
            TooLarge,
            WrongContentType,
            new(422, "The `Idempotency-Key` was used before, for this customer, with a different body. Nothing changed.",
                Example: json => ToNode(Problem(422, "Idempotency-Key reused", $"The {IdempotencyKeyHeader} was already used for a different order body."), json)),
            Unavailable503,
            Bug,
        ]));

    public static RouteHandlerBuilder DescribeGetOrder(this RouteHandlerBuilder endpoint) => endpoint.Describe(new Operation(
        "Read an order",
        """
        **Who may call:** the customer who placed the order, or staff. Another customer's order answers 404, exactly
        as a missing one does, so ids cannot be probed.

        The `ETag` is the order's version; send it as `If-Match` to change the order only if nobody else has.
        """,
        [],
        Request: null,
        Answers:
        [
            new(200, "The order.", [ETagHeader], Example: json => ToNode(ExampleOrder(), json)),
            new(400, "The id is not a UUID."),
            Unauthenticated,
            OrderNotFound,
            Unavailable503,
            Bug,
        ],
        Id: true));

    public static RouteHandlerBuilder DescribeListOrdersByDay(this RouteHandlerBuilder endpoint) => endpoint.Describe(new Operation(
        "List one day's orders",
        $"""
        **Who may call:** staff only; a customer's token gets 403.

        The orders created on one UTC day, oldest first, {OrderApi.DefaultPageSize} to a page unless `limit` says otherwise.
        While `next` is not null there are more: ask again with `cursor` set to it.
        """,
        [],
        Request: null,
        Answers:
        [
            new(200, "One page of the day's orders; `next` is null on the last page.",
                Example: json => ToNode(new OrderListResponse([ExampleOrder()], EncodeCursor(new OrderCursor(ExampleTime, ExampleId))), json)),
            new(400, "`date`, `limit` or `cursor` is not acceptable; `detail` says which."),
            Unauthenticated,
            new(403, "The token is a customer's; listing is for staff."),
            Unavailable503,
            Bug,
        ],
        Query: true));

    public static RouteHandlerBuilder DescribeUpdateOrder(this RouteHandlerBuilder endpoint) => endpoint.Describe(new Operation(
        "Change an order's items or address",
        """
        **Who may call:** the customer who placed the order, while it is open (placed or packed). A staff token gets 403;
        another customer's order answers 404, as a missing one does.

        `If-Match` makes the change conditional on the order's current `ETag` (412 if it moved on); an
        `Idempotency-Key` makes a retry answer with the first outcome instead of applying twice.
        """,
        [IfMatchParameter, IdempotencyKeyParameter],
        Request: json => ToNode(new UpdateOrderRequest(DeliveryAddress: "2 High St"), json),
        Answers:
        [
            new(200, "Changed (or, for a retry with the same `Idempotency-Key`, changed before): the order now.", [ETagHeader],
                Example: json => ToNode(ExampleOrder(version: 2, address: "2 High St"), json)),
            BodyRejected(UpdateValidation),
            Unauthenticated,
            new(403, "The token is staff's; only the customer changes items and address."),
            OrderNotFound,
            new(409, "The order is no longer open (shipped, delivered or cancelled). Nothing changed.", [CurrentETagHeader],
                Example: json => ToNode(Problem(409, "Order can no longer change",
                    "The order is shipped; items and address can change only while it is placed or packed."), json)),
            StaleETag,
            TooLarge,
            WrongContentType,
            Unavailable503,
            Bug,
        ],
        Id: true));

    public static RouteHandlerBuilder DescribeChangeOrderStatus(this RouteHandlerBuilder endpoint) => endpoint.Describe(new Operation(
        "Move an order to another status",
        """
        **Who may call:** staff, for `packed`, `shipped`, `delivered` and `cancelled`; the customer who placed the
        order, only to set `cancelled` (another status gets 403). Another customer's order answers 404.

        Placed → packed → shipped → delivered; cancelled while not yet shipped. `If-Match` and `Idempotency-Key`
        work as for a change of items.
        """,
        [IfMatchParameter, IdempotencyKeyParameter],
        Request: json => ToNode(new ChangeStatusRequest(OrderStatus.Packed), json),
        Answers:
        [
            new(200, "Moved (or, for a retry with the same `Idempotency-Key`, moved before): the order now.", [ETagHeader],
                Example: json => ToNode(ExampleOrder(version: 2, status: OrderStatus.Packed), json)),
            BodyRejected(StatusValidation),
            Unauthenticated,
            new(403, "A customer's token asked for a status other than `cancelled`."),
            OrderNotFound,
            new(409, "The requested status cannot follow the current one (e.g. `delivered` on a placed order). Nothing changed.", [CurrentETagHeader],
                Example: json => ToNode(Problem(409, "Illegal status transition", "The order is placed; the requested status cannot follow it."), json)),
            StaleETag,
            TooLarge,
            WrongContentType,
            Unavailable503,
            Bug,
        ],
        Id: true));

    // --- what the operations share ------------------------------------------------------------

    private sealed record Operation(
        string Summary,
        string Description,
        OpenApiParameter[] Headers,
        Func<JsonSerializerOptions, JsonNode?>? Request,
        Answer[] Answers,
        bool Id = false,
        bool Query = false);

    /// <param name="Validation">The 400 may carry an `errors` map (the built-in validation of the body).</param>
    private sealed record Answer(
        int Status,
        string Description,
        Header[]? Headers = null,
        bool Validation = false,
        Func<JsonSerializerOptions, JsonNode?>? Example = null);

    private sealed record Header(string Name, OpenApiHeader Value);

    private static readonly Header ETagHeader = new("ETag", new OpenApiHeader
    {
        Description = "The order's version as a strong entity tag; send it back in `If-Match`.",
        Required = true,
        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        Example = ETagOf(1),
    });

    private static readonly Header CurrentETagHeader = new("ETag", new OpenApiHeader
    {
        Description = "The order's current version: read it again, or retry against this one.",
        Required = true,
        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        Example = ETagOf(4),
    });

    private static readonly Header LocationHeader = new("Location", new OpenApiHeader
    {
        Description = "The new order's path, `/orders/{id}`.",
        Required = true,
        Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri-reference" },
        Example = $"/orders/{ExampleId}",
    });

    private static readonly OpenApiParameter IdempotencyKeyParameter = new()
    {
        Name = IdempotencyKeyHeader,
        In = ParameterLocation.Header,
        Description = "Any text the client chooses once per intended change and repeats on every retry of it. "
            + ContractSchemas.PlainTextRule + " Given at most once.",
        Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = MaxIdempotencyKeyLength },
        Example = "checkout-7f3a",
    };

    private static readonly OpenApiParameter IfMatchParameter = new()
    {
        Name = "If-Match",
        In = ParameterLocation.Header,
        Description = "Apply only if the order is at this version: an `ETag` this service gave (`\"7\"`), or `*` for any. "
            + "A value that is not one of its ETags (a weak one, another form) can never match: 412.",
        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        Examples = new Dictionary<string, IOpenApiExample>
        {
            ["version"] = new OpenApiExample { Summary = "The ETag of the order as last read", Value = ETagOf(1) },
            ["any"] = new OpenApiExample { Summary = "Any version (the order must exist)", Value = "*" },
        },
    };

    private static readonly Answer Unauthenticated = new(401, "No bearer token, or one that is expired, badly signed or not for this API.");
    private static readonly Answer OrderNotFound = new(404, "No such order, or one the caller may not see.",
        Example: json => ToNode(Problem(404, "Order not found", $"There is no order {ExampleId}."), json));
    private static readonly Answer StaleETag = new(412, "`If-Match` does not match the order's current `ETag`: read it again and retry. Nothing changed.",
        [new Header("ETag", new OpenApiHeader
        {
            Description = "The order's current version; absent when `If-Match` was not an ETag this service gives, and so could never match.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            Example = ETagOf(4),
        })],
        Example: json => ToNode(Problem(412, "Order has changed", "If-Match does not match the order's current ETag; read it again and retry."), json));
    private static readonly Answer TooLarge = new(413, "The body is larger than the gateway accepts (Gateway:MaxRequestBodyBytes, 64 KiB by default).");
    private static readonly Answer WrongContentType = new(415, "The body is not `application/json`.");
    private static readonly Answer Unavailable503 = new(503, "The cluster could not answer within the retry budget (a silo leaving, the database restarting), "
        + "or the token issuer's keys could not be read. Retry after `Retry-After`.",
        Example: json => ToNode(Problem(503, Unavailable.Title, Unavailable.Detail), json));
    private static readonly Answer Bug = new(500, "A bug in Orderly, logged with the `traceId` this document carries. Retrying will not help.");

    private static Answer BodyRejected(Func<JsonSerializerOptions, JsonNode?> example) => new(400,
        "The body is not acceptable (malformed JSON, an unknown, repeated or null field, a value out of its limits), or a header is; "
        + "`detail` names the place, and `errors` the fields when a limit was broken.",
        Validation: true, Example: example);

    private static JsonNode? PlaceValidation(JsonSerializerOptions json) =>
        ToNode(Validation("Items[0].Quantity", "The field Quantity must be between 1 and 1000."), json);

    private static JsonNode? UpdateValidation(JsonSerializerOptions json) =>
        ToNode(Validation("DeliveryAddress", "The field DeliveryAddress must be a string with a minimum length of 1 and a maximum length of 500."), json);

    private static JsonNode? StatusValidation(JsonSerializerOptions json) =>
        ToNode(Validation("Status", "The Status field is required."), json);

    private static HttpValidationProblemDetails Validation(string field, string message) => new(new Dictionary<string, string[]> { [field] = [message] })
    {
        Title = "One or more validation errors occurred.",
        Status = StatusCodes.Status400BadRequest,
    };

    private static ProblemDetails Problem(int status, string title, string detail) => new() { Status = status, Title = title, Detail = detail };

    private static OrderResponse ExampleOrder(int version = 1, OrderStatus status = OrderStatus.Placed, string address = "1 Main St") =>
        new(ExampleId, status, "c-42", [new OrderLineDto("SKU-1", 2)], address, ExampleTime, ExampleTime.AddMinutes(version - 1), version);

    /// <summary>An example as the API's own serializer options write it, so it follows any rename in the contracts.</summary>
    private static JsonNode? ToNode<T>(T value, JsonSerializerOptions json) => JsonSerializer.SerializeToNode(value, json);

    private static string Name(OrderStatus status) => JsonSerializer.Serialize(status, StatusJson).Trim('"');

    private static readonly JsonSerializerOptions StatusJson = new() { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    private static RouteHandlerBuilder Describe(this RouteHandlerBuilder endpoint, Operation operation)
    {
        endpoint.WithSummary(operation.Summary).WithDescription(operation.Description);
        // Successes come from the handler's Results<…> type; errors leave as ProblemHttpResult or from
        // middleware, which no type names, so they are declared here.
        foreach (var answer in operation.Answers.Where(a => a.Status >= 400))
        {
            if (answer.Validation)
                endpoint.ProducesValidationProblem(answer.Status);
            else
                endpoint.ProducesProblem(answer.Status);
        }
        return endpoint.AddOpenApiOperationTransformer((op, context, _) =>
        {
            var json = context.ApplicationServices.GetRequiredService<IOptions<HttpJsonOptions>>().Value.SerializerOptions;
            op.Security = [ApiDocument.BearerRequirement(context.Document)];
            op.Parameters ??= [];
            foreach (var header in operation.Headers)
                op.Parameters.Add(header);
            if (operation.Id)
                DescribeParameter(op, "id", "The order's id.", new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" });
            if (operation.Query)
                DescribeListParameters(op);
            if (operation.Request is { } request && op.RequestBody?.Content?.TryGetValue("application/json", out var body) == true)
                body.Example = request(json);

            var documented = operation.Answers.Select(a => a.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
            var undocumented = (op.Responses ?? []).Keys.Where(k => !documented.Contains(k)).ToList();
            if (undocumented.Count > 0)
                throw new InvalidOperationException($"{op.OperationId} can answer {string.Join(", ", undocumented)}, which OrderApiDocument does not describe.");
            foreach (var answer in operation.Answers)
            {
                var status = answer.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (op.Responses?.TryGetValue(status, out var found) != true || found is not OpenApiResponse response)
                    throw new InvalidOperationException($"OrderApiDocument describes {status} for {op.OperationId}, which its handler does not declare.");
                response.Description = answer.Description;
                foreach (var header in answer.Headers ?? [])
                {
                    response.Headers ??= new Dictionary<string, IOpenApiHeader>();
                    response.Headers[header.Name] = header.Value;
                }
                if (answer.Example is { } example && response.Content?.Values.FirstOrDefault() is { } media)
                    media.Example = example(json);
            }
            return Task.CompletedTask;
        });
    }

    private static void DescribeParameter(OpenApiOperation op, string name, string description, OpenApiSchema schema)
    {
        var parameter = op.Parameters?.OfType<OpenApiParameter>().SingleOrDefault(p => p.Name == name)
            ?? throw new InvalidOperationException($"{op.OperationId} has no parameter '{name}' to describe.");
        parameter.Description = description;
        parameter.Schema = schema;
    }

    /// <summary>The handler takes these as text to word its own 400s; on the wire they are a date, a number and an opaque token.</summary>
    private static void DescribeListParameters(OpenApiOperation op)
    {
        DescribeParameter(op, "date", "The UTC day, `YYYY-MM-DD`; today (UTC) when absent.",
            new OpenApiSchema { Type = JsonSchemaType.String, Format = "date" });
        DescribeParameter(op, "limit", "Orders per page.", new OpenApiSchema
        {
            Type = JsonSchemaType.Integer,
            Minimum = "1",
            Maximum = OrderApi.MaxPageSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Default = OrderApi.DefaultPageSize,
        });
        DescribeParameter(op, "cursor", "The `next` of the previous page, as given; absent for the first page.",
            new OpenApiSchema { Type = JsonSchemaType.String });
    }
}
