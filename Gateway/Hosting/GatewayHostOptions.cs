using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Orderly.ServiceDefaults.Health;

namespace Orderly.Gateway.Hosting;

public sealed class GatewayHostOptions
{
    public const string Section = "Gateway";

    /// <summary>Largest accepted request body; larger ones get 413 before any of it is parsed.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>Largest accepted request line plus headers.</summary>
    [Range(4 * 1024, 1024 * 1024)]
    public int MaxRequestHeadersBytes { get; set; } = 32 * 1024;
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
                k.AddServerHeader = false;
                k.Limits.MaxRequestBodySize = o.Value.MaxRequestBodyBytes;
                k.Limits.MaxRequestHeadersTotalSize = o.Value.MaxRequestHeadersBytes;
            });
        builder.Services.AddHostedService<ReadyWhenStarted>();
        return builder;
    }

    /// <summary>The Orleans client connects during host start, so "started" means "can serve".</summary>
    private sealed class ReadyWhenStarted(IHostApplicationLifetime lifetime, Readiness readiness) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            lifetime.ApplicationStarted.Register(readiness.MarkReady);
            lifetime.ApplicationStopping.Register(() => readiness.MarkNotReady("stopping"));
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
