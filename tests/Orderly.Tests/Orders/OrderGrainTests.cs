using System.Collections.Immutable;
using System.Text.Json;
using Orderly.Grains.Abstractions.Orders;
using Orderly.Grains.Orders;
using Orderly.Grains.Storage;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Orders;

[Collection(GrainClusterCollection.Name)]
public sealed class OrderGrainTests(GrainClusterFixture fixture)
{
    private static readonly ImmutableArray<OrderLine> TwoOfA = [new("SKU-A", 2)];

    private static PlaceOrder Place(string customer = "c-1", string? key = null, ImmutableArray<OrderLine>? items = null) =>
        new(Guid.NewGuid(), customer, items ?? TwoOfA, "1 Main St", key);

    private IOrderGrain NewOrder() => fixture.Client.GetGrain<IOrderGrain>(OrderIds.New());

    [Fact]
    public async Task Placing_an_order_creates_it_at_version_1_and_it_can_be_read_back()
    {
        var grain = NewOrder();
        var placed = await grain.Place(Place());

        Assert.Equal(PlaceOutcome.Created, placed.Outcome);
        Assert.Equal(1, placed.Order!.Version);
        Assert.Equal(OrderStatus.Placed, placed.Order.Status);
        Assert.Equal(placed.Order, await grain.Get());
    }

    [Fact]
    public async Task An_order_never_placed_reads_as_null_and_commands_on_it_are_not_found()
    {
        var grain = NewOrder();
        Assert.Null(await grain.Get());
        var result = await grain.ChangeStatus(new ChangeStatus(Guid.NewGuid(), OrderStatus.Packed, null));
        Assert.Equal(CommandOutcome.NotFound, result.Outcome);
    }

    [Fact]
    public async Task A_redelivered_place_command_answers_created_again_and_changes_nothing()
    {
        var grain = NewOrder();
        var command = Place();
        var first = await grain.Place(command);
        var again = await grain.Place(command);

        Assert.Equal(PlaceOutcome.Created, again.Outcome);
        Assert.Equal(first.Order, again.Order);
    }

    [Fact]
    public async Task Placing_the_same_order_twice_with_one_key_returns_the_first_one()
    {
        var id = OrderIds.FromIdempotencyKey("c-7", "key-1");
        var grain = fixture.Client.GetGrain<IOrderGrain>(id);
        var first = await grain.Place(Place("c-7", "key-1"));
        var second = await grain.Place(Place("c-7", "key-1"));

        Assert.Equal(PlaceOutcome.Created, first.Outcome);
        Assert.Equal(PlaceOutcome.AlreadyPlaced, second.Outcome);
        Assert.Equal(first.Order, second.Order);
    }

    [Fact]
    public async Task Reusing_a_key_with_a_different_body_is_refused_and_keeps_the_first_order()
    {
        var grain = fixture.Client.GetGrain<IOrderGrain>(OrderIds.FromIdempotencyKey("c-8", "key-2"));
        var first = await grain.Place(Place("c-8", "key-2"));
        var other = await grain.Place(Place("c-8", "key-2", [new OrderLine("SKU-B", 9)]));

        Assert.Equal(PlaceOutcome.KeyReusedWithDifferentBody, other.Outcome);
        Assert.Equal(first.Order, await grain.Get());
    }

    [Fact]
    public async Task Status_moves_forward_through_the_delivery_lifecycle()
    {
        var grain = NewOrder();
        await grain.Place(Place());
        foreach (var (status, version) in new[] { (OrderStatus.Packed, 2), (OrderStatus.Shipped, 3), (OrderStatus.Delivered, 4) })
        {
            var result = await grain.ChangeStatus(new ChangeStatus(Guid.NewGuid(), status, null));
            Assert.Equal(CommandOutcome.Applied, result.Outcome);
            Assert.Equal(status, result.Order!.Status);
            Assert.Equal(version, result.Order.Version);
        }
    }

    [Theory]
    [InlineData(OrderStatus.Shipped)]
    [InlineData(OrderStatus.Delivered)]
    [InlineData(OrderStatus.Placed)]
    public async Task Skipping_or_repeating_a_status_is_an_illegal_transition_and_changes_nothing(OrderStatus target)
    {
        var grain = NewOrder();
        var placed = await grain.Place(Place());
        var result = await grain.ChangeStatus(new ChangeStatus(Guid.NewGuid(), target, null));

        Assert.Equal(CommandOutcome.IllegalTransition, result.Outcome);
        Assert.Equal(placed.Order, await grain.Get());
    }

