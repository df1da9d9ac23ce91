using Microsoft.Extensions.Time.Testing;
using Orderly.LoadClient.Kubernetes;
using Orderly.Harness.Emulation;
using Orderly.LoadClient.Reporting;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Harness;

/// <summary>The control-plane arithmetic the experiment plays: budgets, evictions, rollouts, the schedule and the lag sweep.</summary>
public sealed class EmulationTests
{
    private static readonly TimeSpan Retry = TimeSpan.FromMilliseconds(20);

    [Fact]
    public async Task An_eviction_a_budget_refuses_is_retried_and_never_happens_while_it_refuses()
    {
        // maxUnavailable 0: no voluntary disruption is ever allowed.
        var pods = new TierPods(Tier.Gateway, 3, new DisruptionBudget(0), 16);
        // On a clock the test moves, so a busy machine cannot make the retries fewer than the 300 ms allow.
        var time = new FakeTimeProvider();
        var eviction = pods.EvictAsync(2, Retry, TimeSpan.FromMilliseconds(300), time, CancellationToken.None);
        for (var step = 0; step < 1000 && !eviction.IsCompleted; step++)
        {
            var seen = pods.Refused;
            time.Advance(Retry);
            SpinWait.SpinUntil(() => pods.Refused > seen || eviction.IsCompleted, TimeSpan.FromMilliseconds(200));
        }
        var refused = await eviction;

        Assert.Equal(-1, refused);
        Assert.True(pods.Refused >= 3, $"asked only {pods.Refused} times");
        Assert.Equal([2, 1, 0], pods.HealthyPods());
    }

    [Fact]
    public async Task A_second_eviction_waits_until_the_first_pods_replacement_is_in_service()
    {
        var pods = new TierPods(Tier.Silo, 4, new DisruptionBudget(1), 16);
        Assert.True(pods.TryEvict(3));
        var second = pods.EvictAsync(2, Retry, TimeSpan.FromSeconds(30), TimeProvider.System, CancellationToken.None);

        await Eventually.Until(() => Task.FromResult(pods.Refused), n => n >= 2, TimeSpan.FromSeconds(10), "the budget refusing the second eviction");
        Assert.False(second.IsCompleted);
        Assert.Contains(2, pods.HealthyPods());

        // The Deployment's replacement becomes ready: the budget has room again and the retry goes through.
        var replacement = pods.ReserveSlot();
        Assert.NotEqual(3, replacement); // the evicted pod's slot is still terminating
        pods.BecameHealthy(replacement);
        Assert.True(await second >= 2);
        Assert.DoesNotContain(2, pods.HealthyPods());
        Assert.Equal(3, pods.Healthy);
    }

    [Fact]
    public void Without_a_budget_every_eviction_is_allowed_at_once()
    {
        var pods = new TierPods(Tier.Gateway, 3, new DisruptionBudget(null), 16);
        Assert.True(pods.TryEvict(2));
        Assert.True(pods.TryEvict(1));
        Assert.True(pods.TryEvict(0));
        Assert.Equal(0, pods.Refused);
    }

    [Theory]
    [InlineData("graceful", 6, 1, 0)]
    [InlineData("graceful", 2, 1, 0)]
    [InlineData("naive", 6, 2, 1)]  // Kubernetes' default 25 %: surge rounds up, unavailable down
    [InlineData("naive", 2, 1, 0)]
    public void Rolling_updates_resolve_surge_and_unavailable_like_the_deployment_controller(string profile, int replicas, int surge, int unavailable) =>
        Assert.Equal((surge, unavailable), PodTimings.For(profile).Rolling(replicas));

