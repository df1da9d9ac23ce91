using Orderly.LoadClient.Kubernetes;
using Orderly.LoadClient.Reporting;

namespace Orderly.Harness.Emulation;

/// <summary>
/// One planned change. <paramref name="Count"/> is pods for pod and hpa-step, nodes for node-drain, the
/// tier's size for a rollout. <paramref name="Lags"/> holds one deregistration lag per gateway pod that
/// leaves, in the order they leave.
/// </summary>
public sealed record ScaleDownEvent(int Number, EventKind Kind, Tier Tier, int Count, double AtSeconds, double SlotSeconds, IReadOnlyList<double> Lags)
{
    /// <summary>When a pod or hpa-step event scales its tier back (never before its pods are gone).</summary>
    public double UpAtSeconds => AtSeconds + SlotSeconds * 0.6;

    public string Describe(int replicas) => Kind switch
    {
        EventKind.Pod => $"pod: one {Name(Tier)}",
        EventKind.HpaStep => $"hpa-step: {Name(Tier)}s {replicas}→{replicas - Count}",
        EventKind.NodeDrain => $"node-drain: {Count} node(s) of a gateway and a silo",
        _ => $"rollout: {Count} {Name(Tier)}s replaced",
    };

    private static string Name(Tier tier) => tier == Tier.Gateway ? "gateway" : "silo";
}

/// <summary>
/// The same events, at the same times, with the same random lags, for every profile: a warm-up, then one
/// slot per event. Kinds take turns in the order given; within a kind the tier alternates (and
/// neighbouring kinds start on different tiers), hpa-steps alternate between the largest step (N→2) and a smaller one, node drains between
/// one node and two at once (the second waits for the budget). Slots are planned from the graceful
/// timeline (the longer one), so both profiles share them.
/// </summary>
public sealed record Schedule(IReadOnlyList<ScaleDownEvent> Events, double DurationSeconds)
{
    public const double WarmupSeconds = 10;
    public const double CooldownSeconds = 8;
    /// <summary>
    /// Long enough for a graceful gateway to leave (preStop + drain + stop, ~32 s) and a new one to start
    /// and pass the load balancer's health checks (~10–15 s on a busy 2-core machine).
    /// </summary>
    public const double PodSlotSeconds = 50;
    /// <summary>
    /// A silo leaves in its preStop plus Orleans' own stop (~10 s), and a new one is ready in ~10–15 s; it
    /// sits behind no load balancer, so no health checks to pass.
    /// </summary>
    public const double SiloSlotSeconds = 35;
    /// <summary>A rollout step: start a pod, wait for its readiness and the load balancer's health checks.</summary>
    public const double RolloutStepSeconds = 22;

    public static Schedule Create(IReadOnlyList<EventKind> kinds, int events, int seed, int gateways, int silos, LagDistribution lags, PodTimings planning)
    {
        var random = new Random(seed);
        var list = new List<ScaleDownEvent>();
        var budget = LagSweep.Budget(planning);
        var at = WarmupSeconds;
        for (var i = 0; i < events; i++)
        {
            var kind = kinds[i % kinds.Count];
            var turn = i / kinds.Count;
            // The tier alternates within a kind, and neighbouring kinds start on different tiers.
            var tier = kind == EventKind.NodeDrain || (turn + i % kinds.Count) % 2 == 0 ? Tier.Gateway : Tier.Silo;
            var size = tier == Tier.Gateway ? gateways : silos;
            var count = kind switch
            {
                EventKind.Pod => 1,
                // Down to the HPA's floor of 2 first, then a smaller step.
                EventKind.HpaStep => turn / 2 % 2 == 0 || size < 6 ? Math.Max(1, size - 2) : size / 3,
                EventKind.NodeDrain => turn % 2 == 0 || Math.Min(gateways, silos) < 3 ? 1 : 2,
                _ => size,
            };
            var leavingGateways = kind == EventKind.NodeDrain ? count : tier == Tier.Gateway ? count : 0;
            var drawn = Enumerable.Range(0, leavingGateways).Select(_ => lags.Draw(random)).ToList();
            var tail = Math.Max(0, (drawn.Count == 0 ? 0 : drawn.Max()) - budget);
            var podSlot = tier == Tier.Gateway ? PodSlotSeconds : SiloSlotSeconds;
            var slot = kind switch
            {
                EventKind.Pod => podSlot,
                EventKind.HpaStep => podSlot + 5,
                EventKind.NodeDrain => PodSlotSeconds + 5 + (count - 1) * 35,
                _ => size * RolloutStepSeconds + podSlot,
            } + tail;
            list.Add(new ScaleDownEvent(i + 1, kind, tier, count, at, Math.Round(slot, 1), drawn));
            at += Math.Round(slot, 1);
        }
        return new Schedule(list, at + CooldownSeconds);
    }

    /// <summary>The lag sweep: one gateway pod event per lag, each slot long enough for its lag.</summary>
    public static Schedule Sweep(IReadOnlyList<double> lags, PodTimings planning)
    {
        var budget = LagSweep.Budget(planning);
        var list = new List<ScaleDownEvent>();
        var at = WarmupSeconds;
        foreach (var lag in lags)
        {
            var slot = LagSweep.SlotSeconds(lag, budget);
            list.Add(new ScaleDownEvent(list.Count + 1, EventKind.Pod, Tier.Gateway, 1, at, slot, [lag]));
            at += slot;
        }
        return new Schedule(list, at + CooldownSeconds);
    }
}
