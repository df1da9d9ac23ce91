using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Messaging;
using Orderly.ServiceDefaults.Hosting;
using Orderly.ServiceDefaults.Networking;

namespace Orderly.Gateway.Silos;

/// <summary>The gateway's Orleans client: membership (ADO.NET or DNS), timeouts, start-up retries.</summary>
public static partial class SiloConnectionExtensions
{
    /// <summary>The Orleans client that reaches the silos: through the membership table the silos write, or DNS.</summary>
    public static WebApplicationBuilder AddSiloConnection(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<SiloConnectionOptions>()
            .Bind(builder.Configuration.GetSection(SiloConnectionOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        var dns = UsesDnsDiscovery(builder.Configuration);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(builder.Configuration.GetSection("Orleans"));
            if (dns)
                client.Services.AddSingleton<IGatewayListProvider, DnsOrleansGatewayListProvider>();
            else
                client.UseAdoNetClustering(o => o.Invariant = "Npgsql");
            client.UseConnectionRetryFilter<ConnectUntilDeadline>();
            // Orleans sends every call for a grain to the same Orleans gateway while its connection looks
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
            .Configure<IOptions<SiloConnectionOptions>>((m, c) => m.ResponseTimeout = TimeSpan.FromSeconds(c.Value.CallTimeoutSeconds));
        builder.Services.AddOptions<GatewayOptions>()
            .Configure<IOptions<SiloConnectionOptions>>((g, c) => g.GatewayListRefreshPeriod = TimeSpan.FromSeconds(c.Value.OrleansGatewayListRefreshSeconds));
        return builder;
    }

    /// <summary>Whether silos are found through DNS; the first thing start-up asks, so it refuses the renamed section first.</summary>
    public static bool UsesDnsDiscovery(IConfiguration configuration)
    {
        RefuseRenamed(configuration);
        return (configuration.GetSection(SiloConnectionOptions.Section).Get<SiloConnectionOptions>() ?? new()).UsesDns;
    }

    // "Gateway" is this service; Orleans' own gateway (the silo port Orleans clients connect to) is
    // always called the Orleans gateway, and the section is named for what it reaches: the silos.
    private static void RefuseRenamed(IConfiguration configuration) =>
        RenamedSettings.Refuse(configuration, ("Cluster", SiloConnectionOptions.Section));

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
