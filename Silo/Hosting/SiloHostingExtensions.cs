using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Npgsql;
using Orderly.Grains.Orders;
using Orderly.Grains.Storage;
using Orderly.ServiceDefaults.Health;
using Orderly.ServiceDefaults.Hosting;
using Orderly.ServiceDefaults.Networking;
using Orderly.ServiceDefaults.Observability;
using Orderly.ServiceDefaults.Shutdown;
using Orleans.Configuration;
using Orleans.Dashboard;

namespace Orderly.Silo.Hosting;

public static class SiloHostingExtensions
{
    public const string OrderStorage = OrderStore.StorageName;

    /// <summary>The Orleans silo: ADO.NET clustering and grain storage on the shared Npgsql data source, the Orleans Dashboard when asked for.</summary>
    public static WebApplicationBuilder AddOrderlySilo(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        RenamedSettings.Refuse(builder.Configuration, ("Silo:GatewayPort", "Silo:OrleansGatewayPort"));
        services.AddOptions<SiloHostOptions>()
            .Bind(builder.Configuration.GetSection(SiloHostOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // Silos need no drain window: they leave through membership, and gateways retry.
        builder.AddOrderlyShutdown(defaultDrainSeconds: 0);

        // The management port (health, metrics, dashboard) is the only HTTP listener.
        services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<SiloHostOptions>>((k, h) => k.Listen(h.Value.Listen, h.Value.ManagementPort));

        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(builder.Configuration.GetSection("Orleans"));
            silo.AddOrderlyClustering();
            silo.AddOrderlyGrains(builder.Configuration);
            silo.AddShutdownTracking(ShutdownHosting.IsGraceful(builder));
            // Only when asked for (Silo:Dashboard). It samples every silo's counters and grain statistics on a
            // timer (Orleans' default: every second), busy or idle; every 10 s here: Orleans:Dashboard:CounterUpdateIntervalMs.
            if (DashboardEnabled(builder.Configuration))
                silo.AddDashboard(o =>
                {
                    o.CounterUpdateIntervalMs = 10_000;
                    builder.Configuration.GetSection("Orleans:Dashboard").Bind(o);
                });
            // Failure detection (probes, votes) is tunable per environment: Orleans:Membership:*.
            silo.Configure<ClusterMembershipOptions>(builder.Configuration.GetSection("Orleans:Membership"));
            // How long a gateway keeps a disconnected client's answers for its return (Orleans: 1 min).
            // While it does, it keeps them from the gateways the client still reaches.
            silo.Configure<SiloMessagingOptions>(builder.Configuration.GetSection("Orleans:Messaging"));
            // A silo cut off without a word closes its connections within seconds, not minutes.
            silo.Services.UsePeerSocketsForOrleans(builder.Configuration);
        });

        services.AddOptions<EndpointOptions>()
            .Configure<IOptions<SiloHostOptions>>((e, h) =>
            {
                var o = h.Value;
                e.AdvertisedIPAddress = o.Advertised;
                e.SiloPort = o.SiloPort;
                e.GatewayPort = o.OrleansGatewayPort;
                e.SiloListeningEndpoint = new IPEndPoint(o.Listen, o.SiloPort);
                e.GatewayListeningEndpoint = new IPEndPoint(o.Listen, o.OrleansGatewayPort);
            });
        services.AddOptions<SiloOptions>()
            .Configure<IOptions<SiloHostOptions>>((s, h) => s.SiloName = h.Value.Name);
        return builder;
    }

    /// <summary>
    /// What any silo hosting orders needs, however it is hosted: the order rules, grain storage on
    /// Postgres, and the call filter that decides database failures. The product's silo and the tests'
    /// in-process silos both call this one method, so a test cluster cannot miss what orders rely on;
    /// only hosting (clustering, endpoints, dashboard, shutdown, sockets) is the product's alone.
    /// </summary>
    public static ISiloBuilder AddOrderlyGrains(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.Services.AddOrderRules(configuration);
        silo.AddOrderlyStorage();
        return silo;
    }

    private static IServiceCollection AddOrderRules(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OrderRulesOptions>()
            .Bind(configuration.GetSection(OrderRulesOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        return services;
    }

    /// <summary>Membership in Postgres through Orderly's own ADO.NET queries, on the shared data source.</summary>
    public static ISiloBuilder AddOrderlyClustering(this ISiloBuilder silo)
    {
        silo.UseAdoNetClustering(o => o.Invariant = "Npgsql");
        silo.Services.AddOptions<AdoNetClusteringSiloOptions>()
            .Configure<NpgsqlDataSource>((o, db) => o.DataSource = db);
        return silo;
    }

    /// <summary>Grain state in Postgres as JSON; an order's state is its row in the orders table (see the schema and Grains/Storage).</summary>
    private static ISiloBuilder AddOrderlyStorage(this ISiloBuilder silo)
    {
        silo.AddAdoNetGrainStorage(OrderStorage, o =>
        {
            o.Invariant = "Npgsql";
            o.GrainStorageSerializer = new SystemTextJsonGrainStorageSerializer();
        });
        silo.Services.AddOptions<AdoNetGrainStorageOptions>(OrderStorage)
            .Configure<NpgsqlDataSource>((o, db) => o.DataSource = db);
        OrderStore.Register(silo.Services);
        // Database failures leave every grain call decided, as StorageFailureException: callers need no driver.
        StorageFailures.Register(silo.Services);
        return silo;
    }

    public static WebApplication MapSiloManagement(this WebApplication app)
    {
        app.MapHealthEndpoints();
        app.MapOrderlyMetrics();
        if (DashboardEnabled(app.Configuration))
            app.MapOrleansDashboard(routePrefix: "/dashboard");
        return app;
    }

    private static bool DashboardEnabled(IConfiguration configuration) =>
        configuration.GetSection(SiloHostOptions.Section).GetValue<bool>(nameof(SiloHostOptions.Dashboard));
}
