using k8s;
using Orderly.LoadClient.Reporting;
using Orderly.LoadClient.Verify;
using Orderly.LoadClient.Load;

namespace Orderly.LoadClient.Kubernetes;

public sealed record KubernetesOptions
{
    public required Uri Target { get; init; }
    public required string Namespace { get; init; }
    public required string OutDir { get; init; }
    public string Profile { get; init; } = "graceful";
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(10);
    public TimeSpan Period { get; init; } = TimeSpan.FromMinutes(5);
    public int Sessions { get; init; } = 32;
    public int MinReplicas { get; init; } = 2;
    public int MaxReplicas { get; init; } = 6;
    public int Seed { get; init; } = 7;
    /// <summary>Where sessions get their bearer tokens (an issuer with the local issuer's POST /token).</summary>
    public required Uri TokenIssuer { get; init; }
}

/// <summary>
/// The experiment in a real cluster: sessions against the ALB, gateway and silo replicas on a sine
/// wave through their HPAs, every acknowledged order read back through the API afterwards. Writes the
/// same files as the local experiment.
/// </summary>
public sealed class KubernetesExperiment(IKubernetes client, TextWriter output)
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(10);

    public async Task<Summary> RunAsync(KubernetesOptions o, CancellationToken cancellationToken)
    {
        var metrics = new RunMetrics(TimeProvider.System);
        var prefix = $"k8s-{DateTime.UtcNow:yyyyMMddHHmmss}";
        var pinners = new[] { new HpaPinner(client, o.Namespace, "gateway"), new HpaPinner(client, o.Namespace, "silo") };
        var wave = new ReplicaWave(o.MinReplicas, o.MaxReplicas, o.Period);
        var windows = new List<EventWindow>();
        var grace = new Dictionary<string, int>();
        foreach (var p in pinners)
        {
            await p.RememberAsync(cancellationToken);
            grace[p.Name] = await p.GraceSecondsAsync(cancellationToken);
        }
        using var tokens = new BearerTokens(o.TokenIssuer);
        var load = new LoadOptions
        {
            Target = o.Target,
            CustomerPrefix = prefix,
            PeakSessions = o.Sessions,
            FloorSessions = Math.Max(1, o.Sessions / 4),
            Period = o.Period,
            Seed = o.Seed,
            Tokens = tokens,
        };
        await using var sessions = new SessionLoad(load, metrics);
        var loadTask = sessions.RunAsync(o.Duration, cancellationToken);
        try
        {
            var current = pinners.ToDictionary(p => p.Name, _ => -1);
            while (!loadTask.IsCompleted)
            {
                var wanted = wave.At(metrics.Elapsed);
                foreach (var p in pinners)
                {
                    if (wanted < current[p.Name] && current[p.Name] > 0)
                    {
                        // A scale-down window lasts until the leaving pods' grace period is over.
                        var start = metrics.Elapsed.TotalSeconds;
                        windows.Add(new EventWindow(windows.Count + 1, p.Name == "gateway" ? Tier.Gateway : Tier.Silo,
                            $"{p.Name} {current[p.Name]}→{wanted}", start, start + grace[p.Name], 0, "scaled down"));
                    }
                    if (wanted != current[p.Name])
                        await p.PinAsync(wanted, cancellationToken);
                    current[p.Name] = wanted;
                    var bucket = metrics[metrics.Second];
                    var ready = await p.ReadyReplicasAsync(cancellationToken);
                    if (p.Name == "gateway") bucket.Gateways = ready; else bucket.Silos = ready;
                }
                output.WriteLine($"[{metrics.Elapsed.TotalSeconds,5:0}s] sessions {sessions.ActiveSessions,3}  replicas → {wanted}  failed {metrics.Seconds.Sum(s => s.Bucket.Failures)}");
                await Task.WhenAny(loadTask, Task.Delay(Tick, cancellationToken));
            }
            await loadTask;
        }
        finally
        {
            foreach (var p in pinners)
                await p.RestoreAsync(CancellationToken.None);
        }

        output.WriteLine($"verifying {sessions.Acknowledged.Count} acknowledged orders through {o.Target}");
        var verification = await HttpVerifier.VerifyAsync(o.Target, [.. sessions.Acknowledged.Values], tokens, cancellationToken);
        var timeline = Results.Timeline(metrics, (int)Math.Ceiling(o.Duration.TotalSeconds));
        var summary = Results.Summarize(o.Profile, o.Sessions, o.Duration.TotalSeconds, timeline, metrics, windows,
            sessions.Acknowledged.Count, verification, PodTimings.For(o.Profile));
        await Results.WriteAsync(Path.Combine(o.OutDir, o.Profile), summary, timeline);
        await ReportPage.WriteAsync(o.OutDir);
        output.WriteLine(Results.Table([summary]));
        output.WriteLine(Results.SummaryLine(summary));
        return summary;
    }
}
