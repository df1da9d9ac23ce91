using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;

namespace Orderly.Baseline;

/// <summary>The same /orders routes as the gateway, answered straight from Postgres.</summary>
public static class BaselineApi
{
    public static IServiceCollection AddBaselineApi(this IServiceCollection services)
    {
        services.AddValidation();
        services.AddProblemDetails();
        services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            o.SerializerOptions.RespectNullableAnnotations = true;
        });
        return services;
    }

    public static IEndpointRouteBuilder MapBaselineOrders(this IEndpointRouteBuilder app)
    {
        var orders = app.MapGroup("/orders");
        orders.MapPost("/", async (PlaceOrderRequest request, BaselineStore store, CancellationToken ct) =>
        {
            var order = await store.InsertAsync(request, ct);
            return TypedResults.Created($"/orders/{order.Id}", order);
        });
        orders.MapGet("/{id:guid}", async Task<Results<ContentHttpResult, ProblemHttpResult>> (Guid id, BaselineStore store, CancellationToken ct) =>
            await store.GetAsync(id, ct) is { } doc ? TypedResults.Text(doc, "application/json") : NotFound(id));
        orders.MapPatch("/{id:guid}", async Task<Results<ContentHttpResult, ProblemHttpResult>> (Guid id, UpdateOrderRequest change, BaselineStore store, CancellationToken ct) =>
        {
            if (change.Items is null && change.DeliveryAddress is null)
                return TypedResults.Problem("Nothing to change: give items and/or deliveryAddress.", statusCode: StatusCodes.Status400BadRequest);
            if (await store.UpdateAsync(id, change, ct) is { } doc)
                return TypedResults.Text(doc, "application/json");
            return await store.GetAsync(id, ct) is null
                ? NotFound(id)
                : TypedResults.Problem("The order can no longer change.", statusCode: StatusCodes.Status409Conflict);
        });
        orders.MapPost("/{id:guid}/status", async Task<Results<ContentHttpResult, ProblemHttpResult>> (Guid id, ChangeStatusRequest change, BaselineStore store, CancellationToken ct) =>
        {
            if (BaselineStore.AllowedFrom(change.Status) is not { } from)
                return TypedResults.Problem("status must be packed, shipped, delivered or cancelled.", statusCode: StatusCodes.Status400BadRequest);
            if (await store.ChangeStatusAsync(id, change.Status!, from, ct) is { } doc)
                return TypedResults.Text(doc, "application/json");
            return await store.GetAsync(id, ct) is null
                ? NotFound(id)
                : TypedResults.Problem($"The order cannot become {change.Status} from where it is.", statusCode: StatusCodes.Status409Conflict);
        });
        orders.MapGet("/", async Task<Results<ContentHttpResult, ProblemHttpResult>> (string? date, int? limit, BaselineStore store, CancellationToken ct) =>
        {
            var day = DateOnly.FromDateTime(DateTime.UtcNow);
            if (date is not null && !DateOnly.TryParseExact(date, "yyyy-MM-dd", out day))
                return TypedResults.Problem("date must be YYYY-MM-DD.", statusCode: StatusCodes.Status400BadRequest);
            if (limit is < 1 or > 1000)
                return TypedResults.Problem("limit must be from 1 to 1000.", statusCode: StatusCodes.Status400BadRequest);
            var page = await store.ListByDayAsync(day, limit ?? 100, ct);
            return TypedResults.Text($$"""{"orders":{{page}},"next":null}""", "application/json");
        });
        return app;
    }

    private static ProblemHttpResult NotFound(Guid id) =>
        TypedResults.Problem($"There is no order {id}.", statusCode: StatusCodes.Status404NotFound);
}
