using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orderly.ServiceDefaults.Hosting;
using Orderly.Silo.Hosting;
using Orderly.Grains.Storage.Schema;
using Orleans.TestingHost;

namespace Orderly.Tests.Infrastructure;

/// <summary>
/// An in-process Orleans test cluster (2 silos) whose grains are registered exactly as the product's
/// silo registers them (AddOrderlyGrains: rules, the real ADO.NET storage on Postgres with Orderly's
/// schema, the database-failure filter), in a schema of its own. Hosting is the test host's.
/// </summary>
public sealed class GrainClusterFixture : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;
    public NpgsqlDataSource Db { get; private set; } = null!;
    public string ConnectionString { get; private set; } = "";

    public IClusterClient Client => Cluster.Client;

    public async Task InitializeAsync()
    {
        ConnectionString = await TestDatabase.CreateSchemaAsync("grains");
        Db = NpgsqlDataSource.Create(ConnectionString);
        await new SchemaMigrator(Db, NullLogger<SchemaMigrator>.Instance).ApplyAsync();

        Cluster = Build(ConnectionString, silos: 2);
        await Cluster.DeployAsync();
    }

    /// <summary>A cluster of Orderly silos on the given database (not yet deployed). Tests that stop silos build their own.</summary>
    public static InProcessTestCluster Build(string connectionString, int silos, Action<ISiloBuilder>? configure = null)
    {
        var builder = new InProcessTestClusterBuilder((short)silos);
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Configuration["ConnectionStrings:Orderly"] = connectionString;
            host.AddOrderlyDefaults();
            Orderly.Silo.Database.DatabaseHostingExtensions.AddOrderlyDatabase(host);
        });
        builder.ConfigureSilo((_, silo) =>
        {
            // The product's own registration of everything orders rely on (Silo/Hosting/SiloHostingExtensions.cs).
            silo.AddOrderlyGrains(silo.Configuration);
            configure?.Invoke(silo);
        });
        return builder.Build();
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Db.DisposeAsync();
        await TestDatabase.DropSchemaAsync(ConnectionString);
    }
}

[CollectionDefinition(Name)]
public sealed class GrainClusterCollection : ICollectionFixture<GrainClusterFixture>
{
    public const string Name = "grain cluster";
}
