using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Bench;

/// <summary>
/// ./orderly bench --micro runs the BenchmarkDotNet micro-benchmarks for real (BenchmarkDotNet's
/// one-invocation "dry" job here, to keep the suite short): every benchmark builds, runs and reports
/// a time and an allocation figure.
/// </summary>
[Trait(Tiers.Name, Tiers.Full)]
public sealed class MicroBenchmarkTests
{
    private static readonly string[] Benchmarks =
    [
        "new order id (UUID v7)", "id from Idempotency-Key (UUID v5)", "grain reference for an id",
        "state → JSON (storage write)", "JSON → state (storage read)",
        "place command, Orleans binary round trip", "place result, Orleans binary round trip",
    ];

    private static Task<ProcessResult> Micro(params string[] args) =>
        Processes.RunAsync(Path.Combine(Processes.Layout.Root, "orderly"), ["bench", "--micro", .. args],
            new Dictionary<string, string?> { ["ORDERLY_SKIP_BUILD"] = "1", ["ORDERLY_CONFIGURATION"] = Processes.Configuration },
            TimeSpan.FromMinutes(5));

    [Fact]
    public async Task Every_micro_benchmark_runs_and_reports_a_time_and_allocations()
    {
        // In process: the test is about every benchmark running and reporting, not about BenchmarkDotNet
        // building a project per run (two minutes on this machine); ./orderly bench --micro still does that.
        var run = await Micro("--job", "dry", "--inProcess");
        Assert.True(run.ExitCode == 0, run.Output + run.Error);

        var written = run.Output.Split('\n').Single(l => l.StartsWith("written: ", StringComparison.Ordinal))["written: ".Length..].Trim();
        var rows = Directory.GetFiles(written, "*-report.csv")
            .SelectMany(File.ReadAllLines)
            .Where(l => !l.StartsWith("Method", StringComparison.Ordinal))
            .ToList();
        foreach (var name in Benchmarks)
        {
            var row = Assert.Single(rows, r => r.TrimStart('"').StartsWith($"'{name}'", StringComparison.Ordinal));
            // ... Mean, Error, Allocated: a time (Error is NA for a single invocation) and bytes.
            Assert.Matches(@",""?[\d,]+(\.\d+)? (ns|μs|ms|s)""?,[^,]*,[\d.,]+ (B|KB)$", row);
        }
    }

    [Theory]
    [InlineData("--no-such-option")]
    [InlineData("--filter", "*NoSuchBenchmark*")]
    public async Task A_run_where_nothing_runs_fails_with_a_message(params string[] args)
    {
        var run = await Micro(args);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("micro-benchmarks: nothing ran", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("written:", run.Output, StringComparison.Ordinal);
    }
}
