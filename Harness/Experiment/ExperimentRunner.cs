using Orderly.LoadClient.Kubernetes;
using System.Globalization;
using System.Text.Json;
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
    public IReadOnlyList<EventKind> Kinds { get; init; } = [EventKind.Pod];
    /// <summary>keepalive, new-connection or mixed (every other session).</summary>
    public string Clients { get; init; } = "mixed";
    public LagDistribution Lags { get; init; } = LagDistribution.Default;
    /// <summary>When set, the lag sweep: one gateway event per lag instead of the kinds' schedule.</summary>
    public IReadOnlyList<double>? SweepLags { get; init; }
    public TimeSpan ThinkMin { get; init; } = TimeSpan.FromMilliseconds(50);
    public TimeSpan ThinkMax { get; init; } = TimeSpan.FromMilliseconds(250);
    public TimeSpan Period { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>A name for the preset, shown in summaries (default, seed, demo, sweep).</summary>
    public string Scale { get; init; } = "default";
}

/// <summary>
/// The scale-down experiment: for each profile, a fresh local cluster, the same sine-wave load and the
/// same schedule of events (pod, hpa-step, node-drain, rollout) or the lag sweep, then verification of
/// every acknowledged order, then the files of docs/experiment.md ("Files") and the report.
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

    public async Task<IReadOnlyList<IReadOnlyList<Summary>>> RepeatOrRunAsync(ExperimentOptions options, int repeat, CancellationToken cancellationToken) =>
        repeat <= 1 ? [await RunAsync(options, cancellationToken)] : await RepeatAsync(options, repeat, cancellationToken);

    /// <summary>
    /// The same experiment N times (DIR/run-1 …), then DIR/repeat.json: each run's verdict, and whether
    /// they agree — graceful clean in every run, naive failing in every run.
    /// </summary>
    public async Task<IReadOnlyList<IReadOnlyList<Summary>>> RepeatAsync(ExperimentOptions options, int repeat, CancellationToken cancellationToken)
    {
        var runs = new List<IReadOnlyList<Summary>>();
        for (var i = 1; i <= repeat; i++)
        {
            output.WriteLine($"══ run {i} of {repeat}");
            runs.Add(await RunAsync(options with { OutDir = Path.Combine(options.OutDir, $"run-{i}") }, cancellationToken));
        }
        var agreement = Agreement.Of(runs);
        await File.WriteAllTextAsync(Path.Combine(options.OutDir, "repeat.json"), JsonSerializer.Serialize(agreement, Results.Json), cancellationToken);
        output.WriteLine(agreement.Agree ? $"the {repeat} runs agree: {agreement.Verdict}" : $"the {repeat} runs DISAGREE: {agreement.Verdict}");
        return runs;
    }

    private async Task<Summary> RunProfileAsync(string profile, string runId, ExperimentOptions options, CancellationToken cancellationToken)
    {
        var timings = PodTimings.For(profile);
        // Planned from the graceful timeline for both profiles: same events, same times, same lags.
        var schedule = options.SweepLags is { } sweep
            ? Schedule.Sweep(sweep, PodTimings.Graceful)
            : Schedule.Create(options.Kinds, options.Events, options.Seed, options.Gateways, options.Silos, options.Lags, PodTimings.Graceful);
        var cluster = new LocalCluster(layout, TextWriter.Null);
        var spec = timings.Spec(options.Silos, options.Gateways, profile, options.ConnectionString);
        output.WriteLine($"── {profile}: starting {options.Silos} silos, {options.Gateways} gateways, HAProxy");
        try
        {
            await cluster.UpAsync(spec, cancellationToken);
            var metrics = new RunMetrics(TimeProvider.System);
            var prefix = $"exp-{runId}-{profile}";
            using var tokens = new BearerTokens(new Uri(ClusterLayout.IssuerUrl));
            var load = new LoadOptions
            {
                Target = ClusterLayout.FrontEndUrl,
                CustomerPrefix = prefix,
                PeakSessions = options.Sessions,
                FloorSessions = Math.Max(1, options.Sessions / 4),
                Seed = options.Seed,
                Connections = ConnectionModes.Mix(options.Clients),
                ThinkMin = options.ThinkMin,
                ThinkMax = options.ThinkMax,
                Period = options.Period,
                Tokens = tokens,
            };
            var duration = TimeSpan.FromSeconds(schedule.DurationSeconds);
            output.WriteLine($"── {profile}: {schedule.Events.Count} events ({string.Join(", ", schedule.Events.GroupBy(e => e.Kind).Select(g => $"{g.Count()} {g.Key.Name()}"))}) over {duration.TotalSeconds:0}s, {load.FloorSessions}–{load.PeakSessions} sessions, clients {options.Clients}");
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
            var seconds = (int)Math.Ceiling(duration.TotalSeconds);
            var timeline = Results.Timeline(metrics, seconds);
            var warmup = (int)Schedule.WarmupSeconds;
            var totals = Results.Summarize(profile, options.Sessions, duration.TotalSeconds, timeline, metrics, windows,
                sessions.Acknowledged.Count, verification, timings, warmup);
            var anomalies = ConsistencyChecker.Check(sessions.History.All, verification.Stored);
            if (anomalies.Total > 0)
                output.WriteLine($"── {profile}: {anomalies.Total} consistency anomalies: {string.Join("; ", anomalies.Examples.Take(3))}");
            var summary = totals with
            {
                Anomalies = anomalies,
                ByEventKind = Breakdown.ByKind(timeline, metrics, windows, totals.ScaleDownLatencyMs.SteadyP99),
                ByClient = Breakdown.ByClient(metrics, seconds),
                MachineCpu = Breakdown.Cpu(timeline),
                LagSweep = options.SweepLags is null ? null : Breakdown.Sweep(timeline, windows, LagSweep.Budget(PodTimings.Graceful)),
                Shape = new RunShape(options.Gateways, options.Silos, options.Clients,
                    options.SweepLags is null ? [.. options.Kinds.Select(k => k.Name())] : ["lag-sweep"],
                    options.Lags.MedianSeconds, options.Lags.P99Seconds, options.ThinkMin.TotalMilliseconds, options.ThinkMax.TotalMilliseconds, options.Scale),
            };
            if (summary.MachineCpu is { Saturated: true } cpu)
                output.WriteLine($"── {profile}: the machine's CPU was saturated (≥ {CpuSummary.SaturatedAt:0} %) for {cpu.SaturatedSeconds} of {cpu.Seconds} s: latency figures say as much about this machine as about Orderly");
            await Results.WriteAsync(Path.Combine(options.OutDir, profile), summary, timeline);
            return summary;
        }
        finally
        {
            await cluster.DownAsync();
        }
    }

    private async Task<IReadOnlyList<EventWindow>> RunEventsAsync(Schedule schedule, KubeEmulator emulator, RunMetrics metrics, int silos, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var windows = new List<EventWindow>();
        foreach (var e in schedule.Events)
        {
            var late = metrics.Elapsed.TotalSeconds - e.AtSeconds;
            if (late > 1)
                output.WriteLine($"   event {e.Number} ({e.Kind.Name()}) starts {late:0}s late: the one before overran its slot");
            await Until(metrics, e.AtSeconds, cancellationToken);
            // Silos index from 0; a rollout's surge pod may take the next index, so look one past.
            var silosLeave = e.Tier == Tier.Silo || e.Kind == EventKind.NodeDrain;
            var readsBefore = silosLeave ? await StorageReadsAsync(http, silos + 1, cancellationToken) : null;
            var window = await emulator.RunAsync(e, cancellationToken);
            if (readsBefore is not null)
            {
                // Only silos answering both times count: one that left took its own counter with it.
                var readsAfter = await StorageReadsAsync(http, silos + 1, cancellationToken);
                window = window with { ReadBack = readsAfter.Where(a => readsBefore.ContainsKey(a.Key)).Sum(a => Math.Max(0, a.Value - readsBefore[a.Key])) };
            }
            windows.Add(window);
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

    /// <summary>
    /// Records replicas every quarter second and the machine's CPU once a second, and shows a live line
    /// (a line every 10 s when not on a terminal).
    /// </summary>
    private async Task ProgressAsync(string profile, RunMetrics metrics, SessionLoad sessions, KubeEmulator emulator, TimeSpan duration, Task load)
    {
        var live = !Console.IsOutputRedirected && ReferenceEquals(output, Console.Out);
        var lastPrinted = -1;
        var cpu = new MachineCpu();
        var cpuSecond = metrics.Second;
        while (!load.IsCompleted)
        {
            var second = metrics.Second;
            var (gateways, silos) = emulator.Replicas;
            var bucket = metrics[second];
            bucket.Gateways = gateways;
            bucket.Silos = silos;
            bucket.Sessions = sessions.ActiveSessions;
            if (second != cpuSecond)
            {
                metrics[cpuSecond].CpuPercent = cpu.Sample();
                cpuSecond = second;
            }
            var previous = second > 0 ? metrics[second - 1] : bucket;
            var failed = metrics.Seconds.Sum(s => s.Bucket.Failures);
            var line = $"[{second,3}s/{duration.TotalSeconds:0}s] {profile,-8} sessions {sessions.ActiveSessions,4}  req/s {previous.Requests,4}  failed {failed,5}  p99 {previous.P99Ms,6:0.0} ms  cpu {previous.CpuPercent,3:0}%  gw {gateways} silos {silos}  {emulator.Current}";
            if (live)
                output.Write($"\r{line,-150}");
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

/// <summary>DIR/repeat.json: each run's figures per profile, and whether the runs reach the same verdict.</summary>
public sealed record Agreement(bool Agree, string Verdict, IReadOnlyList<IReadOnlyList<RunVerdict>> Runs)
{
    public static Agreement Of(IReadOnlyList<IReadOnlyList<Summary>> runs)
    {
        var verdicts = runs.Select(r => (IReadOnlyList<RunVerdict>)[.. r.Select(RunVerdict.Of)]).ToList();
        var graceful = verdicts.SelectMany(v => v).Where(v => v.Profile == "graceful").ToList();
        var naive = verdicts.SelectMany(v => v).Where(v => v.Profile == "naive").ToList();
        var gracefulClean = graceful.Count(v => v.Clean);
        var naiveFailing = naive.Count(v => v.Failed > 0);
        var agree = (gracefulClean == 0 || gracefulClean == graceful.Count) && (naiveFailing == 0 || naiveFailing == naive.Count);
        var verdict = $"graceful clean in {gracefulClean} of {graceful.Count} runs; naive failing in {naiveFailing} of {naive.Count} runs";
        return new Agreement(agree, verdict, verdicts);
    }
}

public sealed record RunVerdict(string Profile, long Requests, long Failed, int Lost, int Duplicated, double WindowP99Ratio, double? CpuMeanPercent)
{
    public bool Clean => Failed == 0 && Lost == 0 && Duplicated == 0;

    public static RunVerdict Of(Summary s) =>
        new(s.Profile, s.Requests, s.Failed, s.OrdersLost, s.OrdersDuplicated, s.ScaleDownLatencyMs.Ratio, s.MachineCpu?.MeanPercent);
}
