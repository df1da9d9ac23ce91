using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;

namespace Orderly.ServiceDefaults.Observability;

public static class ObservabilityExtensions
{
    /// <summary>
    /// OpenTelemetry metrics, scraped by Prometheus at /metrics: ASP.NET Core, HttpClient and .NET runtime
    /// instrumentation, Orleans' own meter, and Orderly's.
    /// </summary>
    public static IHostApplicationBuilder AddOrderlyMetrics(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<OrderlyMetrics>();
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddAspNetCoreInstrumentation()
            .AddHttpClientInstrumentation()
            .AddRuntimeInstrumentation()
            .AddMeter("Microsoft.Orleans")
            .AddMeter(OrderlyMetrics.MeterName)
            .AddMeter("Orderly.Orders")
            // Npgsql's own meter: connection pool usage and command durations (docs/observability.md).
            .AddMeter("Npgsql")
            // Every scrape sees the present (readiness flips within a drain window), not a cached copy.
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        return builder;
    }

    public static IEndpointRouteBuilder MapOrderlyMetrics(this IEndpointRouteBuilder app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
