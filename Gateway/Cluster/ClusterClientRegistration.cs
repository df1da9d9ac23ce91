using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Messaging;
using Orderly.ServiceDefaults.Networking;

namespace Orderly.Gateway.Cluster;

/// <summary>The gateway's Orleans client: membership (ADO.NET or DNS), timeouts, start-up retries.</summary>
public static partial class ClusterClientExtensions
{
    /// <summary>Orleans client using the same ADO.NET membership table as the silos.</summary>
    public static WebApplicationBuilder AddOrderlyCluster(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ClusterClientOptions>()
            .Bind(builder.Configuration.GetSection(ClusterClientOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        var dns = UsesDnsDiscovery(builder.Configuration);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(builder.Configuration.GetSection("Orleans"));
            if (dns)
                client.Services.AddSingleton<IGatewayListProvider, DnsGatewayListProvider>();
            else
                client.UseAdoNetClustering(o => o.Invariant = "Npgsql");
            client.UseConnectionRetryFilter<ConnectUntilDeadline>();
            // Orleans sends every call for a grain to the same silo gateway while its connection looks
            // open; a black-holed one must close within seconds so the calls move to another gateway.
            client.Services.UsePeerSocketsForOrleans(builder.Configuration);
        });
        if (!dns)
        {
            builder.Services.AddOptions<AdoNetClusteringClientOptions>()
                .Configure<NpgsqlDataSource>((o, db) => o.DataSource = db);
            // The gateway only reads the membership table; a replica serves that as well as the writer.
            builder.Services.Configure<Orderly.ServiceDefaults.Database.DatabaseOptions>(o => o.WritersOnly = false);
        }
        builder.Services.AddOptions<ClientMessagingOptions>()
            .Configure<IOptions<ClusterClientOptions>>((m, c) => m.ResponseTimeout = TimeSpan.FromSeconds(c.Value.CallTimeoutSeconds));
        builder.Services.AddOptions<GatewayOptions>()
            .Configure<IOptions<ClusterClientOptions>>((g, c) => g.GatewayListRefreshPeriod = TimeSpan.FromSeconds(c.Value.GatewayListRefreshSeconds));
        return builder;
    }

    public static bool UsesDnsDiscovery(IConfiguration configuration) =>
        (configuration.GetSection(ClusterClientOptions.Section).Get<ClusterClientOptions>() ?? new()).UsesDns;

    /// <summary>Retries the initial connection once a second until <see cref="ClusterClientOptions.ConnectTimeoutSeconds"/>.</summary>
    private sealed partial class ConnectUntilDeadline(IOptions<ClusterClientOptions> options, TimeProvider time, ILogger<ConnectUntilDeadline> log)
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
