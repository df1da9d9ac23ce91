using System.Collections.Immutable;
using Orderly.Grains.Abstractions.Orders;
using Orderly.Grains.Storage;

namespace Orderly.Bench.Micro;

/// <summary>A typical order, as the bench and the experiment place them, a few commands into its life.</summary>
internal static class Samples
{
    public static readonly ImmutableArray<OrderLine> Items = [new("SKU-17", 2), new("SKU-4", 1), new("SKU-230", 12)];

    public static readonly PlaceOrder Place = new(Guid.NewGuid(), "customer-4711", Items, "221 Main St, Springfield", "checkout-7f3a9c");

    public static OrderState State()
    {
        var now = DateTimeOffset.UtcNow;
        return new OrderState
        {
            Id = Guid.CreateVersion7(),
            Status = OrderStatus.Packed,
            CustomerId = Place.CustomerId,
            Items = Items,
            DeliveryAddress = Place.DeliveryAddress,
            CreatedAt = now,
            UpdatedAt = now,
            Version = 5,
            IdempotencyKey = Place.IdempotencyKey,
            PlacedBy = Place.CommandId,
            RecentCommands = [.. Enumerable.Range(1, 4).Select(_ => new AppliedCommand(Guid.NewGuid()))],
        };
    }
}
