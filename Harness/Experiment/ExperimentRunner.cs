using System.Globalization;
using Orderly.Harness.Cluster;
using Orderly.LoadClient.Load;
using Orderly.Harness.Emulation;
using Orderly.LoadClient.Reporting;
using Orderly.LoadClient.Verify;

namespace Orderly.Harness.Experiment;

public sealed record ExperimentOptions
{
    public required IReadOnlyList<string> Profiles { get; init; }
    public required string ConnectionString { get; init; }
    public required string OutDir { get; init; }
    public int Events { get; init; } = 4;
    public int Sessions { get; init; } = 16;
    public int Seed { get; init; } = 7;
    public int Gateways { get; init; } = 3;
    public int Silos { get; init; } = 3;
}

/// <summary>
/// The scale-down experiment: for each profile, a fresh local cluster, the same sine-wave load and the
/// same scale-down schedule, then verification of every acknowledged order, then the files of
/// docs/experiment.md ("Files") and the report.
/// </summary>
public sealed partial class ExperimentRunner(ClusterLayout layout, TextWriter output)
{
    public async Task<IReadOnlyList<Summary>> RunAsync(ExperimentOptions options, CancellationToken cancellationToken)
    {
        var runId = DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        var summaries = new List<Summary>();
        foreach (var profile in options.Profiles)
            summaries.Add(await RunProfileAsync(profile, runId, options, cancellationToken));
        var report = await ReportPage.WriteAsync(options.OutDir);
        output.WriteLine();
        output.WriteLine(Results.Table(summaries));
        output.WriteLine($"report: {report}");
        return summaries;
    }

    private async Task<Summary> RunProfileAsync(string profile, string runId, ExperimentOptions options, CancellationToken cancellationToken)
    {
        var timings = PodTimings.For(profile);
        var schedule = Schedule.Create(options.Events, options.Seed, timings);
        var cluster = new LocalCluster(layout, TextWriter.Null);
        var spec = timings.Spec(options.Silos, options.Gateways, profile, options.ConnectionString);
        output.WriteLine($"── {profile}: starting {options.Silos} silos, {options.Gateways} gateways, HAProxy");
        try
        {
            await cluster.UpAsync(spec, cancellationToken);
            var metrics = new RunMetrics(TimeProvider.System);
            var prefix = $"exp-{runId}-{profile}";
            var load = new LoadOptions
            {
                Target = ClusterLayout.FrontEndUrl,
                CustomerPrefix = prefix,
                PeakSessions = options.Sessions,
                FloorSessions = Math.Max(1, options.Sessions / 4),
                Seed = options.Seed,
            };
            var duration = TimeSpan.FromSeconds(schedule.DurationSeconds);
            output.WriteLine($"── {profile}: {options.Events} scale-down events over {duration.TotalSeconds:0}s, {load.FloorSessions}–{load.PeakSessions} sessions");
            await using var sessions = new SessionLoad(load, metrics);
            var emulator = new KubeEmulator(cluster, spec, timings, metrics);
            var loadTask = sessions.RunAsync(duration, cancellationToken);
            var eventsTask = RunEventsAsync(schedule, emulator, metrics, options.Silos, cancellationToken);
            var progressTask = ProgressAsync(profile, metrics, sessions, emulator, duration, loadTask);
            await loadTask;
            var windows = await eventsTask;
            await progressTask;

            output.WriteLine($"── {profile}: verifying {sessions.Acknowledged.Count} acknowledged orders in storage");
            var verification = await Verifier.VerifyAsync(options.ConnectionString, [.. sessions.Acknowledged.Values], prefix);
            var timeline = Results.Timeline(metrics, (int)Math.Ceiling(duration.TotalSeconds));
            var summary = Results.Summarize(profile, options.Sessions, duration.TotalSeconds, timeline, metrics, windows,
                sessions.Acknowledged.Count, verification, timings, (int)Schedule.WarmupSeconds);
            await Results.WriteAsync(Path.Combine(options.OutDir, profile), summary, timeline);
            return summary;
        }
        finally
        {
            await cluster.DownAsync();
        }
    }

