using Orderly.LoadClient.Reporting;

namespace Orderly.Harness.Emulation;

/// <summary>
/// The pods of one tier as the control plane sees them: which slots hold a healthy pod (ready, and for
/// gateways seen healthy by the load balancer: the readiness gate), which hold one starting or
/// terminating, how many the Deployment expects, and the tier's budget. Thread-safe; no processes:
/// the emulator acts on what this decides.
/// </summary>
public sealed class TierPods(Tier tier, int expected, DisruptionBudget budget, int slots)
{
    private readonly Lock _lock = new();
    private readonly SortedSet<int> _healthy = [.. Enumerable.Range(0, expected)];
    private readonly HashSet<int> _busy = [];
    private int _refused;

    public Tier Tier => tier;
    public int Expected => expected;
    public DisruptionBudget Budget => budget;

    /// <summary>Evictions the budget refused so far (each retry that was refused counts).</summary>
    public int Refused => Volatile.Read(ref _refused);

    public int Healthy
    {
        get
        {
            lock (_lock)
                return _healthy.Count;
        }
    }

    /// <summary>The healthy pods, highest slot first (the ones a scale-down or a drain picks).</summary>
    public IReadOnlyList<int> HealthyPods()
    {
        lock (_lock)
            return [.. _healthy.Reverse()];
    }

    /// <summary>Deletes pods without asking the budget (a ReplicaSet scaling down): they stop counting as healthy.</summary>
    public IReadOnlyList<int> DeleteNewest(int count)
    {
        lock (_lock)
        {
            var picked = _healthy.Reverse().Take(count).ToList();
            foreach (var i in picked)
                Delete(i);
            return picked;
        }
    }

    /// <summary>Deletes one pod without asking the budget (the Deployment scaling down its old ReplicaSet).</summary>
    public bool Delete(int index)
    {
        lock (_lock)
        {
            if (!_healthy.Remove(index))
                return false;
            _busy.Add(index);
            return true;
        }
    }

    /// <summary>The eviction API: deletes the pod if the budget allows, else refuses (HTTP 429 in Kubernetes).</summary>
    public bool TryEvict(int index)
    {
        lock (_lock)
        {
            if (_healthy.Contains(index) && budget.DisruptionsAllowed(expected, _healthy.Count) > 0)
                return Delete(index);
            Interlocked.Increment(ref _refused);
            return false;
        }
    }

    /// <summary>
    /// Evicts like kubectl drain and Karpenter do: ask, and when refused wait and ask again until the
    /// budget allows it or <paramref name="giveUp"/> passes. Returns how often it was refused, or −1 if it gave up.
    /// </summary>
    public async Task<int> EvictAsync(int index, TimeSpan retry, TimeSpan giveUp, TimeProvider time, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        for (var refused = 0; ; refused++)
        {
            if (TryEvict(index))
                return refused;
            if (time.GetElapsedTime(started) >= giveUp)
                return -1;
            await Task.Delay(retry, time, cancellationToken);
        }
    }

    /// <summary>A free slot for a new pod (starting), never one whose old pod is still leaving.</summary>
    public int ReserveSlot()
    {
        lock (_lock)
        {
            var slot = Enumerable.Range(0, slots).First(i => !_healthy.Contains(i) && !_busy.Contains(i));
            _busy.Add(slot);
            return slot;
        }
    }

    /// <summary>A pod started in a reserved slot passed its readiness (and the load balancer's) checks.</summary>
    public void BecameHealthy(int index)
    {
        lock (_lock)
        {
            _busy.Remove(index);
            _healthy.Add(index);
        }
    }

    /// <summary>A terminating pod is gone: its slot is free again.</summary>
    public void Gone(int index)
    {
        lock (_lock)
            _busy.Remove(index);
    }

    /// <summary>A slot reserved for a pod that never started is free again.</summary>
    public void Release(int index) => Gone(index);
}
