using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Orderly.Grains.Abstractions.Orders;
using Orderly.Grains.Storage;
using Orleans.Serialization;

namespace Orderly.Bench.Micro;

/// <summary>
/// The two serializations on every write: order state to JSON for storage (and back when an
/// activation reads it), and the command and its result in Orleans' binary format between gateway and silo.
/// </summary>
[MemoryDiagnoser]
public class SerializationBenchmarks
{
    private readonly SystemTextJsonGrainStorageSerializer _json = new();
    private ServiceProvider _services = null!;
    private Serializer _orleans = null!;
    private OrderState _state = null!;
    private BinaryData _stored = null!;
    private PlaceResult _result = null!;

    [GlobalSetup]
    public void Setup()
    {
        _services = new ServiceCollection().AddSerializer(s => s.AddAssembly(typeof(PlaceOrder).Assembly)).BuildServiceProvider();
        _orleans = _services.GetRequiredService<Serializer>();
        _state = Samples.State();
        _stored = _json.Serialize(_state);
        _result = new PlaceResult(PlaceOutcome.Created, _state.ToSnapshot());
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark(Description = "state → JSON (storage write)")]
    public BinaryData StateToJson() => _json.Serialize(_state);

    [Benchmark(Description = "JSON → state (storage read)")]
    public OrderState? StateFromJson() => _json.Deserialize<OrderState>(_stored);

    [Benchmark(Description = "place command, Orleans binary round trip")]
    public PlaceOrder? CommandRoundTrip() => _orleans.Deserialize<PlaceOrder>(_orleans.SerializeToArray(Samples.Place));

    [Benchmark(Description = "place result, Orleans binary round trip")]
    public PlaceResult? ResultRoundTrip() => _orleans.Deserialize<PlaceResult>(_orleans.SerializeToArray(_result));
}
