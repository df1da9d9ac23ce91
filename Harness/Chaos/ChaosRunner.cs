using System.Globalization;
using System.Text;
using Orderly.Harness.Cluster;
using Orderly.Harness.Emulation;
using Orderly.Harness.Experiment;
using Orderly.LoadClient.Reporting;
using Orderly.LoadClient.Verify;
using Orderly.LoadClient.Load;

namespace Orderly.Harness.Chaos;

public sealed record ChaosOptions
{
    public required string ConnectionString { get; init; }
    /// <summary>The throwaway Postgres' data directory, when the runner may restart it; null skips that fault.</summary>
    public string? PostgresData { get; init; }
    public int SiloKills { get; init; } = 5;
    public int Sessions { get; init; } = 8;
    /// <summary>Load kept running after each fault before the next one.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(20);
}

/// <summary>One row of the fault table.</summary>
public sealed record FaultResult(string Fault, long Requests, long Failed, IReadOnlyDictionary<string, long> FailuresByKind,
    long FailuresWithoutRetryAfter, double RecoverySeconds, int Lost, int Duplicated);

/// <summary>
/// The fault matrix under steady load through HAProxy (graceful profile): unplanned silo deaths, a
/// gateway death, a Postgres restart, an HAProxy reload, a silo frozen past failure detection. After
/// each fault the cluster is left to recover by itself (a killed process is replaced, as a
/// Deployment would); at the end every acknowledged order is checked in storage.
/// </summary>
public sealed class ChaosRunner(ClusterLayout layout, TextWriter output)
{
    public async Task<IReadOnlyList<FaultResult>> RunAsync(ChaosOptions options, CancellationToken cancellationToken)
    {
        var cluster = new LocalCluster(layout, TextWriter.Null);
        var spec = PodTimings.Graceful.Spec(3, 3, "graceful", options.ConnectionString);
        var faults = new List<(string Name, Func<Task> Inject)>();
        for (var i = 1; i <= options.SiloKills; i++)
            faults.Add(($"SIGKILL silo ({i}/{options.SiloKills})", () => KillAndReplaceAsync(cluster, spec, "silo-2", cancellationToken)));
        faults.Add(("SIGKILL gateway", () => KillAndReplaceAsync(cluster, spec, "gateway-2", cancellationToken)));
        if (options.PostgresData is not null)
            faults.Add(("Postgres restart", () => RestartPostgresAsync(options.PostgresData)));
        faults.Add(("HAProxy reload", cluster.ReloadHaproxyAsync));
        faults.Add(("silo paused past failure detection", () => PauseSiloAsync(cluster, spec, "silo-2", cancellationToken)));

        output.WriteLine($"chaos: starting 3 silos, 3 gateways, HAProxy; {faults.Count} faults, {options.Settle.TotalSeconds:0}s of load after each");
        try
        {
            await cluster.UpAsync(spec, cancellationToken);
            var metrics = new RunMetrics(TimeProvider.System);
            var prefix = $"chaos-{DateTime.UtcNow:yyyyMMddHHmmss}";
            var total = TimeSpan.FromSeconds(5) + faults.Count * (options.Settle + TimeSpan.FromSeconds(20));
            await using var sessions = new SessionLoad(new LoadOptions
            {
                Target = ClusterLayout.FrontEndUrl,
                CustomerPrefix = prefix,
                FloorSessions = options.Sessions,
                PeakSessions = options.Sessions,
                RequestTimeout = TimeSpan.FromSeconds(30),
            }, metrics);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var load = sessions.RunAsync(total, stop.Token);
            await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);

            var windows = new List<(string Fault, int From, int To)>();
            foreach (var (name, inject) in faults)
            {
                var from = metrics.Second;
                output.WriteLine($"chaos: [{from,4}s] {name}");
                await inject();
                await Task.Delay(options.Settle, cancellationToken);
                windows.Add((name, from, metrics.Second));
            }
            await stop.CancelAsync();
            await load;

            output.WriteLine($"chaos: verifying {sessions.Acknowledged.Count} acknowledged orders in storage");
            var acknowledged = sessions.Acknowledged.Values.ToList();
            var verification = await Verifier.VerifyAsync(options.ConnectionString, acknowledged, prefix);
            var lostIds = verification.LostIds.ToHashSet();
            var results = windows.Select(w => Summarize(w.Fault, w.From, w.To, metrics, acknowledged, lostIds)).ToList();
            // Duplicates are counted for the run (an idempotency key belongs to no single fault).
            results.Add(new FaultResult("whole run", results.Sum(r => r.Requests), results.Sum(r => r.Failed),
                FailureKind.All.ToDictionary(k => k, k => results.Sum(r => r.FailuresByKind[k])), results.Sum(r => r.FailuresWithoutRetryAfter),
                results.Max(r => r.RecoverySeconds), verification.Lost, verification.Duplicated));
            output.WriteLine();
            output.WriteLine(Table(results));
            foreach (var example in verification.Examples)
                output.WriteLine($"  {example}");
            return results;
        }
        finally
        {
            await cluster.DownAsync();
        }
    }

    private static FaultResult Summarize(string fault, int from, int to, RunMetrics metrics, IReadOnlyList<AcknowledgedOrder> acknowledged, HashSet<Guid> lost)
    {
        var seconds = Enumerable.Range(from, Math.Max(1, to - from)).Select(s => (Second: s, Bucket: metrics[s])).ToList();
        var lastFailure = seconds.LastOrDefault(s => s.Bucket.Failures > 0);
        return new FaultResult(fault,
            seconds.Sum(s => s.Bucket.Requests),
            seconds.Sum(s => s.Bucket.Failures),
            FailureKind.All.ToDictionary(k => k, k => seconds.Sum(s => s.Bucket.ByKind.GetValueOrDefault(k))),
            seconds.Sum(s => s.Bucket.Failures - s.Bucket.RetryAfter503),
            lastFailure.Bucket is null ? 0 : lastFailure.Second + 1 - from,
            acknowledged.Count(a => lost.Contains(a.Id) && a.AtSecond >= from && a.AtSecond < to),
            0);
    }

    private static async Task KillAndReplaceAsync(LocalCluster cluster, ClusterSpec spec, string name, CancellationToken cancellationToken)
    {
        var process = cluster.Started[name];
        process.Signal(UnixSignal.Kill);
        await process.WaitForExitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        process.ForgetPidFile();
        // Like a Deployment: a new pod replaces the dead one.
        var index = ClusterLayout.IndexOf(name);
        if (name.StartsWith("silo", StringComparison.Ordinal))
            await cluster.StartSiloAsync(index, spec, cancellationToken);
        else
            await cluster.StartGatewayAsync(index, spec, cancellationToken);
    }

    private static async Task PauseSiloAsync(LocalCluster cluster, ClusterSpec spec, string name, CancellationToken cancellationToken)
    {
        var process = cluster.Started[name];
        process.Signal(UnixSignal.Stop);
        // Past the local failure detection (probes every 2 s, 2 missed, then votes) with room to spare.
        await Task.Delay(TimeSpan.FromSeconds(20), cancellationToken);
        process.Signal(UnixSignal.Cont);
        // Declared dead while frozen, the silo stops itself on waking; a replacement takes its place.
        if (await process.WaitForExitAsync(TimeSpan.FromSeconds(30), cancellationToken))
        {
            process.ForgetPidFile();
            await cluster.StartSiloAsync(ClusterLayout.IndexOf(name), spec, cancellationToken);
        }
    }

    /// <summary>Restarts the throwaway Postgres as its owner, the 'postgres' system user (it refuses to run as root).</summary>
    private async Task RestartPostgresAsync(string dataDir)
    {
        var pgCtl = PostgresBinaries.Find("pg_ctl");
        // The server writes to its log, not to our pipes, or the runner would wait for it to exit.
        string[] restart = [pgCtl, "-D", dataDir, "-l", layout.LogFile("postgres"), "-m", "fast", "-w", "restart"];
        var run = Environment.IsPrivilegedProcess
            ? await Tool.RunAsync("runuser", ["-u", "postgres", "--", .. restart], CancellationToken.None, timeout: TimeSpan.FromSeconds(90))
            : await Tool.RunAsync(pgCtl, restart[1..], CancellationToken.None, timeout: TimeSpan.FromSeconds(90));
        if (run.ExitCode != 0)
            throw new ClusterException($"Postgres restart failed: {run.Printed}");
    }

    public static string Table(IReadOnlyList<FaultResult> results)
    {
        var inv = CultureInfo.InvariantCulture;
        var table = new TextTable("fault", ">requests", ">failed", "failures by kind", ">no Retry-After", ">recovery", ">lost", ">dup");
        foreach (var r in results)
        {
            var kinds = r.Failed == 0 ? "—" : string.Join(", ", r.FailuresByKind.Where(k => k.Value > 0).Select(k => $"{k.Key} {k.Value}"));
            table.Add(r.Fault, r.Requests.ToString("N0", inv), r.Failed.ToString(inv), kinds, r.FailuresWithoutRetryAfter.ToString(inv),
                string.Create(inv, $"{r.RecoverySeconds:0}s"), r.Lost.ToString(inv), r.Fault == "whole run" ? r.Duplicated.ToString(inv) : "—");
        }
        return table.ToString();
    }
}
