using Orderly.Harness.Cluster;
using Orderly.Harness.Emulation;
using Orderly.Harness.Experiment;
using Orderly.LoadClient.Reporting;
using Orderly.LoadClient.Verify;
using Orderly.LoadClient.Load;
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
    /// <summary>What was started, for starting a replacement replica the same way.</summary>
    public ClusterSpec Spec { get; private set; } = null!;

    public ManagedProcess this[string name] => Cluster.Started[name];

    public static async Task<ClusterUnderTest> StartAsync(string profile, int silos = 2, int gateways = 2, IReadOnlyList<string>? gatewaySettings = null, bool prometheus = false)
    {
        var layout = Processes.Layout;
        var cluster = new LocalCluster(layout, TextWriter.Null);
        await cluster.DownAsync(); // leftovers of an earlier, interrupted run
        var cs = await TestDatabase.CreateSchemaAsync("shutdown");
        var result = new ClusterUnderTest(cluster, cs);
        try
        {
            result.Spec = new ClusterSpec(silos, gateways, profile, cs)
            {
                Prometheus = prometheus,
                HealthCheckIntervalMs = HealthCheckIntervalMs,
                HealthCheckTimeoutMs = HealthCheckIntervalMs / 2,
                GatewayDrainSeconds = GatewayDrainSeconds,
                GatewaySettings = gatewaySettings ?? [],
            };
            await cluster.UpAsync(result.Spec);
        }
        catch
        {
            await result.DisposeAsync();
            throw;
        }
        return result;
    }

    /// <summary>
    /// Every acknowledged order is stored at (at least) the version its user was told — the experiment's
    /// own verifier; an empty list means nothing was lost.
    /// </summary>
    public async Task<IReadOnlyList<string>> FindLostOrdersAsync(IReadOnlyCollection<AcknowledgedOrder> acknowledged)
    {
        var verification = await Verifier.VerifyAsync(ConnectionString, acknowledged, LoadStream.CustomerPrefix);
        return verification.Examples;
    }

    /// <summary>This run's part of a process log (logs are appended to across runs).</summary>
    public string Log(string name)
    {
        var text = File.ReadAllText(Cluster.Layout.LogFile(name));
        var start = text.LastIndexOf($" starting {name}\n", StringComparison.Ordinal);
        return start < 0 ? text : text[start..];
    }

    /// <summary>The test is over and its schema goes with it: no graceful stop to wait for.</summary>
    public async ValueTask DisposeAsync()
    {
        await Cluster.KillAsync();
        await TestDatabase.DropSchemaAsync(ConnectionString);
    }
}