    [Fact]
    public void The_same_seed_plans_the_same_schedule_with_kinds_taking_turns()
    {
        var kinds = EventKinds.Parse("pod,hpa-step,node-drain,rollout");
        var a = Schedule.Create(kinds, 12, 7, 6, 6, LagDistribution.Default, PodTimings.Graceful);
        var b = Schedule.Create(kinds, 12, 7, 6, 6, LagDistribution.Default, PodTimings.Graceful);

        Assert.Equal(a.Events.Select(e => (e.Kind, e.Tier, e.Count, e.AtSeconds, string.Join(",", e.Lags))),
            b.Events.Select(e => (e.Kind, e.Tier, e.Count, e.AtSeconds, string.Join(",", e.Lags))));
        Assert.Equal([EventKind.Pod, EventKind.HpaStep, EventKind.NodeDrain, EventKind.Rollout], a.Events.Take(4).Select(e => e.Kind));
        var steps = a.Events.Where(e => e.Kind == EventKind.HpaStep).Select(e => (e.Tier, e.Count)).ToList();
        Assert.Equal([(Tier.Silo, 4), (Tier.Gateway, 4), (Tier.Silo, 2)], steps); // 6→2, 6→2, then 6→4
        Assert.Equal([Tier.Gateway, Tier.Silo, Tier.Gateway], a.Events.Where(e => e.Kind == EventKind.Pod).Select(e => e.Tier));
        Assert.Equal([1, 2, 1], a.Events.Where(e => e.Kind == EventKind.NodeDrain).Select(e => e.Count));
        // One lag per gateway that leaves: a drain of two nodes has two, a silo rollout none.
        Assert.All(a.Events, e => Assert.Equal(e.Kind == EventKind.NodeDrain || e.Tier == Tier.Gateway ? e.Count : 0, e.Lags.Count));
        Assert.All(a.Events.Zip(a.Events.Skip(1)), p => Assert.Equal(p.First.AtSeconds + p.First.SlotSeconds, p.Second.AtSeconds, 3));
        Assert.Throws<Orderly.LoadClient.Cli.UsageException>(() => EventKinds.Parse("pod,evict"));
    }

    [Fact]
    public void Deregistration_lags_have_a_tail_well_above_their_median()
    {
        var random = new Random(1);
        var lags = Enumerable.Range(0, 4000).Select(_ => LagDistribution.Default.Draw(random)).Order().ToList();
        Assert.InRange(lags[lags.Count / 2], 4.5, 5.5);
        Assert.InRange(lags[(int)(lags.Count * 0.99)], 30, 50);
        Assert.True(lags.Count(l => l > LagSweep.Budget(PodTimings.Graceful)) > 10, "no lag past the graceful budget");
        Assert.True(lags[^1] <= LagDistribution.Default.MaxSeconds);
    }

    [Fact]
    public void The_lag_sweep_reaches_the_budget_exactly_and_goes_past_it()
    {
        var budget = LagSweep.Budget(PodTimings.Graceful);
        Assert.Equal(30, budget); // P + X = 15 + 15
        var lags = LagSweep.Lags(budget);
        Assert.Equal(2, lags[0]);
        Assert.Contains(30, lags);
        Assert.Equal(3, lags.Count(l => l > budget));
        Assert.Equal(lags.Order(), lags);
        // The boundary: exactly the budget is covered, the smallest step past it is not.
        Assert.True(LagSweep.WithinBudget(30, PodTimings.Graceful));
        Assert.False(LagSweep.WithinBudget(30.01, PodTimings.Graceful));
        // Up to the budget a slot is the graceful timeline's; past it the lag sets it, so the pod stays
        // registered for its whole lag before the tier scales back.
        Assert.Equal(LagSweep.SlotSeconds(2, budget), LagSweep.SlotSeconds(30, budget));
        Assert.Equal(30 + LagSweep.StopMarginSeconds + LagSweep.ScaleUpSeconds, LagSweep.SlotSeconds(30, budget));
        Assert.Equal(60 + LagSweep.ScaleUpSeconds, LagSweep.SlotSeconds(60, budget));
        var sweep = Schedule.Sweep(lags, PodTimings.Graceful);
        Assert.All(sweep.Events, e => Assert.True(e.SlotSeconds >= Math.Max(e.Lags[0], budget) + LagSweep.ScaleUpSeconds));
        Assert.Equal(lags, sweep.Events.Select(e => e.Lags.Single()));
        Assert.Equal(Schedule.WarmupSeconds + sweep.Events.Sum(e => e.SlotSeconds) + Schedule.CooldownSeconds, sweep.DurationSeconds, 3);
    }
}
