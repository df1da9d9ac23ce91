using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Orderly.ServiceDefaults.Health;
using Orderly.ServiceDefaults.Observability;
using Orderly.ServiceDefaults.Shutdown;

namespace Orderly.Gateway.Hosting;

public sealed class GatewayHostOptions : IValidatableObject
{
    public const string Section = "Gateway";

    /// <summary>Address both listeners bind to: 127.0.0.1 locally, 0.0.0.0 in a pod.</summary>
    [Required]
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>The public port: the API and health, what the load balancer sends to. Locally 5100 + i; 0 takes any free port.</summary>
    [Range(0, 65535)]
    public int Port { get; set; } = 5100;

    /// <summary>
    /// The operators' port: /metrics, and nothing the load balancer routes. Locally 5300 + i, next to the
    /// silos' management ports (5200 + i); in Kubernetes no Service or Ingress names it.
    /// </summary>
    [Range(1, 65535)]
    public int ManagementPort { get; set; } = 5300;

    /// <summary>Largest accepted request body; larger ones get 413 before any of it is parsed.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>Largest accepted request line plus headers.</summary>
    [Range(4 * 1024, 1024 * 1024)]
    public int MaxRequestHeadersBytes { get; set; } = 32 * 1024;

    /// <summary>A client must finish sending request headers within this (slow-loris guard); else 408 and the connection closes.</summary>
    [Range(1, 300)]
    public int RequestHeadersTimeoutSeconds { get; set; } = 10;

    /// <summary>A request may take this long in all (above the grain-call budget); past it, 503 with Retry-After.</summary>
    [Range(1, 600)]
    public int RequestTimeoutSeconds { get; set; } = 15;

    /// <summary>Open connections at most; more wait in the accept queue. HTTP/1.1 serves one request at a time per connection.</summary>
    [Range(1, 1_000_000)]
    public int MaxConcurrentConnections { get; set; } = 10_000;

    /// <summary>The load balancer's idle timeout (ALB default 60 s; the local HAProxy uses the same).</summary>
    [Range(1, 4000)]
    public int LoadBalancerIdleTimeoutSeconds { get; set; } = 60;

    /// <summary>
    /// Kestrel's keep-alive timeout. It must outlast the load balancer's idle timeout, or the gateway
    /// closes a connection the balancer is about to reuse and that request fails.
    /// </summary>
    [Range(1, 4000)]
    public int KeepAliveTimeoutSeconds { get; set; } = 75;

    public IPAddress Listen => IPAddress.Parse(ListenAddress);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!IPAddress.TryParse(ListenAddress, out _))
            yield return new ValidationResult($"Gateway:ListenAddress '{ListenAddress}' is not an IP address", [nameof(ListenAddress)]);
        if (Port == ManagementPort)
            yield return new ValidationResult($"Gateway:Port and Gateway:ManagementPort must differ (both {Port}): operator endpoints never share the public port", [nameof(ManagementPort)]);
        if (KeepAliveTimeoutSeconds <= LoadBalancerIdleTimeoutSeconds)
            yield return new ValidationResult(
                $"Gateway:KeepAliveTimeoutSeconds ({KeepAliveTimeoutSeconds}) must be greater than Gateway:LoadBalancerIdleTimeoutSeconds ({LoadBalancerIdleTimeoutSeconds})",
                [nameof(KeepAliveTimeoutSeconds)]);
    }
}

public static class GatewayHostExtensions
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
        builder.Services.AddOptions<Microsoft.AspNetCore.Http.Timeouts.RequestTimeoutOptions>()
            .Configure<IOptions<GatewayHostOptions>>((t, o) => t.DefaultPolicy = new Microsoft.AspNetCore.Http.Timeouts.RequestTimeoutPolicy
            {
                Timeout = TimeSpan.FromSeconds(o.Value.RequestTimeoutSeconds),
                TimeoutStatusCode = StatusCodes.Status503ServiceUnavailable,
                WriteTimeoutResponse = async http =>
                {
                    http.Response.Headers.RetryAfter = "1";
                    await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                    {
                        HttpContext = http,
                        ProblemDetails = { Status = 503, Title = "Temporarily unavailable", Detail = "The request took too long; retry shortly." },
                    });
                },
            });
        builder.Services.AddHostedService<ReadyWhenStarted>();
        return builder;
    }

    /// <summary>
    /// While draining, every response says Connection: close, so keep-alive connections end cleanly
    /// after the request they carry instead of being cut when the listener stops.
    /// </summary>
    public static WebApplication UseDrainingConnectionClose(this WebApplication app)
    {
        var state = app.Services.GetRequiredService<ShutdownState>();
        var metrics = app.Services.GetRequiredService<OrderlyMetrics>();
        app.Use(async (http, next) =>
        {
            state.EnterRequest();
            try
            {
                if (state.IsDraining)
                {
                    http.Response.Headers.Connection = "close";
                    state.CountServedWhileDraining();
                    metrics.RequestsWhileDraining.Add(1);
                }
                await next(http);
            }
            finally
            {
                state.ExitRequest();
            }
        });
        return app;
    }

    /// <summary>The Orleans client connects during host start, so "started" means "can serve".</summary>
    private sealed class ReadyWhenStarted(IHostApplicationLifetime lifetime, Readiness readiness) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            lifetime.ApplicationStarted.Register(readiness.MarkReady);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
