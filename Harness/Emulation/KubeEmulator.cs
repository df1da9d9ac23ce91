using Orderly.LoadClient.Kubernetes;
using Orderly.Harness.Cluster;
using Orderly.LoadClient.Load;
using Orderly.LoadClient.Reporting;

namespace Orderly.Harness.Emulation;

/// <summary>
/// Plays kubelet, the Deployment and ReplicaSet controllers, the eviction API and the AWS Load
/// Balancer Controller against the local cluster, honestly: a pod marked terminating keeps getting
/// traffic until the controller deregisters it after its lag; meanwhile kubelet runs preStop (if any),
/// sends SIGTERM, and SIGKILLs after the grace period. A new pod is a new process, in service once its
/// readiness probe answers 200 and (gateways) the load balancer's health checks see it UP — the
/// readiness gate. Evictions ask the tier's PodDisruptionBudget and are retried when refused.
/// </summary>
public sealed class KubeEmulator
{
    /// <summary>kubectl drain retries a refused eviction every 5 s; Karpenter backs off similarly.</summary>
    public static readonly TimeSpan EvictionRetry = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan EvictionGiveUp = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan LoadBalancerUpTimeout = TimeSpan.FromSeconds(45);

    private readonly LocalCluster _cluster;
    private readonly ClusterSpec _spec;
    private readonly PodTimings _timings;
    private readonly RunMetrics _metrics;
    private readonly HaproxyRuntime _haproxy;
    private readonly TierPods _gateways;
    private readonly TierPods _silos;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _doing = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _failedStarts = new();

    public KubeEmulator(LocalCluster cluster, ClusterSpec spec, PodTimings timings, RunMetrics metrics)
    {
        (_cluster, _spec, _timings, _metrics) = (cluster, spec, timings, metrics);
        _haproxy = new HaproxyRuntime(cluster.Layout);
        var budget = new DisruptionBudget(timings.DisruptionMaxUnavailable);
        _gateways = new TierPods(Tier.Gateway, spec.Gateways, budget, ClusterLayout.MaxReplicas);
        _silos = new TierPods(Tier.Silo, spec.Silos, budget, ClusterLayout.MaxReplicas);
    }

    /// <summary>Pods in service (healthy, not terminating) per tier.</summary>
    public (int Gateways, int Silos) Replicas => (_gateways.Healthy, _silos.Healthy);

    public string? Current => _doing.IsEmpty ? null : string.Join(", ", _doing.Values.Order().Take(3));

    private TierPods Pods(Tier tier) => tier == Tier.Gateway ? _gateways : _silos;

    /// <summary>Plays one event to its end (its pods gone, replacements in service, the tier back to size).</summary>
    public async Task<EventWindow> RunAsync(ScaleDownEvent e, CancellationToken cancellationToken)
    {
        var lags = new Queue<double>(e.Lags);
        var start = _metrics.Elapsed.TotalSeconds;
        var left = new List<(string Pod, Task<string> Outcome)>();
        var refused = 0;
        switch (e.Kind)
        {
            case EventKind.Pod or EventKind.HpaStep:
                // A ReplicaSet scaling down deletes pods directly: no budget is asked.
                foreach (var i in Pods(e.Tier).DeleteNewest(e.Count))
                    left.Add(Leave(e.Tier, i, lags));
                await Task.WhenAll(left.Select(l => l.Outcome));
                var end = _metrics.Elapsed.TotalSeconds;
                await Until(e.UpAtSeconds, cancellationToken);
                await Task.WhenAll(Enumerable.Range(0, e.Count).Select(_ => StartPodAsync(e.Tier, cancellationToken)));
                return await Window(e, start, end, left, refused);
            case EventKind.NodeDrain:
                refused = await DrainAsync(e, lags, left, cancellationToken);
                return await Window(e, start, null, left, refused);
            default:
                await RolloutAsync(e, lags, left, cancellationToken);
                return await Window(e, start, null, left, refused);
        }
    }

