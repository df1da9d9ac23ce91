using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Orderly.Gateway.Errors;
using Orderly.ServiceDefaults.Shutdown;

namespace Orderly.Gateway.Hosting;

/// <summary>The gateway's web host: its two listeners and their limits, the request timeout, the shutdown timeline.</summary>
public static class GatewayHost
{
    public static WebApplicationBuilder AddGatewayHost(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<GatewayHostOptions>()
            .Bind(builder.Configuration.GetSection(GatewayHostOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<GatewayHostOptions>>((k, o) =>
            {
                // Two listeners, as the silo has: the public one and the operators' (ManagementListener).
                k.Listen(o.Value.Listen, o.Value.Port);
                k.Listen(o.Value.Listen, o.Value.ManagementPort);
                k.AddServerHeader = false;
                k.Limits.MaxRequestBodySize = o.Value.MaxRequestBodyBytes;
                k.Limits.MaxRequestHeadersTotalSize = o.Value.MaxRequestHeadersBytes;
                k.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(o.Value.KeepAliveTimeoutSeconds);
                k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(o.Value.RequestHeadersTimeoutSeconds);
                k.Limits.MaxConcurrentConnections = o.Value.MaxConcurrentConnections;
                k.Limits.MaxConcurrentUpgradedConnections = 0;
            });
        builder.AddOrderlyShutdown(defaultDrainSeconds: 15);
        builder.Services.AddRequestTimeouts();
        builder.Services.AddOptions<RequestTimeoutOptions>()
            .Configure<IOptions<GatewayHostOptions>>((t, o) => t.DefaultPolicy = new RequestTimeoutPolicy
            {
                Timeout = TimeSpan.FromSeconds(o.Value.RequestTimeoutSeconds),
                TimeoutStatusCode = StatusCodes.Status503ServiceUnavailable,
                WriteTimeoutResponse = http => Unavailable.WriteAsync(http, "The request took too long; retry shortly."),
            });
        builder.Services.AddHostedService<ReadyWhenStarted>();
        return builder;
    }
}
