using System.Collections.Immutable;
using System.Diagnostics;
using Orderly.Grains.Abstractions.Orders;
using Orderly.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Orderly.Tests.Orders;

/// <summary>
/// Defence in depth: a caller that is not the gateway (another service, a script with a cluster
/// client) still cannot make an order hold text Postgres refuses or that has no meaning in an order.
/// The grain answers Rejected — an outcome, not an exception — before touching storage.
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class UnstorableTextTests(GrainClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly ImmutableArray<OrderLine> OneA = [new("SKU-A", 1)];

    public static TheoryData<string, string, string, string?, string> Places() => new()
    {
        // name, customer, address, idempotency key, sku
        { "NUL in customerId", "c\u0000", "1 Main St", null, "SKU-A" },
        { "U+0001 in customerId", "\u0001", "1 Main St", null, "SKU-A" },
        { "NUL in deliveryAddress", "c-1", "1 Main St\u0000", null, "SKU-A" },
        { "line feed in deliveryAddress", "c-1", "1 Main St\nApt 2", null, "SKU-A" },
        { "C1 control in deliveryAddress", "c-1", "\u009b31m", null, "SKU-A" },
        { "NUL in the idempotency key", "c-1", "1 Main St", "k\u0000", "SKU-A" },
        { "DEL in a sku", "c-1", "1 Main St", null, "SKU\u007f" },
    };

    [Theory]
    [MemberData(nameof(Places))]
    public async Task A_place_holding_a_control_character_is_rejected_and_nothing_is_stored(string name, string customer, string address, string? key, string sku)
    {
        var id = OrderIds.New();
        var grain = fixture.Client.GetGrain<IOrderGrain>(id);

        var result = await grain.Place(new PlaceOrder(Guid.NewGuid(), customer, [new(sku, 1)], address, key));

        Assert.True(result.Outcome == PlaceOutcome.Rejected, name);
        Assert.Null(result.Order);
        Assert.Null(await grain.Get());
        Assert.Equal(0, await Rows(id));
    }

    [Fact]
    public async Task A_rejected_command_leaves_an_existing_order_exactly_as_it_was()
    {
        var grain = fixture.Client.GetGrain<IOrderGrain>(OrderIds.FromIdempotencyKey("c-u", "key-u"));
        var placed = await grain.Place(new PlaceOrder(Guid.NewGuid(), "c-u", OneA, "1 Main St", "key-u"));

        var replace = await grain.Place(new PlaceOrder(Guid.NewGuid(), "c-u", OneA, "1 Main St\u0000", "key-u"));
        var update = await grain.Update(new UpdateOrder(Guid.NewGuid(), [new("SKU\u0000", 2)], null, null));
        var address = await grain.Update(new UpdateOrder(Guid.NewGuid(), null, "2 High St\r\n", null));

        Assert.Equal(PlaceOutcome.Rejected, replace.Outcome);
        Assert.Equal(CommandOutcome.Rejected, update.Outcome);
        Assert.Equal(CommandOutcome.Rejected, address.Outcome);
        Assert.Null(update.Order);
        Assert.Equal(placed.Order, await grain.Get());
    }

    [Fact]
    public async Task A_rejected_place_costs_no_more_than_a_valid_one()
    {
        // Bad input must not hold a grain or a database connection longer than good input: the grain
        // refuses it before storage. Interleaved so that both see the same machine load.
        const int Rounds = 40;
        var good = new List<double>();
        var bad = new List<double>();
        for (var i = 0; i < Rounds; i++)
        {
            good.Add(await Time(fixture.Client.GetGrain<IOrderGrain>(OrderIds.New()), "c-timed"));
            bad.Add(await Time(fixture.Client.GetGrain<IOrderGrain>(OrderIds.New()), "c-timed\u0000"));
        }
        var (goodMedian, badMedian) = (Median(good), Median(bad));
        output.WriteLine($"median of {Rounds}: rejected place {badMedian:F2} ms, valid place {goodMedian:F2} ms");
        Assert.True(badMedian <= Math.Max(3 * goodMedian, 20),
            $"median of {Rounds}: rejected place {badMedian:F2} ms, valid place {goodMedian:F2} ms");
    }

    private static async Task<double> Time(IOrderGrain grain, string customer)
    {
        var clock = Stopwatch.StartNew();
        await grain.Place(new PlaceOrder(Guid.NewGuid(), customer, OneA, "1 Main St", null));
        return clock.Elapsed.TotalMilliseconds;
    }

    internal static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private async Task<long> Rows(Guid id)
    {
        await using var command = fixture.Db.CreateCommand("SELECT count(*) FROM orders WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
