using Orleans.Concurrency;

namespace Orderly.Grains.Abstractions.Orders;

/// <summary>
/// One order, keyed by its id (a UUID). All of an order's rules live behind this interface.
/// A cancellation token only releases the caller: a command that reached the grain completes or not
/// as a whole, and a retry of it is recognised by its CommandId.
/// </summary>
[Alias("Orderly.IOrderGrain")]
public interface IOrderGrain : IGrainWithGuidKey
{
    [Alias("Place")]
    Task<PlaceResult> Place(PlaceOrder command, CancellationToken cancellationToken = default);

    /// <summary>The order, or null when it was never placed.</summary>
    [ReadOnly, Alias("Get")]
    Task<OrderSnapshot?> Get(CancellationToken cancellationToken = default);

    [Alias("Update")]
    Task<CommandResult> Update(UpdateOrder command, CancellationToken cancellationToken = default);

    [Alias("ChangeStatus")]
    Task<CommandResult> ChangeStatus(ChangeStatus command, CancellationToken cancellationToken = default);
}

/// <summary>Reads over many orders (the day listing), answered from the orders table.</summary>
[Alias("Orderly.IOrderQueryGrain")]
public interface IOrderQueryGrain : IGrainWithIntegerKey
{
    [ReadOnly, Alias("ListByDay")]
    Task<OrderPage> ListByDay(DateOnly day, OrderCursor? after, int limit, CancellationToken cancellationToken = default);
}

/// <summary>Keyset position in a day listing: the last order seen.</summary>
[GenerateSerializer, Immutable, Alias("Orderly.OrderCursor")]
public sealed record OrderCursor([property: Id(0)] DateTimeOffset CreatedAt, [property: Id(1)] Guid Id);

[GenerateSerializer, Immutable, Alias("Orderly.OrderPage")]
public sealed record OrderPage(
    [property: Id(0)] System.Collections.Immutable.ImmutableArray<OrderSnapshot> Orders,
    [property: Id(1)] OrderCursor? Next);
