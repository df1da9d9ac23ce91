using System.ComponentModel.DataAnnotations;

namespace Orderly.Baseline;

// The same request limits as the gateway's contract, so both servers do the same validation work.

public sealed record OrderLine(
    [Required, StringLength(64, MinimumLength = 1), RegularExpression("^[A-Za-z0-9_-]+$")] string Sku,
    [Range(1, 1000)] int Quantity);

public sealed record PlaceOrderRequest(
    [Required, StringLength(64, MinimumLength = 1)] string CustomerId,
    [Required, Length(1, 100)] IReadOnlyList<OrderLine> Items,
    [Required, StringLength(500, MinimumLength = 1)] string DeliveryAddress);

public sealed record UpdateOrderRequest(
    [Length(1, 100)] IReadOnlyList<OrderLine>? Items = null,
    [StringLength(500, MinimumLength = 1)] string? DeliveryAddress = null);

public sealed record ChangeStatusRequest([Required] string? Status);

/// <summary>The order document: the same fields Orderly keeps in orders.doc.</summary>
public sealed record Order(
    Guid Id, string Status, string CustomerId, IReadOnlyList<OrderLine> Items, string DeliveryAddress,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int Version);
