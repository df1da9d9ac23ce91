using Orderly.LoadClient.Cluster;
using Orderly.LoadClient.Load;

namespace Orderly.LoadClient.Experiment;

/// <summary>What happened in one scale-down: from "pod marked terminating" until it is gone and deregistered.</summary>
/// <param name="ReadBack">For a silo leaving: order rows the silos that stayed read from storage during the
/// window (orderly_orders_storage_reads_total); orders handed over warm add nothing. Null when not measured.</param>
public sealed record EventWindow(int Number, Tier Tier, string Pod, double StartSeconds, double EndSeconds, double DeregistrationLagSeconds, string Outcome, long? ReadBack = null);

/// <summary>
/// Plays kubelet and the AWS Load Balancer Controller against the local cluster, honestly:
/// a pod marked terminating keeps getting traffic until the controller deregisters it after a lag;
/// meanwhile kubelet runs preStop (if any), sends SIGTERM, and SIGKILLs after the grace period.
/// Scale-up starts a new process, waits for its readiness probe, then registers it.
/// </summary>
public sealed class KubeEmulator(LocalCluster cluster, ClusterSpec spec, PodTimings timings, RunMetrics metrics)
{
    private readonly HaproxyRuntime _haproxy = new(cluster.Layout);
    private readonly Lock _lock = new();
    private readonly SortedSet<int> _gateways = [.. Enumerable.Range(0, spec.Gateways)];
    private readonly SortedSet<int> _silos = [.. Enumerable.Range(0, spec.Silos)];
    private readonly Dictionary<string, Task> _leaving = [];

    /// <summary>Pods in service (not terminating) per tier.</summary>
    public (int Gateways, int Silos) Replicas
    {
        get
        {
            lock (_lock)
                return (_gateways.Count, _silos.Count);
        }
    }

    public string? Current { get; private set; }

    public async Task<EventWindow> ScaleDownAsync(ScaleDownEvent e)
    {
        int index;
        lock (_lock)
        {
            var pool = e.Tier == Tier.Gateway ? _gateways : _silos;
            index = pool.Max;
            pool.Remove(index);
        }
        var name = e.Tier == Tier.Gateway ? ClusterLayout.GatewayName(index) : ClusterLayout.SiloName(index);
        Current = $"event {e.Number}: {name} terminating";
        var start = metrics.Elapsed.TotalSeconds;
        var process = cluster.Started[name];

        var deregistration = e.Tier == Tier.Gateway
            ? DeregisterAfterAsync(name, TimeSpan.FromSeconds(e.DeregistrationLagSeconds))
            : Task.CompletedTask;
        var kubelet = TerminateAsync(process, e.Tier == Tier.Gateway ? timings.GatewayPreStopSeconds : timings.SiloPreStopSeconds);
        var termination = Task.WhenAll(deregistration, kubelet);
        lock (_lock)
            _leaving[name] = termination;
        await termination;

        var outcome = await kubelet;
        Current = null;
        return new EventWindow(e.Number, e.Tier, name, start, metrics.Elapsed.TotalSeconds, e.DeregistrationLagSeconds, outcome);
    }

    /// <summary>Brings the tier back to its starting size, reusing the freed slot once its old pod is gone.</summary>
    public async Task ScaleUpAsync(Tier tier, CancellationToken cancellationToken)
    {
        int index;
        lock (_lock)
        {
            var pool = tier == Tier.Gateway ? _gateways : _silos;
            var size = tier == Tier.Gateway ? spec.Gateways : spec.Silos;
            index = Enumerable.Range(0, size).First(i => !pool.Contains(i));
        }
        var name = tier == Tier.Gateway ? ClusterLayout.GatewayName(index) : ClusterLayout.SiloName(index);
        Task? leaving;
        lock (_lock)
            leaving = _leaving.GetValueOrDefault(name);
        if (leaving is not null)
            await leaving;
        Current = $"{name} starting";
        if (tier == Tier.Gateway)
        {
            await cluster.StartGatewayAsync(index, spec, cancellationToken);
            await _haproxy.RegisterAsync(name);
        }
        else
        {
            await cluster.StartSiloAsync(index, spec, cancellationToken);
        }
        lock (_lock)
            (tier == Tier.Gateway ? _gateways : _silos).Add(index);
        Current = null;
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
        var remaining = TimeSpan.FromSeconds(Math.Max(1, timings.GraceSeconds - preStopSeconds));
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
