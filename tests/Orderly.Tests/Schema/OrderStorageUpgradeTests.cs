using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orderly.Grains.Abstractions.Orders;
using Orderly.Grains.Storage.Schema;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Schema;

/// <summary>
/// Version 3 moves order state from the generic grain-state table into the orders row. These tests
/// start from version 2 with orders written by silos that cached the version-2 query texts.
/// </summary>
public sealed class OrderStorageUpgradeTests : IAsyncLifetime
{
    private const int PreviousVersion = 2;
    private string _cs = "";
    private NpgsqlDataSource _db = null!;

    public async Task InitializeAsync()
    {
        _cs = await TestDatabase.CreateSchemaAsync("upgrade");
        _db = NpgsqlDataSource.Create(_cs);
    }

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        await TestDatabase.DropSchemaAsync(_cs);
    }

    [Fact]
    public async Task Orders_written_in_the_old_shape_are_read_back_after_the_upgrade_and_old_silos_keep_working()
    {
        var migrator = new SchemaMigrator(_db, NullLogger<SchemaMigrator>.Instance);
        await migrator.ApplyAsync(PreviousVersion);

        // A silo of the previous build: it reads the query texts once, at start, and keeps them.
        var old = GrainClusterFixture.Build(_cs, silos: 1);
        await old.DeployAsync();

        // Orders as the previous build stored them: through the version-2 write function, in the
        // previous document shape (the id inside, applied commands as objects).
        var orders = new List<OrderSnapshot>();
        for (var i = 0; i < 6; i++)
        {
            var now = DateTimeOffset.UtcNow;
            var at = now.AddTicks(-(now.Ticks % 10));   // Postgres keeps microseconds
            var order = new OrderSnapshot(OrderIds.New(), OrderStatus.Placed, $"c-{i}", [new OrderLine("SKU-1", i + 1)], "1 Main St", at, at, 1, $"k-{i}");
            Assert.Equal(1, await WriteOldShape(old.Options.ServiceId, order, null));
            if (i % 2 == 1)
            {
                order = order with { Status = OrderStatus.Packed, Version = 2, UpdatedAt = at.AddSeconds(1) };
                Assert.Equal(2, await WriteOldShape(old.Options.ServiceId, order, 1));
            }
            orders.Add(order);
        }
        Assert.Equal(6, await Scalar<long>("SELECT count(*) FROM orleansstorage WHERE graintypestring = 'order'"));

        Assert.Equal([3], await migrator.ApplyAsync(3));

        Assert.Equal(0, await Scalar<long>("SELECT count(*) FROM orleans_grain_state"));
        Assert.Equal(6, await Scalar<long>("SELECT count(*) FROM orders"));
        Assert.Equal(6, await Scalar<long>("SELECT count(*) FROM orders WHERE doc ? 'recentCommands' AND doc ? 'placedBy'"));

        // The old silo, still on its cached texts: a fresh activation reads through the compatibility
        // view and writes through the function, at the version the view gave it.
        var first = old.Client.GetGrain<IOrderGrain>(orders[0].Id);
        await old.DeactivateAsync(first);
        Assert.Equal(orders[0], await first.Get());
        var packed = await first.ChangeStatus(new ChangeStatus(Guid.NewGuid(), OrderStatus.Packed, ExpectedVersion: 1));
        Assert.Equal(CommandOutcome.Applied, packed.Outcome);
        orders[0] = packed.Order!;
        var late = old.Client.GetGrain<IOrderGrain>(OrderIds.New());
        orders.Add((await late.Place(new PlaceOrder(Guid.NewGuid(), "c-late", [new OrderLine("SKU-2", 1)], "2 High St", null))).Order!);
        await old.DeactivateAsync(late);
        Assert.Equal(orders[^1], await late.Get());
        await old.DisposeAsync();

        // Applying version 3's script again changes nothing.
        var before = await Fingerprint();
        await using (var again = _db.CreateCommand(SchemaMigrator.Migrations.Single(m => m.Version == 3).Sql))
            await again.ExecuteNonQueryAsync();
        Assert.Equal(before, await Fingerprint());

        // The later migrations on top, over the orders already there (0004 leaves room on new pages only).
        Assert.Equal(SchemaMigrator.Migrations.Where(m => m.Version > 3).Select(m => m.Version), await migrator.ApplyAsync());

        // A silo of this build reads every order back through the grain, and the day listing shows them all.
        var current = GrainClusterFixture.Build(_cs, silos: 1);
        await current.DeployAsync();
        try
        {
            foreach (var order in orders)
                Assert.Equal(order, await current.Client.GetGrain<IOrderGrain>(order.Id).Get());
            var listed = await current.Client.GetGrain<IOrderQueryGrain>(0).ListByDay(DateOnly.FromDateTime(DateTime.UtcNow), null, 100);
            Assert.Equal(orders.OrderBy(o => o.CreatedAt).ThenBy(o => o.Id), listed.Orders);
            Assert.Equal(0, await Scalar<long>("SELECT count(*) FROM orleans_grain_state"));
        }
        finally
        {
            await current.DisposeAsync();
        }
    }

    private async Task<int> WriteOldShape(string serviceId, OrderSnapshot order, int? expected)
    {
        var commands = string.Join(",", Enumerable.Range(1, order.Version).Select(v => $$"""{"commandId":"{{Guid.NewGuid()}}","version":{{v}}}"""));
        var doc = $$"""
            {"id":"{{order.Id}}","status":"{{order.Status.ToString().ToLowerInvariant()}}","customerId":"{{order.CustomerId}}",
             "items":[{"sku":"{{order.Items[0].Sku}}","quantity":{{order.Items[0].Quantity}}}],"deliveryAddress":"{{order.DeliveryAddress}}",
             "createdAt":"{{order.CreatedAt:O}}","updatedAt":"{{order.UpdatedAt:O}}","version":{{order.Version}},
             "idempotencyKey":"{{order.IdempotencyKey}}","placedBy":"{{Guid.NewGuid()}}","recentCommands":[{{commands}}]}
            """;
        var key = order.Id.ToByteArray();   // how the ADO.NET provider splits a Guid key
        await using var command = _db.CreateCommand("SELECT orderly_write_state(0, @n0, @n1, 0, 'order', NULL, @service, @expected, convert_to(@doc, 'UTF8'))");
        command.Parameters.AddWithValue("n0", BitConverter.ToInt64(key, 0));
        command.Parameters.AddWithValue("n1", BitConverter.ToInt64(key, 8));
        command.Parameters.AddWithValue("service", serviceId);
        command.Parameters.Add(new NpgsqlParameter<int?>("expected", expected));
        command.Parameters.AddWithValue("doc", doc);
        return (int)(await command.ExecuteScalarAsync())!;
    }

    private Task<string> Fingerprint() => Scalar<string>("""
        SELECT (SELECT count(*) FROM orleans_grain_state) || ':' || (SELECT count(*) FROM orders) || ':' ||
               (SELECT md5(string_agg(id::text || version || doc::text, ',' ORDER BY id)) FROM orders) || ':' ||
               (SELECT md5(string_agg(querykey || querytext, ',' ORDER BY querykey)) FROM orleansquery)
        """);

    private async Task<T> Scalar<T>(string sql)
    {
        await using var command = _db.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
