using Npgsql;
using Orderly.LoadClient.Cluster;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Shutdown;

/// <summary>
/// A real local cluster (separate silo and gateway processes, HAProxy in front) owned by one test,
/// with timings shortened for CI: HAProxy checks every second, gateways drain for a few seconds.
/// </summary>
public sealed class ClusterUnderTest : IAsyncDisposable
{
    public const int HealthCheckIntervalMs = 1000;
    public const int GatewayDrainSeconds = 4;

    private ClusterUnderTest(LocalCluster cluster, string connectionString)
    {
        Cluster = cluster;
        ConnectionString = connectionString;
    }

    public LocalCluster Cluster { get; }
    public string ConnectionString { get; }

    public ManagedProcess this[string name] => Cluster.Started[name];

    public static async Task<ClusterUnderTest> StartAsync(string profile, int silos = 2, int gateways = 2, IReadOnlyList<string>? gatewaySettings = null)
    {
        var layout = TestDatabase.Layout with { Configuration = Processes.Configuration };
        var cluster = new LocalCluster(layout, TextWriter.Null);
        await cluster.DownAsync(); // leftovers of an earlier, interrupted run
        var cs = await TestDatabase.CreateSchemaAsync("shutdown");
        var result = new ClusterUnderTest(cluster, cs);
        try
        {
            await cluster.UpAsync(new ClusterSpec(silos, gateways, profile, cs)
            {
                HealthCheckIntervalMs = HealthCheckIntervalMs,
                HealthCheckTimeoutMs = HealthCheckIntervalMs / 2,
                GatewayDrainSeconds = GatewayDrainSeconds,
                GatewaySettings = gatewaySettings ?? [],
            });
        }
        catch
        {
            await result.DisposeAsync();
            throw;
        }
        return result;
    }

    /// <summary>Every acknowledged order is stored at (at least) the version its user was told.</summary>
    public async Task<List<string>> FindLostOrdersAsync(IReadOnlyDictionary<Guid, int> acknowledged)
    {
        await using var db = NpgsqlDataSource.Create(ConnectionString);
        await using var command = db.CreateCommand("SELECT id, version FROM orders WHERE id = ANY(@ids)");
        command.Parameters.AddWithValue("ids", acknowledged.Keys.ToArray());
        var stored = new Dictionary<Guid, int>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                stored[reader.GetGuid(0)] = reader.GetInt32(1);
        }
        return [.. acknowledged
            .Where(a => !stored.TryGetValue(a.Key, out var v) || v < a.Value)
            .Select(a => $"{a.Key} acknowledged at v{a.Value}, stored {(stored.TryGetValue(a.Key, out var v) ? $"v{v}" : "nowhere")}")];
    }

    /// <summary>This run's part of a process log (logs are appended to across runs).</summary>
    public string Log(string name)
    {
        var text = File.ReadAllText(Cluster.Layout.LogFile(name));
        var start = text.LastIndexOf($" starting {name}\n", StringComparison.Ordinal);
        return start < 0 ? text : text[start..];
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.DownAsync();
        await TestDatabase.DropSchemaAsync(ConnectionString);
    }
}
