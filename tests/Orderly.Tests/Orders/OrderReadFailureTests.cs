using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orderly.Grains.Abstractions;
using Orderly.Grains.Abstractions.Orders;
using Orderly.Grains.Storage;
using Orderly.Tests.Infrastructure;
using Orleans.Storage;

namespace Orderly.Tests.Orders;

/// <summary>
/// A failed read is not an order's fate: the next call reads storage again. The failure that once
/// stuck is the one that ends before it yields — Npgsql's "No suitable host was found" while every
/// host is marked down, as it is through a database failover — which an activation kept answering
/// from memory, without asking the database, until it was collected.
/// </summary>
public sealed class OrderReadFailureTests : IAsyncLifetime
{
    private string _cs = "";

    public async Task InitializeAsync() => _cs = await TestDatabase.CreateMigratedSchemaAsync("readfail");

    public Task DisposeAsync() => TestDatabase.DropSchemaAsync(_cs);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_activation_whose_read_failed_reads_again_on_the_next_call(bool failsBeforeYielding)
    {
        var failing = new FailingReads(failsBeforeYielding);
        await using var cluster = GrainClusterFixture.Build(_cs, silos: 1, silo => failing.Wrap(silo.Services));
        await cluster.DeployAsync();
        var id = Guid.CreateVersion7();
        var grain = cluster.Client.GetGrain<IOrderGrain>(id);
        var placed = await grain.Place(new PlaceOrder(Guid.NewGuid(), "c-1", [new("SKU-1", 1)], "1 Main St", "key-1"));
        Assert.Equal(PlaceOutcome.Created, placed.Outcome);
        // A second activation of the same order must read it: the first leaves.
        await cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        await WaitUntilAsync(async () => !await IsActiveAsync(cluster, id));

        failing.FailNext = 2;
        // The caller gets the silo's verdict, not the driver's exception: transient, named after its cause.
        for (var i = 0; i < 2; i++)
        {
            var failure = await Assert.ThrowsAsync<StorageFailureException>(() => grain.Get());
            Assert.True(failure.Transient);
            Assert.Equal(nameof(NpgsqlException), failure.Cause);
            Assert.Contains("No suitable host", failure.Message, StringComparison.Ordinal);
        }

        var read = await grain.Get();
        Assert.NotNull(read);
        Assert.Equal(placed.Order!.Version, read.Version);
        Assert.Equal(0, failing.FailNext);
    }

    private static async Task<bool> IsActiveAsync(Orleans.TestingHost.InProcessTestCluster cluster, Guid id)
    {
        var management = cluster.Client.GetGrain<IManagementGrain>(0);
        var grainId = cluster.Client.GetGrain<IOrderGrain>(id).GetGrainId();
        return (await management.GetActiveGrains(grainId.Type)).Contains(grainId);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> done)
    {
        for (var i = 0; i < 100 && !await done(); i++)
            await Task.Delay(50);
    }

    /// <summary>The real provider, whose next <see cref="FailNext"/> reads fail (synchronously, or after a yield).</summary>
    private sealed class FailingReads(bool beforeYielding)
    {
        private int _failNext;
        public int FailNext { get => Volatile.Read(ref _failNext); set => Volatile.Write(ref _failNext, value); }

        public void Wrap(IServiceCollection services)
        {
            var real = services.Single(d => d.ServiceType == typeof(IGrainStorage) && Equals(d.ServiceKey, OrderStore.StorageName));
            services.Remove(real);
            services.AddKeyedSingleton<IGrainStorage>(OrderStore.StorageName, (sp, key) =>
                new Storage((IGrainStorage)real.KeyedImplementationFactory!(sp, key), this));
        }

        private sealed class Storage(IGrainStorage inner, FailingReads owner) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
        {
            public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
            {
                if (Interlocked.Decrement(ref owner._failNext) >= 0)
                    return owner.FailAsync();
                Interlocked.Exchange(ref owner._failNext, 0);
                return inner.ReadStateAsync(stateName, grainId, grainState);
            }

            public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
                inner.WriteStateAsync(stateName, grainId, grainState);

            public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
                inner.ClearStateAsync(stateName, grainId, grainState);

            public void Participate(ISiloLifecycle lifecycle) => (inner as ILifecycleParticipant<ISiloLifecycle>)?.Participate(lifecycle);
        }

        private async Task FailAsync()
        {
            if (!beforeYielding)
                await Task.Yield();
            throw new NpgsqlException("No suitable host was found.");
        }
    }
}
