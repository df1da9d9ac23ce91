using System.ComponentModel.DataAnnotations;
using Orderly.Grains.Abstractions.Orders;

namespace Orderly.Baseline;

// The gateway's request limits and text rule (OrderLimits, PlainText from Grains.Abstractions), so both
// servers do the same validation work.

public sealed record OrderLine(
    [Required, StringLength(OrderLimits.SkuMaxLength, MinimumLength = 1), PlainText, RegularExpression(OrderLimits.SkuPattern, ErrorMessage = OrderLimits.SkuPatternMessage)] string Sku,
    [Range(1, OrderLimits.MaxQuantity)] int Quantity);

public sealed record PlaceOrderRequest(
    [Required, StringLength(OrderLimits.CustomerIdMaxLength, MinimumLength = 1), PlainText] string CustomerId,
    [Required, Length(1, OrderLimits.MaxItems)] IReadOnlyList<OrderLine> Items,
    [Required, StringLength(OrderLimits.DeliveryAddressMaxLength, MinimumLength = 1), PlainText] string DeliveryAddress);

public sealed record UpdateOrderRequest(
    [Length(1, OrderLimits.MaxItems)] IReadOnlyList<OrderLine>? Items = null,
    [StringLength(OrderLimits.DeliveryAddressMaxLength, MinimumLength = 1), PlainText] string? DeliveryAddress = null);

public sealed record ChangeStatusRequest([Required] string? Status);

/// <summary>The order document: the same fields Orderly keeps in orders.doc.</summary>
public sealed record Order(
    Guid Id, string Status, string CustomerId, IReadOnlyList<OrderLine> Items, string DeliveryAddress,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int Version);
