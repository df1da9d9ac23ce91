using System.ComponentModel.DataAnnotations;
using Orderly.Grains.Abstractions.Orders;

namespace Orderly.Gateway.Orders;

// The HTTP contract (docs/api.md). Separate from grain types so either can change alone.
// Unknown and repeated JSON fields, nulls where a value is required, and wrong JSON types are rejected
// by the serializer settings in OrderApi; the limits below by the built-in validation, sized by OrderLimits. Every string
// is [PlainText]: no control characters or unpaired surrogates (Grains.Abstractions OrderText).

public sealed record OrderLineDto(
    [Required, StringLength(OrderLimits.SkuMaxLength, MinimumLength = 1), PlainText, RegularExpression(OrderLimits.SkuPattern, ErrorMessage = OrderLimits.SkuPatternMessage)]
    string Sku,
    [Range(1, OrderLimits.MaxQuantity)]
    int Quantity);

public sealed record PlaceOrderRequest(
    [Required, StringLength(OrderLimits.CustomerIdMaxLength, MinimumLength = 1), PlainText]
    string CustomerId,
    [Required, Length(1, OrderLimits.MaxItems)]
    IReadOnlyList<OrderLineDto> Items,
    [Required, StringLength(OrderLimits.DeliveryAddressMaxLength, MinimumLength = 1), PlainText]
    string DeliveryAddress);

/// <summary>PATCH body: either field or both; an absent field stays as it is.</summary>
public sealed record UpdateOrderRequest(
    [Length(1, OrderLimits.MaxItems)]
    IReadOnlyList<OrderLineDto>? Items = null,
    [StringLength(OrderLimits.DeliveryAddressMaxLength, MinimumLength = 1), PlainText]
    string? DeliveryAddress = null);

public sealed record ChangeStatusRequest([Required] OrderStatus? Status);

public sealed record OrderResponse(
    Guid Id,
    OrderStatus Status,
    string CustomerId,
    IReadOnlyList<OrderLineDto> Items,
    string DeliveryAddress,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    int Version)
{
    public static OrderResponse From(OrderSnapshot o) => new(
        o.Id, o.Status, o.CustomerId, [.. o.Items.Select(i => new OrderLineDto(i.Sku, i.Quantity))],
        o.DeliveryAddress, o.CreatedAt, o.UpdatedAt, o.Version);
}

public sealed record OrderListResponse(IReadOnlyList<OrderResponse> Orders, string? Next);
