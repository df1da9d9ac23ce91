using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Orderly.Grains.Abstractions.Orders;

/// <summary>Delivery status of an order. Placed → Packed → Shipped → Delivered; Cancelled while not shipped.</summary>
/// <remarks>The lower-case names are part of the HTTP API and of stored state.</remarks>
public enum OrderStatus
{
    [JsonStringEnumMemberName("placed")] Placed = 0,
    [JsonStringEnumMemberName("packed")] Packed = 1,
    [JsonStringEnumMemberName("shipped")] Shipped = 2,
    [JsonStringEnumMemberName("delivered")] Delivered = 3,
    [JsonStringEnumMemberName("cancelled")] Cancelled = 4,
}

[GenerateSerializer, Immutable, Alias("Orderly.OrderLine")]
public sealed record OrderLine([property: Id(0)] string Sku, [property: Id(1)] int Quantity);

/// <summary>What an order looks like to a caller; a copy, never the grain's live state.</summary>
[GenerateSerializer, Immutable, Alias("Orderly.OrderSnapshot")]
public sealed record OrderSnapshot(
    [property: Id(0)] Guid Id,
    [property: Id(1)] OrderStatus Status,
    [property: Id(2)] string CustomerId,
    [property: Id(3)] ImmutableArray<OrderLine> Items,
    [property: Id(4)] string DeliveryAddress,
    [property: Id(5)] DateTimeOffset CreatedAt,
    [property: Id(6)] DateTimeOffset UpdatedAt,
    [property: Id(7)] int Version,
    [property: Id(8)] string? IdempotencyKey)
{
    // ImmutableArray compares by reference; an order's value includes its items' values.
    public bool Equals(OrderSnapshot? other) =>
        other is not null && Id == other.Id && Status == other.Status && CustomerId == other.CustomerId
        && Items.AsSpan().SequenceEqual(other.Items.AsSpan()) && DeliveryAddress == other.DeliveryAddress
        && CreatedAt == other.CreatedAt && UpdatedAt == other.UpdatedAt && Version == other.Version
        && IdempotencyKey == other.IdempotencyKey;

    public override int GetHashCode() => HashCode.Combine(Id, Version);
}
