using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Orderly.Gateway.Auth;
using Orderly.Gateway.Silos;
using Orderly.Gateway.Hosting;
using Orderly.ServiceDefaults.Observability;
using Orderly.Grains.Abstractions.Orders;
using static Orderly.Gateway.Orders.HttpConventions;

namespace Orderly.Gateway.Orders;

/// <summary>The /orders routes. Each handler validates, turns the request into one grain command, and maps the outcome.</summary>
public static class OrderApi
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    public static IServiceCollection AddOrderApi(this IServiceCollection services)
    {
        services.AddValidation();
        services.AddOrderApiDocument();
        services.Configure<JsonOptions>(o =>
        {
            var json = o.SerializerOptions;
            json.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            // RFC 8259 leaves repeated names open and parsers disagree (first wins, last wins): a proxy
            // or WAF in front could read one value while Orderly stores another. Refused at every level.
            json.AllowDuplicateProperties = false;
            json.NumberHandling = JsonNumberHandling.Strict;
            json.RespectNullableAnnotations = true;
            json.RespectRequiredConstructorParameters = true;
            json.MaxDepth = 16;
            json.Converters.Add(new JsonStringEnumConverter(allowIntegerValues: false));
        });
        // Binding failures throw, so the problem handler can say what was wrong with the input.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return services;
    }

    public static IEndpointRouteBuilder MapOrders(this IEndpointRouteBuilder app)
    {
        var orders = app.MapGroup("/orders").WithTags("Orders").RequireAuthorization();
        orders.MapPost("/", Place).WithName("PlaceOrder").DescribePlaceOrder();
        orders.MapGet("/", ListByDay).WithName("ListOrdersByDay").DescribeListOrdersByDay();
        orders.MapGet("/{id}", Get).WithName("GetOrder").DescribeGetOrder();
        orders.MapPatch("/{id}", Update).WithName("UpdateOrder").DescribeUpdateOrder();
        orders.MapPost("/{id}/status", ChangeStatus).WithName("ChangeOrderStatus").DescribeChangeOrderStatus();
        return app;
    }

    public static async Task<Results<Created<OrderResponse>, Ok<OrderResponse>, ProblemHttpResult>> Place(
        PlaceOrderRequest request, Caller caller, HttpContext http, IClusterClient cluster, GrainCalls calls, OrderlyMetrics metrics)
    {
        if (caller.Customer is not { } customer)
            return Forbidden("Orders are placed by customers: a staff token, or one whose subject is no customer id, places none.");
        if (request.CustomerId != customer)
            return Forbidden($"This token places orders for customer '{customer}' only, not for another customerId.");
        var (key, error) = ReadIdempotencyKey(http);
        if (error is not null)
            return BadRequest(error);
        var id = key is null ? OrderIds.New() : OrderIds.FromIdempotencyKey(request.CustomerId, key);
        var command = new PlaceOrder(Guid.CreateVersion7(), request.CustomerId,
            [.. request.Items.Select(i => new OrderLine(i.Sku, i.Quantity))], request.DeliveryAddress, key);

        var grain = cluster.GetGrain<IOrderGrain>(id);
        var result = await calls.Run(ct => grain.Place(command, ct), http.RequestAborted);
        if (result.Order is not { } order)
            return Unstorable();

        http.Response.Headers.ETag = ETagOf(order.Version);
        var body = OrderResponse.From(order);
        return result.Outcome switch
        {
            PlaceOutcome.Created => Created(metrics, id, body),
            PlaceOutcome.AlreadyPlaced => TypedResults.Ok(body),
            _ => Problem(StatusCodes.Status422UnprocessableEntity, "Idempotency-Key reused",
                $"The {IdempotencyKeyHeader} was already used for a different order body."),
        };
    }

    public static async Task<Results<Ok<OrderResponse>, ProblemHttpResult>> Get(string id, Caller caller, HttpContext http, IClusterClient cluster, GrainCalls calls)
    {
        if (!TryParseId(id, out var orderId))
            return InvalidId(id);
        var grain = cluster.GetGrain<IOrderGrain>(orderId);
        var order = await calls.Run(grain.Get, http.RequestAborted);
        // Someone else's order answers exactly as one that does not exist: ids cannot be probed.
        if (order is null || !caller.MaySee(order))
            return NotFound(orderId);
        http.Response.Headers.ETag = ETagOf(order.Version);
        return TypedResults.Ok(OrderResponse.From(order));
    }

    public static async Task<Results<Ok<OrderResponse>, ProblemHttpResult>> Update(
        string id, UpdateOrderRequest request, Caller caller, HttpContext http, IClusterClient cluster, GrainCalls calls, OrderlyMetrics metrics)
    {
        if (request.Items is null && request.DeliveryAddress is null)
            return BadRequest("Nothing to change: give items and/or deliveryAddress.");
        if (caller.Customer is not { } customer)
            return Forbidden("Items and the delivery address are changed by the customer who placed the order, not with a staff token.");
        var target = ReadCommandTarget(id, http);
        if (target.Problem is { } problem)
            return problem;
        var command = new UpdateOrder(
            CommandIdFor(target.OrderId, target.Key, "update"),
            request.Items is null ? null : [.. request.Items.Select(i => new OrderLine(i.Sku, i.Quantity))],
            request.DeliveryAddress,
            target.ExpectedVersion,
            customer);
        var grain = cluster.GetGrain<IOrderGrain>(target.OrderId);
        return MapCommand(await calls.Run(ct => grain.Update(command, ct), http.RequestAborted), target.OrderId, http, metrics, "update");
    }

    public static async Task<Results<Ok<OrderResponse>, ProblemHttpResult>> ChangeStatus(
        string id, ChangeStatusRequest request, Caller caller, HttpContext http, IClusterClient cluster, GrainCalls calls, OrderlyMetrics metrics)
    {
        if (request.Status is not { } status || status == OrderStatus.Placed)
            return BadRequest("status must be one of: packed, shipped, delivered, cancelled.");
        if (!caller.IsStaff && (caller.Customer is null || status != OrderStatus.Cancelled))
            return Forbidden("A customer may cancel its own order; packed, shipped and delivered are set with a staff token.");
        var target = ReadCommandTarget(id, http);
        if (target.Problem is { } problem)
            return problem;
        var command = new ChangeStatus(CommandIdFor(target.OrderId, target.Key, $"status:{status}"), status, target.ExpectedVersion,
            caller.IsStaff ? null : caller.Customer);
        var grain = cluster.GetGrain<IOrderGrain>(target.OrderId);
        return MapCommand(await calls.Run(ct => grain.ChangeStatus(command, ct), http.RequestAborted), target.OrderId, http, metrics, "status");
    }

    /// <summary>What a command on one order needs from the request: the id, the idempotency key, If-Match.</summary>
    private static (Guid OrderId, string? Key, int? ExpectedVersion, ProblemHttpResult? Problem) ReadCommandTarget(string id, HttpContext http)
    {
        if (!TryParseId(id, out var orderId))
            return (default, null, null, InvalidId(id));
        var (key, error) = ReadIdempotencyKey(http);
        if (error is not null)
            return (default, null, null, BadRequest(error));
        var (ifMatch, version) = ParseIfMatch(http.Request.Headers.IfMatch);
        return ifMatch switch
        {
            IfMatch.NeverMatches => (default, null, null, PreconditionFailed()),
            IfMatch.Version => (orderId, key, version, null),
            _ => (orderId, key, null, null),
        };
    }

    public static async Task<Results<Ok<OrderListResponse>, ProblemHttpResult>> ListByDay(
        string? date, string? cursor, string? limit, Caller caller, HttpContext http, IClusterClient cluster, GrainCalls calls, TimeProvider time)
    {
        if (!caller.IsStaff)
            return Forbidden("Listing a day's orders needs a staff token.");
        var day = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        if (date is not null && !DateOnly.TryParseExact(date, "yyyy-MM-dd", out day))
            return BadRequest("date must be a calendar date, YYYY-MM-DD.");
        var take = DefaultPageSize;
        // .NET number parsing skips trailing NULs ("1\0" reads as 1): refuse control characters first.
        if (limit is not null && (OrderText.IndexOfForbidden(limit) >= 0
            || !int.TryParse(limit, System.Globalization.NumberStyles.None, null, out take) || take is < 1 or > MaxPageSize))
            return BadRequest($"limit must be a whole number from 1 to {MaxPageSize}.");
        OrderCursor? after = null;
        if (cursor is not null && !TryDecodeCursor(cursor, out after))
            return BadRequest("cursor is not one this service issued.");

        var query = cluster.GetGrain<IOrderQueryGrain>(0);
        var page = await calls.Run(ct => query.ListByDay(day, after, take, ct), http.RequestAborted);
        return TypedResults.Ok(new OrderListResponse(
            [.. page.Orders.Select(OrderResponse.From)],
            page.Next is null ? null : EncodeCursor(page.Next)));
    }

    private static Created<OrderResponse> Created(OrderlyMetrics metrics, Guid id, OrderResponse body)
    {
        metrics.OrdersPlaced.Add(1);
        return TypedResults.Created($"/orders/{id}", body);
    }

    private static Results<Ok<OrderResponse>, ProblemHttpResult> MapCommand(CommandResult result, Guid id, HttpContext http, OrderlyMetrics metrics, string operation)
    {
        if (result.Order is { } order)
            http.Response.Headers.ETag = ETagOf(order.Version);
        if (result.Outcome == CommandOutcome.Applied)
            metrics.OrdersUpdated.Add(1, new KeyValuePair<string, object?>("operation", operation));
        return result.Outcome switch
        {
            CommandOutcome.Applied => TypedResults.Ok(OrderResponse.From(result.Order!)),
            CommandOutcome.NotFound => NotFound(id),
            CommandOutcome.StaleVersion => PreconditionFailed(),
            CommandOutcome.Rejected => Unstorable(),
            CommandOutcome.NotAllowedInStatus => Problem(StatusCodes.Status409Conflict, "Order can no longer change",
                $"The order is {Name(result.Order!.Status)}; items and address can change only while it is placed or packed."),
            _ => Problem(StatusCodes.Status409Conflict, "Illegal status transition",
                $"The order is {Name(result.Order!.Status)}; the requested status cannot follow it."),
        };
    }

    private static (string? Key, string? Error) ReadIdempotencyKey(HttpContext http)
    {
        if (!http.Request.Headers.TryGetValue(IdempotencyKeyHeader, out var values))
            return (null, null);
        if (values.Count != 1)
            return (null, $"Give {IdempotencyKeyHeader} once.");
        return CheckIdempotencyKey(values[0]) is { } error ? (null, error) : (values[0], null);
    }

    private static string Name(OrderStatus status) => status.ToString().ToLowerInvariant();

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);

    private static ProblemHttpResult Forbidden(string detail) =>
        Problem(StatusCodes.Status403Forbidden, "Not allowed", detail);

    private static ProblemHttpResult BadRequest(string detail) =>
        Problem(StatusCodes.Status400BadRequest, "Invalid request", detail);

    /// <summary>The grain refused text the request validation should already have refused.</summary>
    private static ProblemHttpResult Unstorable() =>
        BadRequest("The order holds control characters or unpaired surrogates, which no field may hold.");

    /// <summary>Ids are UUIDs; text that cannot be one is not echoed back when it holds control characters.</summary>
    private static bool TryParseId(string id, out Guid orderId)
    {
        orderId = default;
        return OrderText.IndexOfForbidden(id) < 0 && Guid.TryParse(id, out orderId);
    }

    private static ProblemHttpResult InvalidId(string id) =>
        BadRequest(OrderText.IndexOfForbidden(id) >= 0 ? "The order id must be a UUID; it holds control characters."
            : $"'{(id.Length > 64 ? id[..64] + "…" : id)}' is not an order id (a UUID).");

    private static ProblemHttpResult NotFound(Guid id) =>
        Problem(StatusCodes.Status404NotFound, "Order not found", $"There is no order {id}.");

    private static ProblemHttpResult PreconditionFailed() =>
        Problem(StatusCodes.Status412PreconditionFailed, "Order has changed",
            "If-Match does not match the order's current ETag; read it again and retry.");
}
