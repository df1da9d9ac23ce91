using Microsoft.Extensions.Options;

namespace Orderly.Gateway.Hosting;

/// <summary>
/// What the gateway's management port (Gateway:ManagementPort) serves: /metrics, else 404. The public
/// port has no such route at all, so no spelling of the path (case, percent-encoding, trailing slash,
/// dot segments) reaches the metrics through the load balancer.
/// </summary>
public static class ManagementListener
{
    public const string MetricsPath = "/metrics";

    /// <summary>
    /// Placed first in the pipeline: requests that arrived on the management port end here, and
    /// scrapes never count as traffic (drain counters, the API's request metrics).
    /// </summary>
    public static WebApplication UseManagementListener(this WebApplication app)
    {
        var port = app.Services.GetRequiredService<IOptions<GatewayHostOptions>>().Value.ManagementPort;
        // The port the connection arrived on, not the Host header: a client chooses the header.
        app.MapWhen(http => http.Connection.LocalPort == port, management =>
        {
            management.UseOpenTelemetryPrometheusScrapingEndpoint(
                meterProvider: null,
                predicate: http => http.Request.Path == MetricsPath,
                path: null,
                configureBranchedPipeline: null,
                optionsName: null);
            management.Run(http =>
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            });
        });
        return app;
    }
}
