using Microsoft.Extensions.DependencyInjection;
using Orderly.Grains.Abstractions.Orders;
using Orderly.Grains.Storage;
using Orderly.Tests.Infrastructure;
using Orleans.Runtime.Placement;
using Orleans.TestingHost;

namespace Orderly.Tests.Orders;

/// <summary>
/// A silo that stops hands its loaded orders to a silo that stays, state and ETag included; a silo
/// that is killed cannot, and its orders come back from storage. Owns its cluster: it stops silos.
/// </summary>
public sealed class OrderHandoffTests : IAsyncLifetime
{
    private string _cs = "";

    public async Task InitializeAsync() => _cs = await TestDatabase.CreateMigratedSchemaAsync("handoff");

    public Task DisposeAsync() => TestDatabase.DropSchemaAsync(_cs);

    [Fact]
    public async Task Orders_on_a_stopped_silo_arrive_warm_and_orders_on_a_killed_silo_recover_from_storage()
    {
        await using var cluster = GrainClusterFixture.Build(_cs, silos: 2);
        await cluster.DeployAsync();
        var (staying, leaving) = (cluster.Silos[0], cluster.Silos[1]);
        var stayingCounts = staying.ServiceProvider.GetRequiredService<OrderStoreMetrics>();

        var handed = await PlaceOnAsync(cluster, leaving, 20);
        var reads = stayingCounts.Reads;
        await cluster.StopSiloAsync(leaving);

        foreach (var (grain, expected) in handed)
            Assert.Equal(expected, await grain.Get());
        Assert.Equal(handed.Count, stayingCounts.ArrivedWarm);
        Assert.Equal(reads, stayingCounts.Reads);
        // The ETag travelled too: the next write lands at the carried version.
        var (first, packed) = handed[0];
        var shipped = await first.ChangeStatus(new ChangeStatus(Guid.NewGuid(), OrderStatus.Shipped, ExpectedVersion: packed.Version));
        Assert.Equal(CommandOutcome.Applied, shipped.Outcome);
        Assert.Equal(packed.Version + 1, shipped.Order!.Version);

        var doomed = await cluster.StartAdditionalSiloAsync();
        await cluster.WaitForLivenessToStabilizeAsync();
        var lost = await PlaceOnAsync(cluster, doomed, 10);
        var warm = stayingCounts.ArrivedWarm;
        reads = stayingCounts.Reads;
        await cluster.KillSiloAsync(doomed);

        foreach (var (grain, expected) in lost)
        {
            // Until membership declares the killed silo dead, calls to it fail; then they land on the survivor.
            var read = await Eventually.Until(async () =>
            {
                try
                {
                    return await grain.Get();
                }
                catch (Exception e) when (e is SiloUnavailableException or TimeoutException or OrleansMessageRejectionException)
                {
                    return null;
                }
            }, o => o is not null, TimeSpan.FromSeconds(60), "a killed silo's order answering again");
            Assert.Equal(expected, read);
        }
        Assert.Equal(warm, stayingCounts.ArrivedWarm);
        Assert.Equal(reads + lost.Count, stayingCounts.Reads);
    }

    /// <summary>Places and packs orders on one silo (a placement hint), so each is loaded at version 2 there.</summary>
    private static async Task<List<(IOrderGrain Grain, OrderSnapshot Order)>> PlaceOnAsync(InProcessTestCluster cluster, InProcessSiloHandle silo, int count)
    {
        var placed = new List<(IOrderGrain, OrderSnapshot)>();
        RequestContext.Set(IPlacementDirector.PlacementHintKey, silo.SiloAddress);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var grain = cluster.Client.GetGrain<IOrderGrain>(OrderIds.New());
                await grain.Place(new PlaceOrder(Guid.NewGuid(), $"c-{i}", [new OrderLine("SKU-H", 1)], "1 Handoff St", null));
                placed.Add((grain, (await grain.ChangeStatus(new ChangeStatus(Guid.NewGuid(), OrderStatus.Packed, null))).Order!));
            }
        }
        finally
        {
            RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        }
        return placed;
    }
}
