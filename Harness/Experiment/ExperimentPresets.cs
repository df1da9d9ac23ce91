using Orderly.LoadClient.Kubernetes;
using System.Globalization;
using Orderly.Harness.Emulation;
using Orderly.LoadClient.Cli;
using Orderly.LoadClient.Reporting;

namespace Orderly.Harness.Experiment;

/// <summary>What the command line asked for; null means "the preset's default".</summary>
public sealed record ExperimentRequest(IReadOnlyList<string> Profiles, string ConnectionString, string OutDir, bool Demo, string Scale,
    string? Kinds, int? Events, int? Sessions, int? Replicas, int Seed, string Clients, double LagMedian, double LagP99, bool LagSweep, string? Lags);

/// <summary>
/// The presets. default: 16 sessions thinking 50–250 ms, 4 events. demo: one event of each of pod,
/// hpa-step and node-drain on 4 gateways and 4 silos, so it stays within minutes. seed: about 1,000
/// sessions at the sine's peak thinking 5–15 s each (≈ 100 requests/s: with 2–8 s, ≈ 200 requests/s,
/// 12 processes on this 2-core machine saturated it and the machine, not Orderly, set the numbers),
/// 10 events of every kind on 6 gateways and 6 silos.
/// </summary>
public static class ExperimentPresets
{
    public const int MaxReplicas = 7;

    public static ExperimentOptions Build(ExperimentRequest r)
    {
        var seed = r.Scale == "seed";
        var kinds = EventKinds.Parse(r.Kinds ?? (r.Demo ? "hpa-step,pod,node-drain" : "pod,hpa-step,node-drain,rollout"));
        var lags = new LagDistribution(r.LagMedian, r.LagP99, Math.Max(LagDistribution.Default.MaxSeconds, r.LagP99 * 2));
        lags.Validate();
        // An hpa-step to 2 from 6, two nodes drained at once, a rollout with a surge: these need room.
        var replicas = r.Replicas ?? (r.LagSweep || kinds.All(k => k == EventKind.Pod) ? 3 : r.Demo ? 4 : 6);
        if (replicas < 2 || replicas > MaxReplicas)
            throw new UsageException($"--replicas must be from 2 to {MaxReplicas}");
        var events = r.Events ?? (seed ? 10 * kinds.Count : r.Demo ? kinds.Count : 4);
        if (events < 1 || events > 200)
            throw new UsageException("--events must be from 1 to 200");
        var sessions = r.Sessions ?? (seed ? 1000 : 16);
        if (sessions < 1 || sessions > 2000)
            throw new UsageException("--sessions must be from 1 to 2000");
        return new ExperimentOptions
        {
            Profiles = r.Profiles,
            ConnectionString = r.ConnectionString,
            OutDir = r.OutDir,
            Events = events,
            Sessions = sessions,
            Seed = r.Seed,
            Gateways = replicas,
            Silos = replicas,
            Kinds = kinds,
            Clients = r.Clients,
            Lags = lags,
            SweepLags = r.LagSweep ? ParseLags(r.Lags) ?? LagSweep.Lags(LagSweep.Budget(PodTimings.Graceful)) : null,
            ThinkMin = seed ? TimeSpan.FromSeconds(5) : TimeSpan.FromMilliseconds(50),
            ThinkMax = seed ? TimeSpan.FromSeconds(15) : TimeSpan.FromMilliseconds(250),
            Period = seed ? TimeSpan.FromSeconds(120) : TimeSpan.FromSeconds(60),
            Scale = r.LagSweep ? "lag-sweep" : seed ? "seed" : r.Demo ? "demo" : "default",
        };
    }

    private static List<double>? ParseLags(string? text)
    {
        if (text is null)
            return null;
        var lags = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var lag) || lag < 0 || lag > 300)
                throw new UsageException($"--lags: '{part}' is not a lag from 0 to 300 seconds");
            lags.Add(lag);
        }
        return lags.Count > 0 ? lags : throw new UsageException("--lags names no lag");
    }
}
