using Orderly.Bench.Runner;
using Orderly.Harness.Cluster;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Bench;

/// <summary>./orderly bench, short (2 s per operation, 4 callers, 2 s at 100 req/s for CPU, a 500-order silo, no scale-down, 1 + 1 and 2 + 2), once for the tests that read it.</summary>
public sealed class ShortBench : IAsyncLifetime
{
    public const int Activations = 500;
    public const double Rate = 100;
    public const int RateSeconds = 2;
    public string OutDir { get; } = Path.Combine(Path.GetTempPath(), "orderly-bench-" + Guid.NewGuid().ToString("N")[..8]);
    public string ConnectionString { get; private set; } = "";
    public BenchReport Report { get; private set; } = null!;
    public string Output { get; private set; } = "";

    public async Task InitializeAsync()
    {
        ConnectionString = await TestDatabase.CreateSchemaAsync("bench");
        var layout = Processes.Layout;
        await new LocalCluster(layout, TextWriter.Null).DownAsync();
        using var output = new StringWriter();
        Report = await new BenchRunner(layout, output).RunAsync(new BenchOptions
        {
            ConnectionString = ConnectionString,
            OutDir = OutDir,
            Concurrency = 4,
            WarmupSeconds = 1,
            SecondsPerOperation = 2,
            Activations = Activations,
            ScaleDownEvents = 0,
            Rate = Rate,
            RateSeconds = RateSeconds,
            IdleSeconds = 2,
            IdleAfter = TimeSpan.FromSeconds(2),
            IdleAge = TimeSpan.Zero,
            // One round: a second would add 2.5 minutes to the suite (BenchRounds' arithmetic is tested on its own).
            Rounds = 1,
            // No test here reads table scans or rows from Postgres' counters, which need 11 s to settle.
            StatsSettle = TimeSpan.FromSeconds(1),
            // 3 + 3 as well would add a minute to the suite; the bench itself runs it.
            Systems = new HashSet<string> { "pgbench", "baseline", "orderly-1", "orderly-2" },
        }, CancellationToken.None);
        Output = output.ToString();
    }

    public async Task DisposeAsync()
    {
        await TestDatabase.DropSchemaAsync(ConnectionString);
        Directory.Delete(OutDir, recursive: true);
    }
}