    [Fact]
    public async Task An_order_can_be_cancelled_while_packed_but_not_once_shipped()
    {
        var packed = NewOrder();
        await packed.Place(Place());
        await packed.ChangeStatus(new ChangeStatus(Guid.NewGuid(), OrderStatus.Packed, null));
        Assert.Equal(CommandOutcome.Applied, (await packed.ChangeStatus(new ChangeStatus(Guid.NewGuid(), OrderStatus.Cancelled, null))).Outcome);

        var shipped = NewOrder();
        await shipped.Place(Place());
        await shipped.ChangeStatus(new ChangeStatus(Guid.NewGuid(), OrderStatus.Packed, null));
        await shipped.ChangeStatus(new ChangeStatus(Guid.NewGuid(), OrderStatus.Shipped, null));
        Assert.Equal(CommandOutcome.IllegalTransition, (await shipped.ChangeStatus(new ChangeStatus(Guid.NewGuid(), OrderStatus.Cancelled, null))).Outcome);
    }

    [Fact]
    public async Task Items_and_address_can_change_while_open_but_not_after_shipping()
    {
        var grain = NewOrder();
        await grain.Place(Place());
        var updated = await grain.Update(new UpdateOrder(Guid.NewGuid(), [new OrderLine("SKU-Z", 5)], "2 High St", null));
        Assert.Equal(CommandOutcome.Applied, updated.Outcome);
        Assert.Equal("2 High St", updated.Order!.DeliveryAddress);
        Assert.Equal(new[] { new OrderLine("SKU-Z", 5) }, updated.Order.Items.ToArray());

        await grain.ChangeStatus(new ChangeStatus(Guid.NewGuid(), OrderStatus.Packed, null));
        await grain.ChangeStatus(new ChangeStatus(Guid.NewGuid(), OrderStatus.Shipped, null));
        var refused = await grain.Update(new UpdateOrder(Guid.NewGuid(), null, "3 Low St", null));
        Assert.Equal(CommandOutcome.NotAllowedInStatus, refused.Outcome);
        Assert.Equal("2 High St", (await grain.Get())!.DeliveryAddress);
    }

    [Fact]
    public async Task A_stale_expected_version_is_refused_and_changes_nothing()
    {
        var grain = NewOrder();
        await grain.Place(Place());
        await grain.Update(new UpdateOrder(Guid.NewGuid(), null, "2 High St", ExpectedVersion: 1));
        var stale = await grain.Update(new UpdateOrder(Guid.NewGuid(), null, "3 Low St", ExpectedVersion: 1));

        Assert.Equal(CommandOutcome.StaleVersion, stale.Outcome);
        Assert.Equal(2, stale.Order!.Version);
        Assert.Equal("2 High St", (await grain.Get())!.DeliveryAddress);
    }

    [Fact]
    public async Task A_repeated_command_returns_its_first_result_and_is_applied_once()
    {
        var grain = NewOrder();
        await grain.Place(Place());
        var command = new ChangeStatus(Guid.NewGuid(), OrderStatus.Packed, ExpectedVersion: 1);
        var first = await grain.ChangeStatus(command);
        var repeat = await grain.ChangeStatus(command);

        Assert.Equal(CommandOutcome.Applied, first.Outcome);
        Assert.Equal(CommandOutcome.Applied, repeat.Outcome);
        Assert.Equal(2, (await grain.Get())!.Version);
    }

    [Fact]
    public async Task Remembered_command_ids_are_bounded()
    {
        var grain = NewOrder();
        await grain.Place(Place());
        var first = new UpdateOrder(Guid.NewGuid(), null, "addr-0", null);
        await grain.Update(first);
        var limit = new OrderRulesOptions().RememberedCommands;
        for (var i = 1; i <= limit; i++)
            await grain.Update(new UpdateOrder(Guid.NewGuid(), null, $"addr-{i}", null));

        var stored = await ReadStoredState(grain.GetPrimaryKey());
        Assert.Equal(limit, stored.Deserialize(OrderStateJson.Default.OrderState)!.RecentCommands.Length);
        // The oldest id has been forgotten: delivering it now applies it as a new command.
        var late = await grain.Update(first);
        Assert.Equal("addr-0", late.Order!.DeliveryAddress);
    }

