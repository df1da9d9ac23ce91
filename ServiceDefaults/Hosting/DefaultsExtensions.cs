using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orderly.ServiceDefaults.Health;
using Orderly.ServiceDefaults.Observability;

namespace Orderly.ServiceDefaults.Hosting;

public static class DefaultsExtensions
{
    /// <summary>What every Orderly host starts with: one-line UTC logs, readiness state, metrics (the silo adds its database itself).</summary>
    public static IHostApplicationBuilder AddOrderlyDefaults(this IHostApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        // Start-up failures are reported once, on one line, by FailFast; the host would add a stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        // Polly reports every attempt at Information; Orderly logs its retries itself.
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });
        builder.Services.AddReadiness();
        builder.AddOrderlyMetrics();
        builder.Services.TryAddSingleton(TimeProvider.System);
        return builder;
    }
}