    private static async Task<IReadOnlyList<EventWindow>> RunEventsAsync(Schedule schedule, KubeEmulator emulator, RunMetrics metrics, int silos, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var windows = new List<EventWindow>();
        foreach (var e in schedule.Events)
        {
            await Until(metrics, e.AtSeconds, cancellationToken);
            var readsBefore = e.Tier == Tier.Silo ? await StorageReadsAsync(http, silos, cancellationToken) : null;
            var down = emulator.ScaleDownAsync(e);
            await Until(metrics, e.UpAtSeconds, cancellationToken);
            var window = await down;
            if (readsBefore is not null)
            {
                // Only silos answering both times count: the one that left took its own counter with it.
                var readsAfter = await StorageReadsAsync(http, silos, cancellationToken);
                window = window with { ReadBack = readsAfter.Where(a => readsBefore.ContainsKey(a.Key)).Sum(a => Math.Max(0, a.Value - readsBefore[a.Key])) };
            }
            windows.Add(window);
            await emulator.ScaleUpAsync(e.Tier, cancellationToken);
        }
        return windows;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^orderly_orders_storage_reads_total(?:\{[^}]*\})?\s+([0-9.eE+]+)", System.Text.RegularExpressions.RegexOptions.Multiline)]
    private static partial System.Text.RegularExpressions.Regex StorageReadsCounter();

    /// <summary>Each reachable silo's orderly_orders_storage_reads_total, by silo index.</summary>
    private static async Task<Dictionary<int, long>> StorageReadsAsync(HttpClient http, int silos, CancellationToken cancellationToken)
    {
        var reads = new Dictionary<int, long>();
        for (var i = 0; i < silos; i++)
        {
            try
            {
                var text = await http.GetStringAsync(new Uri(ClusterLayout.SiloManagementUrl(i), "/metrics"), cancellationToken);
                var match = StorageReadsCounter().Match(text);
                reads[i] = match.Success ? (long)double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not running (the one leaving, or one not yet back): not counted.
            }
        }
        return reads;
    }

    private static async Task Until(RunMetrics metrics, double seconds, CancellationToken cancellationToken)
    {
        var wait = TimeSpan.FromSeconds(seconds) - metrics.Elapsed;
        if (wait > TimeSpan.Zero)
            await Task.Delay(wait, cancellationToken);
    }

    /// <summary>Records replicas every quarter second and shows a live line (a line every 10 s when not on a terminal).</summary>
    private async Task ProgressAsync(string profile, RunMetrics metrics, SessionLoad sessions, KubeEmulator emulator, TimeSpan duration, Task load)
    {
        var live = !Console.IsOutputRedirected && ReferenceEquals(output, Console.Out);
        var lastPrinted = -1;
        while (!load.IsCompleted)
        {
            var second = metrics.Second;
            var (gateways, silos) = emulator.Replicas;
            var bucket = metrics[second];
            bucket.Gateways = gateways;
            bucket.Silos = silos;
            bucket.Sessions = sessions.ActiveSessions;
            var previous = second > 0 ? metrics[second - 1] : bucket;
            var failed = metrics.Seconds.Sum(s => s.Bucket.Failures);
            var line = $"[{second,3}s/{duration.TotalSeconds:0}s] {profile,-8} sessions {sessions.ActiveSessions,2}  req/s {previous.Requests,4}  failed {failed,5}  p99 {previous.P99Ms,6:0.0} ms  gateways {gateways} silos {silos}  {emulator.Current}";
            if (live)
                output.Write($"\r{line,-130}");
            else if (second % 10 == 0 && second != lastPrinted)
            {
                output.WriteLine(line);
                lastPrinted = second;
            }
            await Task.WhenAny(load, Task.Delay(250));
        }
        if (live)
            output.WriteLine();
    }
}
