using System.Collections.Immutable;
using System.Text.Json;
using Npgsql;
using Orderly.Grains.Abstractions.Orders;

namespace Orderly.Grains.Storage;

/// <summary>
/// The day listing's query: a page of the orders created on one day, in (created_at, id) order, read
/// from the same rows the order grains write their state to, so a listing never disagrees with an
/// acknowledged write. Keyset paging: the cursor is the last row's (created_at, id), and the index on
/// (created_day, created_at, id) serves every page without an offset.
/// </summary>
public sealed class OrderListing(NpgsqlDataSource db)
{
    private const string Sql = """
        SELECT doc, id FROM orders
        WHERE created_day = @day
          AND (@after_at::timestamptz IS NULL OR (created_at, id) > (@after_at, @after_id))
        ORDER BY created_at, id
        LIMIT @take
        """;

    public async Task<OrderPage> ReadDayAsync(DateOnly day, OrderCursor? after, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = db.CreateCommand(Sql);
        command.Parameters.AddWithValue("day", day);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("after_at", after?.CreatedAt.ToUniversalTime()));
        command.Parameters.Add(new NpgsqlParameter<Guid?>("after_id", after?.Id));
        command.Parameters.AddWithValue("take", limit + 1);

        var orders = ImmutableArray.CreateBuilder<OrderSnapshot>(limit);
        var more = false;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (orders.Count == limit)
            {
                more = true;
                break;
            }
            var doc = reader.GetFieldValue<string>(0);
            var order = JsonSerializer.Deserialize(doc, OrderStateJson.Default.OrderState)
                ?? throw new InvalidDataException("orders.doc holds JSON null");
            order.Id = reader.GetGuid(1);
            orders.Add(order.ToSnapshot());
        }
        var page = orders.ToImmutable();
        return new OrderPage(page, more ? new OrderCursor(page[^1].CreatedAt, page[^1].Id) : null);
    }
}
