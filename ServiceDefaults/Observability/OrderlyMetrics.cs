using System.Diagnostics.Metrics;
using Orderly.ServiceDefaults.Health;

namespace Orderly.ServiceDefaults.Observability;

/// <summary>
/// Orderly's own instruments (meter "Orderly"), named after OpenTelemetry conventions; exported as
/// Prometheus series such as orderly_orders_placed_total.
/// </summary>
public sealed class OrderlyMetrics : IDisposable
{
    public const string MeterName = "Orderly";

    private readonly Meter _meter;

    public OrderlyMetrics(IMeterFactory meters, Readiness readiness)
    {
        _meter = meters.Create(MeterName);
        OrdersPlaced = _meter.CreateCounter<long>("orderly.orders.placed", "{order}", "Orders created (201 answers).");
        OrdersUpdated = _meter.CreateCounter<long>("orderly.orders.updated", "{order}", "Applied changes to orders, by operation (update, status).");
        GrainCallRetries = _meter.CreateCounter<long>("orderly.grain_call.retries", "{retry}", "Grain calls retried by the gateway, by error.type.");
        GrainCallOutcomes = _meter.CreateCounter<long>("orderly.grain_call.retried_outcomes", "{call}", "What became of grain calls that needed retries: recovered or exhausted.");
        RequestsWhileDraining = _meter.CreateCounter<long>("orderly.http.requests_while_draining", "{request}", "Requests served after SIGTERM, during the drain window.");
        ShutdownPhaseDuration = _meter.CreateHistogram<double>("orderly.shutdown.phase.duration", "s", "How long each shutdown phase took, by phase.");
        _meter.CreateObservableGauge("orderly.readiness", () => readiness.IsReady ? 1 : 0, "{state}", "1 while this process takes traffic, 0 while starting or shutting down.");
    }

    public Counter<long> OrdersPlaced { get; }
    public Counter<long> OrdersUpdated { get; }
    public Counter<long> GrainCallRetries { get; }
    public Counter<long> GrainCallOutcomes { get; }
    public Counter<long> RequestsWhileDraining { get; }
    public Histogram<double> ShutdownPhaseDuration { get; }

    public void Dispose() => _meter.Dispose();
}
