using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Messaging;
using Orderly.ServiceDefaults.Hosting;
using Orderly.ServiceDefaults.Networking;

namespace Orderly.Gateway.Silos;

/// <summary>The gateway's Orleans client: where the silos are (DNS or a file, never the database), timeouts, start-up retries.</summary>
public static partial class SiloConnectionExtensions
{
    /// <summary>The Orleans client that reaches the silos, found as Kubernetes lists them (DNS, or the local runner's file).</summary>
    public static WebApplicationBuilder AddSiloConnection(this WebApplicationBuilder builder)
    {
        // "Gateway" is this service; Orleans' own gateway (the silo port Orleans clients connect to) is
        // always called the Orleans gateway, and the section is named for what it reaches: the silos.
        builder.Services.AddOptions<SiloConnectionOptions>()
            .Bind(builder.Configuration.GetSection(SiloConnectionOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        RenamedSettings.Refuse(builder.Configuration, ("Cluster", SiloConnectionOptions.Section));
        var dns = (builder.Configuration.GetSection(SiloConnectionOptions.Section).Get<SiloConnectionOptions>() ?? new()).UsesDns;
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(builder.Configuration.GetSection("Orleans"));
            // Neither set (or both) fails validation at start, before the provider is asked.
            if (dns)
                client.Services.AddSingleton<IGatewayListProvider, DnsOrleansGatewayListProvider>();
            else
                client.Services.AddSingleton<IGatewayListProvider, FileOrleansGatewayListProvider>();
            client.UseConnectionRetryFilter<ConnectUntilDeadline>();
            // Orleans sends every call for a grain to the same Orleans gateway while its connection looks
            // open; a black-holed one must close within seconds so the calls move to another gateway.
            client.Services.UsePeerSocketsForOrleans(builder.Configuration);
        });
        builder.Services.AddOptions<ClientMessagingOptions>()
            .Configure<IOptions<SiloConnectionOptions>>((m, c) => m.ResponseTimeout = TimeSpan.FromSeconds(c.Value.CallTimeoutSeconds));
        builder.Services.AddOptions<GatewayOptions>()
            .Configure<IOptions<SiloConnectionOptions>>((g, c) => g.GatewayListRefreshPeriod = TimeSpan.FromSeconds(c.Value.OrleansGatewayListRefreshSeconds));
        return builder;
    }

    /// <summary>Retries the initial connection once a second until <see cref="SiloConnectionOptions.ConnectTimeoutSeconds"/>.</summary>
    private sealed partial class ConnectUntilDeadline(IOptions<SiloConnectionOptions> options, TimeProvider time, ILogger<ConnectUntilDeadline> log)
        : IClientConnectionRetryFilter
    {
        private DateTimeOffset? _deadline;

        public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
        {
            _deadline ??= time.GetUtcNow().AddSeconds(options.Value.ConnectTimeoutSeconds);
            if (time.GetUtcNow() >= _deadline)
                return false;
            LogRetrying(exception.Message);
            await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken);
            return true;
        }

        [LoggerMessage(Level = LogLevel.Warning, Message = "cluster not reachable yet, retrying: {Reason}")]
        private partial void LogRetrying(string reason);
    }
}
