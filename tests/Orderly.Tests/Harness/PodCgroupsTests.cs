using Orderly.Harness.Cluster;

namespace Orderly.Tests.Harness;

/// <summary>A CPU limit, when one is asked for, is a CFS quota as kubelet writes it, and it does not outlive its run.</summary>
public sealed class PodCgroupsTests
{
    [Fact]
    public async Task A_silo_limit_is_a_quota_per_100_ms_period_and_the_next_pod_in_the_group_runs_without_it()
    {
        Assert.True(Environment.IsPrivilegedProcess, "the harness places pods in cgroups as root, as ./orderly runs it");
        var layout = new ClusterLayout(Path.Combine(Path.GetTempPath(), "orderly-cg-" + Guid.NewGuid().ToString("N")[..8]));
        var name = $"silo-{Random.Shared.Next(100, 10_000)}";
        string Quota() => File.ReadAllText(Path.Combine(PodCgroups.CpuGroup(name), "cpu.cfs_quota_us")).Trim();

        var limited = ManagedProcess.Start(layout, name, "sleep", ["30"]);
        try
        {
            PodCgroups.Place(limited, cpuLimitMillis: 500);
            Assert.Equal("50000", Quota());
            Assert.Equal("100000", File.ReadAllText(Path.Combine(PodCgroups.CpuGroup(name), "cpu.cfs_period_us")).Trim());
            // CFS's counters are there and only grow (the starting process may run into a new period between two reads).
            var first = PodCgroups.Throttling(name)!;
            var since = PodCgroups.Throttling(name)! - first;
            Assert.True(since.Periods >= 0 && since.Throttled >= 0 && since.ThrottledSeconds >= 0, $"the counters went back: {since}");
        }
        finally
        {
            limited.Signal(UnixSignal.Kill);
            await limited.WaitForExitAsync(TimeSpan.FromSeconds(5));
        }

        var next = ManagedProcess.Start(layout, name, "sleep", ["30"]);
        try
        {
            PodCgroups.Place(next);
            Assert.Equal("-1", Quota());
        }
        finally
        {
            next.Signal(UnixSignal.Kill);
            await next.WaitForExitAsync(TimeSpan.FromSeconds(5));
            PodCgroups.RemoveEmpty();
            Directory.Delete(layout.Root, recursive: true);
        }
    }
}
