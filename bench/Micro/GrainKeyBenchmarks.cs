using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orderly.Grains.Abstractions.Orders;

namespace Orderly.Bench.Micro;

/// <summary>What the gateway does per request to find the grain: make or derive the order id, then a grain reference.</summary>
[MemoryDiagnoser]
public class GrainKeyBenchmarks
{
    private IHost _client = null!;
    private IGrainFactory _grains = null!;
    private readonly Guid _id = Guid.CreateVersion7();

    [GlobalSetup]
    public void Setup()
    {
        // A silo host that is built but never started: it knows the grain types from its own
        // assemblies, and grain references are made locally, as the gateway's client makes them.
        _client = Host.CreateDefaultBuilder().UseOrleans(s => s.UseLocalhostClustering()).Build();
        _grains = _client.Services.GetRequiredService<IGrainFactory>();
    }

    [GlobalCleanup]
    public void Cleanup() => _client.Dispose();

    [Benchmark(Description = "new order id (UUID v7)")]
    public Guid NewId() => OrderIds.New();

    [Benchmark(Description = "id from Idempotency-Key (UUID v5)")]
    public Guid IdFromKey() => OrderIds.FromIdempotencyKey(Samples.Place.CustomerId, Samples.Place.IdempotencyKey!);

    [Benchmark(Description = "grain reference for an id")]
    public IOrderGrain GrainReference() => _grains.GetGrain<IOrderGrain>(_id);
}
