using Npgsql;
using Orderly.Grains.Abstractions.Orders;
using Orderly.Grains.Storage;
using Orleans.Concurrency;

namespace Orderly.Grains.Orders;

/// <summary>
/// Serves the day listing (<see cref="OrderListing"/>, in the storage room). Stateless: any silo
/// answers, several at once.
/// </summary>
[StatelessWorker]
public sealed class OrderQueryGrain(NpgsqlDataSource db) : Grain, IOrderQueryGrain
{
    private readonly OrderListing _listing = new(db);

    public Task<OrderPage> ListByDay(DateOnly day, OrderCursor? after, int limit, CancellationToken cancellationToken = default) =>
        _listing.ReadDayAsync(day, after, limit, cancellationToken);
}
