using System.Diagnostics.Metrics;

namespace Orderly.Grains.Storage;

/// <summary>
/// How order activations got their state (meter "Orderly.Orders"): read from storage, or handed over
/// warm by a silo that was leaving. Exported as orderly_orders_storage_reads_total and
/// orderly_orders_arrived_warm_total; the bench and tests read the totals from here.
/// </summary>
public sealed class OrderStoreMetrics : IDisposable
{
    public const string MeterName = "Orderly.Orders";

    private readonly Meter _meter;
    private long _reads;
    private long _arrivedWarm;

    public OrderStoreMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _meter.CreateObservableCounter("orderly.orders.storage_reads", () => Reads, "{read}", "Order rows read from storage by order activations.");
        _meter.CreateObservableCounter("orderly.orders.arrived_warm", () => ArrivedWarm, "{order}", "Order activations that started from state handed over by a leaving silo.");
    }

    public long Reads => Interlocked.Read(ref _reads);

    public long ArrivedWarm => Interlocked.Read(ref _arrivedWarm);

    public void Read() => Interlocked.Increment(ref _reads);

    public void Warm() => Interlocked.Increment(ref _arrivedWarm);

    public void Dispose() => _meter.Dispose();
}