    [Fact]
    public async Task A_place_reaching_a_fresh_activation_of_a_stored_order_answers_from_storage_and_writes_nothing()
    {
        // A new activation places without reading first; storage refuses that insert when the order
        // exists, and the grain must then answer exactly as if it had read first.
        var id = OrderIds.FromIdempotencyKey("c-9", "key-fresh");
        var grain = fixture.Client.GetGrain<IOrderGrain>(id);
        var command = Place("c-9", "key-fresh");
        var first = await grain.Place(command);
        var stored = await ReadStoredState(id);

        await fixture.Cluster.DeactivateAsync(grain);
        var redelivered = await grain.Place(command);
        Assert.Equal(PlaceOutcome.Created, redelivered.Outcome);
        Assert.Equal(first.Order, redelivered.Order);

        await fixture.Cluster.DeactivateAsync(grain);
        var repeated = await grain.Place(Place("c-9", "key-fresh"));
        Assert.Equal(PlaceOutcome.AlreadyPlaced, repeated.Outcome);
        Assert.Equal(first.Order, repeated.Order);

        await fixture.Cluster.DeactivateAsync(grain);
        var reused = await grain.Place(Place("c-9", "key-fresh", [new OrderLine("SKU-B", 9)]));
        Assert.Equal(PlaceOutcome.KeyReusedWithDifferentBody, reused.Outcome);
        Assert.Equal(first.Order, reused.Order);

        Assert.Equal(stored.GetRawText(), (await ReadStoredState(id)).GetRawText());
        // The activation that lost its blind insert has loaded the order and keeps working.
        var packed = await grain.ChangeStatus(new ChangeStatus(Guid.NewGuid(), OrderStatus.Packed, ExpectedVersion: 1));
        Assert.Equal(CommandOutcome.Applied, packed.Outcome);
        Assert.Equal(2, packed.Order!.Version);
    }

    [Fact]
    public async Task An_order_read_before_it_is_placed_is_then_placed_normally()
    {
        var grain = NewOrder();
        Assert.Null(await grain.Get());
        var placed = await grain.Place(Place());
        Assert.Equal(PlaceOutcome.Created, placed.Outcome);
        await fixture.Cluster.DeactivateAsync(grain);
        Assert.Equal(placed.Order, await grain.Get());
    }

    [Fact]
    public async Task State_is_durable_across_deactivation_and_stored_as_plain_json()
    {
        var grain = NewOrder();
        var placed = await grain.Place(Place());
        await fixture.Cluster.DeactivateAsync(grain);

        Assert.Equal(placed.Order, await grain.Get());
        var stored = await ReadStoredState(grain.GetPrimaryKey());
        Assert.Equal("placed", stored.GetProperty("status").GetString());
        Assert.Equal("c-1", stored.GetProperty("customerId").GetString());
        Assert.DoesNotContain("$type", stored.GetRawText());
        Assert.DoesNotContain("Orderly.", stored.GetRawText());
    }

    [Fact]
    public async Task Every_acknowledged_write_is_in_the_orders_table_at_the_same_version()
    {
        var grain = NewOrder();
        await grain.Place(Place("c-orders"));
        var packed = await grain.ChangeStatus(new ChangeStatus(Guid.NewGuid(), OrderStatus.Packed, null));

        await using var command = fixture.Db.CreateCommand(
            "SELECT status, version, customer_id, created_at, doc::text FROM orders WHERE id = @id");
        command.Parameters.AddWithValue("id", grain.GetPrimaryKey());
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("packed", reader.GetString(0));
        Assert.Equal(packed.Order!.Version, reader.GetInt32(1));
        Assert.Equal("c-orders", reader.GetString(2));
        Assert.Equal(packed.Order.CreatedAt, reader.GetFieldValue<DateTimeOffset>(3));
        Assert.Contains("recentCommands", reader.GetString(4));
    }

    [Fact]
    public async Task The_day_listing_pages_through_orders_oldest_first()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            var grain = NewOrder();
            ids.Add((await grain.Place(Place("c-list"))).Order!.Id);
        }
        var day = DateOnly.FromDateTime(DateTime.UtcNow);
        var query = fixture.Client.GetGrain<IOrderQueryGrain>(0);
        var seen = new List<Guid>();
        OrderCursor? cursor = null;
        do
        {
            var page = await query.ListByDay(day, cursor, 2);
            Assert.True(page.Orders.Length <= 2);
            seen.AddRange(page.Orders.Select(o => o.Id));
            cursor = page.Next;
        }
        while (cursor is not null);

        var mine = seen.Where(ids.Contains).ToList();
        Assert.Equal(ids, mine);
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }

    private async Task<JsonElement> ReadStoredState(Guid id)
    {
        await using var command = fixture.Db.CreateCommand("SELECT doc::text FROM orders WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        var json = (string)(await command.ExecuteScalarAsync())!;
        return JsonDocument.Parse(json).RootElement.Clone();
    }
}