    private async Task<EventWindow> Window(ScaleDownEvent e, double start, double? end, List<(string Pod, Task<string> Outcome)> left, int refused)
    {
        var outcomes = await Task.WhenAll(left.Select(l => l.Outcome));
        var distinct = outcomes.Distinct().ToList();
        var outcome = distinct.Count == 1 ? distinct[0] : string.Join("; ", left.Zip(outcomes, (l, o) => $"{l.Pod}: {o}"));
        while (_failedStarts.TryDequeue(out var failed))
            outcome += $"; replacement not started: {failed}";
        return new EventWindow(e.Number, e.Tier, string.Join(",", left.Select(l => l.Pod)), start, end ?? LastGone(left),
            e.Lags.Count == 0 ? 0 : e.Lags.Max(), outcome,
            e.Kind.Name(), refused, e.Lags, e.Describe(e.Tier == Tier.Gateway ? _spec.Gateways : _spec.Silos));
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, double> _goneAt = new();

    private double LastGone(List<(string Pod, Task<string> Outcome)> left) => left.Max(l => _goneAt.GetValueOrDefault(l.Pod, _metrics.Elapsed.TotalSeconds));

    /// <summary>
    /// Drains nodes (a gateway and a silo each) like kubectl drain or Karpenter: every pod is evicted at
    /// once through the budget; a refused eviction is retried until the tier's replacement is in service.
    /// The Deployment starts a replacement as soon as a pod is evicted. Returns the refusals.
    /// </summary>
    private async Task<int> DrainAsync(ScaleDownEvent e, Queue<double> lags, List<(string Pod, Task<string> Outcome)> left, CancellationToken cancellationToken)
    {
        var pods = _gateways.HealthyPods().Take(e.Count).Select(i => (Tier.Gateway, i))
            .Concat(_silos.HealthyPods().Take(e.Count).Select(i => (Tier.Silo, i))).ToList();
        // Each gateway's lag is fixed by its place in the drain, whatever order the evictions succeed in.
        var gatewayLags = pods.Where(p => p.Item1 == Tier.Gateway).ToDictionary(p => p.i, _ => lags.Dequeue());
        var leaving = new System.Collections.Concurrent.ConcurrentBag<(string, Task<string>)>();
        var replacements = new System.Collections.Concurrent.ConcurrentBag<Task>();
        var refusals = await Task.WhenAll(pods.Select(async p =>
        {
            var (tier, index) = p;
            var name = Name(tier, index);
            _doing[name] = $"{name} eviction";
            var refused = await Pods(tier).EvictAsync(index, EvictionRetry, EvictionGiveUp, TimeProvider.System, cancellationToken);
            if (refused < 0)
            {
                // Given up, as kubectl drain does after its timeout: the pod stays, every retry was refused.
                _doing.TryRemove(name, out _);
                return (int)(EvictionGiveUp / EvictionRetry);
            }
            replacements.Add(StartPodAsync(tier, cancellationToken));
            leaving.Add(Leave(tier, index, tier == Tier.Gateway ? new Queue<double>([gatewayLags[index]]) : lags));
            return refused;
        }));
        left.AddRange(leaving.OrderBy(l => l.Item1, StringComparer.Ordinal));
        await Task.WhenAll(left.Select(l => l.Outcome));
        await Task.WhenAll(replacements);
        return refusals.Sum();
    }

    /// <summary>
    /// A rolling update as the Deployment controller runs it: new pods up to replicas + maxSurge, an old
    /// pod deleted only while the available ones (old in service, new ready for minReadySeconds) stay at
    /// or above replicas − maxUnavailable.
    /// </summary>
    private async Task RolloutAsync(ScaleDownEvent e, Queue<double> lags, List<(string Pod, Task<string> Outcome)> left, CancellationToken cancellationToken)
    {
        var pods = Pods(e.Tier);
        var replicas = pods.Expected;
        var (surge, unavailable) = _timings.Rolling(replicas);
        var old = new Queue<int>(pods.HealthyPods());
        var started = new List<Task>();
        var available = 0;
        while (old.Count > 0 || started.Count < replicas)
        {
            while (started.Count < replicas && old.Count + started.Count < replicas + surge)
                started.Add(StartNewAsync());
            while (old.Count > 0 && old.Count - 1 + Volatile.Read(ref available) >= replicas - unavailable)
            {
                var index = old.Dequeue();
                pods.Delete(index);
                left.Add(Leave(e.Tier, index, lags));
            }
            if (old.Count == 0 && started.Count >= replicas)
                break;
            await Task.Delay(200, cancellationToken);
        }
        await Task.WhenAll(started);
        await Task.WhenAll(left.Select(l => l.Outcome));

        async Task StartNewAsync()
        {
            await StartPodAsync(e.Tier, cancellationToken);
            if (_timings.MinReadySeconds > 0)
                await Task.Delay(TimeSpan.FromSeconds(_timings.MinReadySeconds), cancellationToken);
            Interlocked.Increment(ref available);
        }
    }

    /// <summary>A pod marked terminating: the controller deregisters it after its lag (gateways), kubelet stops it.</summary>
    private (string Pod, Task<string> Outcome) Leave(Tier tier, int index, Queue<double> lags)
    {
        var name = Name(tier, index);
        var process = _cluster.Started[name];
        _doing[name] = $"{name} terminating";
        // The endpoints controller drops a terminating pod from the headless Service at once.
        if (tier == Tier.Silo)
            SiloEndpoints.MarkTerminating(_cluster.Layout, name);
        var lag = tier == Tier.Gateway ? lags.Dequeue() : 0;
        return (name, LeaveAsync());

        async Task<string> LeaveAsync()
        {
            var deregistration = tier == Tier.Gateway ? DeregisterAfterAsync(name, TimeSpan.FromSeconds(lag)) : Task.CompletedTask;
            var kubelet = TerminateAsync(process, tier == Tier.Gateway ? _timings.GatewayPreStopSeconds : _timings.SiloPreStopSeconds);
            await Task.WhenAll(deregistration, kubelet);
            _goneAt[name] = _metrics.Elapsed.TotalSeconds;
            Pods(tier).Gone(index);
            _doing.TryRemove(name, out _);
            return await kubelet;
        }
    }

    /// <summary>A new pod in a free slot: the process starts, its readiness probe answers, the load balancer sees it UP.</summary>
    private async Task StartPodAsync(Tier tier, CancellationToken cancellationToken)
    {
        var pods = Pods(tier);
        var index = pods.ReserveSlot();
        var name = Name(tier, index);
        _doing[name] = $"{name} starting";
        try
        {
            if (tier == Tier.Gateway)
            {
                await _cluster.StartGatewayAsync(index, _spec, cancellationToken);
                await _haproxy.RegisterAsync(name);
                await _haproxy.WaitUpAsync(name, LoadBalancerUpTimeout, cancellationToken);
            }
            else
            {
                await _cluster.StartSiloAsync(index, _spec, cancellationToken);
            }
            pods.BecameHealthy(index);
        }
        catch (ClusterException x)
        {
            // A pod that never becomes ready (here: a machine too busy to start it in time) is what the
            // Deployment would leave crash-looping: the run goes on short of a replica, and says so.
            pods.Release(index);
            _failedStarts.Enqueue($"{name}: {x.Message}");
            if (_cluster.Started.TryGetValue(name, out var process) && process.IsAlive)
                process.Signal(UnixSignal.Kill);
        }
        finally
        {
            _doing.TryRemove(name, out _);
        }
    }

    private static string Name(Tier tier, int index) => tier == Tier.Gateway ? ClusterLayout.GatewayName(index) : ClusterLayout.SiloName(index);

    private async Task Until(double seconds, CancellationToken cancellationToken)
    {
        var wait = TimeSpan.FromSeconds(seconds) - _metrics.Elapsed;
        if (wait > TimeSpan.Zero)
            await Task.Delay(wait, cancellationToken);
    }

    private async Task DeregisterAfterAsync(string name, TimeSpan lag)
    {
        await Task.Delay(lag);
        await _haproxy.DeregisterAsync(name);
    }

    /// <summary>kubelet: preStop sleep, SIGTERM, wait out the grace period, SIGKILL.</summary>
    private async Task<string> TerminateAsync(ManagedProcess process, int preStopSeconds)
    {
        if (preStopSeconds > 0)
            await Task.Delay(TimeSpan.FromSeconds(preStopSeconds));
        process.Signal(UnixSignal.Term);
        var remaining = TimeSpan.FromSeconds(Math.Max(1, _timings.GraceSeconds - preStopSeconds));
        if (await process.WaitForExitAsync(remaining))
        {
            process.ForgetPidFile();
            return process.ExitCode is { } code ? $"exit {code}" : "exited";
        }
        process.Signal(UnixSignal.Kill);
        await process.WaitForExitAsync(TimeSpan.FromSeconds(10));
        process.ForgetPidFile();
        return "SIGKILL after grace period";
    }
}
