using System.Globalization;

namespace Orderly.Harness.Cluster;

/// <summary>
/// Each emulated pod's process in cgroups of its own, as kubelet does it: in the cgroup v1 cpu
/// controller with a weight from its CPU request (cpu.shares = request in millicores × 1024 / 1000,
/// kubelet's own formula), and no quota, because the overlays set no CPU limit (what one costs:
/// docs/eks.md, measured with ./orderly bench --silo-cpu-limit-millis); and in a cgroup v2 group named after it, which the network faults match
/// its sockets by. All pods share one parent per hierarchy, weighted as the machine's cores, so
/// the harness, the load client, HAProxy and Postgres outside it are not starved either.
/// </summary>
/// <remarks>
/// A process is placed right after it starts, before the .NET runtime (which takes far longer to
/// start) has opened a socket. Without root or without these hierarchies nothing is placed and pods
/// share the CPU as plain processes do; see docs/experiment.md.
/// </remarks>
public static class PodCgroups
{
    /// <summary>The overlays' CPU requests (k8s/base), in millicores; a manifest test keeps them equal.</summary>
    public const int SiloCpuMillis = 500;
    public const int GatewayCpuMillis = 250;

    private const string CpuRoot = "/sys/fs/cgroup/cpu";

    /// <summary>The cgroup v2 hierarchy: its own mount on a hybrid machine (cgroup v1 controllers beside it), else the root.</summary>
    public static readonly string Unified = Directory.Exists("/sys/fs/cgroup/unified") ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";

    /// <summary>The folder both hierarchies use: "orderly", or "orderly&lt;offset&gt;" beside another checkout.</summary>
    public static string Folder => "orderly" + (ClusterLayout.PortOffset == 0 ? "" : ClusterLayout.PortOffset.ToString(CultureInfo.InvariantCulture));

    public static string UnifiedGroup(string name) => Path.Combine(Unified, Folder, name);
    public static string CpuGroup(string name) => Path.Combine(CpuRoot, Folder, name);

    public static bool CanPlace => Environment.IsPrivilegedProcess && File.Exists(Path.Combine(Unified, "cgroup.procs"));
    private static bool HasCpu => Environment.IsPrivilegedProcess && File.Exists(Path.Combine(CpuRoot, "cpu.shares"));

    /// <summary>kubelet's weight for a CPU request.</summary>
    public static int Shares(int cpuMillis) => Math.Max(2, cpuMillis * 1024 / 1000);

    /// <summary>The request of the pod a process stands for, by its name.</summary>
    public static int CpuMillisOf(string name) => name.StartsWith("silo-", StringComparison.Ordinal) ? SiloCpuMillis : GatewayCpuMillis;

    /// <summary>CFS's period; a limit of m millicores is a quota of m × 100 µs in each.</summary>
    public const int CfsPeriodMicros = 100_000;

    /// <summary>
    /// Places <paramref name="process"/>; <paramref name="cpuLimitMillis"/>, when given, is a CPU limit as
    /// kubelet sets one (a CFS quota per 100-ms period). The overlays set none: this is for measuring what one costs.
    /// </summary>
    public static void Place(ManagedProcess process, int? cpuLimitMillis = null)
    {
        var pid = process.Pid.ToString(CultureInfo.InvariantCulture);
        if (CanPlace)
        {
            Directory.CreateDirectory(UnifiedGroup(process.Name));
            File.WriteAllText(Path.Combine(UnifiedGroup(process.Name), "cgroup.procs"), pid);
        }
        if (HasCpu)
        {
            var parent = Path.Combine(CpuRoot, Folder);
            Directory.CreateDirectory(parent);
            File.WriteAllText(Path.Combine(parent, "cpu.shares"), Shares(1000 * Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture));
            var group = CpuGroup(process.Name);
            Directory.CreateDirectory(group);
            File.WriteAllText(Path.Combine(group, "cpu.shares"), Shares(CpuMillisOf(process.Name)).ToString(CultureInfo.InvariantCulture));
            File.WriteAllText(Path.Combine(group, "cpu.cfs_period_us"), CfsPeriodMicros.ToString(CultureInfo.InvariantCulture));
            // A group outlives its process: a limit set for one run must not stay for the next.
            File.WriteAllText(Path.Combine(group, "cpu.cfs_quota_us"), (cpuLimitMillis is { } m ? m * (CfsPeriodMicros / 1000) : -1).ToString(CultureInfo.InvariantCulture));
            File.WriteAllText(Path.Combine(group, "cgroup.procs"), pid);
        }
    }

    /// <summary>What CFS counted for the group of <paramref name="name"/> so far (cpu.stat); null without the cpu controller.</summary>
    public static CpuThrottling? Throttling(string name)
    {
        var stat = Path.Combine(CpuGroup(name), "cpu.stat");
        if (!File.Exists(stat))
            return null;
        var values = File.ReadAllLines(stat).Select(l => l.Split(' ')).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture));
        return new CpuThrottling(values.GetValueOrDefault("nr_periods"), values.GetValueOrDefault("nr_throttled"), values.GetValueOrDefault("throttled_time") / 1e9);
    }

    /// <summary>Removes the pods' groups that no longer hold a process (a group with one stays until it is empty).</summary>
    public static void RemoveEmpty()
    {
        foreach (var root in new[] { Path.Combine(Unified, Folder), Path.Combine(CpuRoot, Folder) })
        {
            if (!Environment.IsPrivilegedProcess || !Directory.Exists(root))
                continue;
            foreach (var dir in Directory.GetDirectories(root))
            {
                try
                {
                    Directory.Delete(dir);
                }
                catch (IOException)
                {
                    // Still holds a live process.
                }
            }
        }
    }
}

/// <summary>CFS's counts for one group: periods with runnable work, periods in which the quota ran out, and the time its threads waited for the next period.</summary>
public sealed record CpuThrottling(long Periods, long Throttled, double ThrottledSeconds)
{
    public static CpuThrottling operator -(CpuThrottling after, CpuThrottling before) =>
        new(after.Periods - before.Periods, after.Throttled - before.Throttled, Math.Round(after.ThrottledSeconds - before.ThrottledSeconds, 3));

    public static CpuThrottling operator +(CpuThrottling a, CpuThrottling b) =>
        new(a.Periods + b.Periods, a.Throttled + b.Throttled, Math.Round(a.ThrottledSeconds + b.ThrottledSeconds, 3));
}
