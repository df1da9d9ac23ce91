namespace Orderly.Harness.Emulation;

/// <summary>The ways pods leave a production cluster, as the experiment plays them.</summary>
public enum EventKind
{
    /// <summary>One pod of a tier is deleted, and the tier scales back later.</summary>
    Pod,
    /// <summary>An HPA step: k of N replicas of a tier deleted at the same moment (a ReplicaSet asks no budget), then scaled back.</summary>
    HpaStep,
    /// <summary>Nodes, each holding one gateway and one silo, drained through the eviction API (budgets respected).</summary>
    NodeDrain,
    /// <summary>A rolling update: every pod of a tier replaced in turn, maxSurge 1, maxUnavailable 0.</summary>
    Rollout,
}

public static class EventKinds
{
    public static readonly EventKind[] All = [EventKind.Pod, EventKind.HpaStep, EventKind.NodeDrain, EventKind.Rollout];

    /// <summary>The command-line and summary name: pod, hpa-step, node-drain, rollout.</summary>
    public static string Name(this EventKind kind) => kind switch
    {
        EventKind.Pod => "pod",
        EventKind.HpaStep => "hpa-step",
        EventKind.NodeDrain => "node-drain",
        EventKind.Rollout => "rollout",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Parses "pod,hpa-step,…"; unknown names are a usage error naming the known ones.</summary>
    public static IReadOnlyList<EventKind> Parse(string text)
    {
        var kinds = new List<EventKind>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kind = All.Where(k => k.Name() == part).Select(k => (EventKind?)k).FirstOrDefault()
                ?? throw new Orderly.LoadClient.Cli.UsageException($"unknown event kind '{part}'; known: {string.Join(", ", All.Select(Name))}");
            if (!kinds.Contains(kind))
                kinds.Add(kind);
        }
        return kinds.Count > 0 ? kinds : throw new Orderly.LoadClient.Cli.UsageException("--kinds names no event kind");
    }

    /// <summary>Whether pods of the gateway tier leave in this kind of event (the load balancer's side of scale-down).</summary>
    public static bool InvolvesGateways(this EventKind kind, Orderly.LoadClient.Reporting.Tier tier) =>
        kind == EventKind.NodeDrain || tier == Orderly.LoadClient.Reporting.Tier.Gateway;
}
