using System.Diagnostics;
using Orderly.Harness.Cluster;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Harness;

/// <summary>The runner signals only processes it started, even when a pid has been given to someone else since.</summary>
public sealed class ManagedProcessTests : IDisposable
{
    private readonly ClusterLayout _layout = new(Path.Combine(Path.GetTempPath(), "orderly-pid-" + Guid.NewGuid().ToString("N")[..8]));

    [Fact]
    public async Task A_pid_file_whose_pid_now_belongs_to_another_process_is_never_signalled()
    {
        using var stranger = Process.Start("sleep", "60");
        try
        {
            Directory.CreateDirectory(_layout.RunDir);
            // Ours once had this pid, but started at another time: the kernel's start time does not match.
            await File.WriteAllTextAsync(_layout.PidFile("gateway-0"), $"{stranger.Id} 1\n");
            var recorded = ManagedProcess.FromPidFile(_layout, "gateway-0")!;

            Assert.False(recorded.IsAlive);
            recorded.Signal(UnixSignal.Kill);
            await new LocalCluster(_layout, TextWriter.Null).DownAsync();

            Assert.False(stranger.WaitForExit(300), "the unrelated process was killed");
            Assert.False(File.Exists(_layout.PidFile("gateway-0")), "the stale pid file was left behind");
        }
        finally
        {
            stranger.Kill();
        }
    }

    [Fact]
    public async Task A_pid_file_without_a_start_time_is_not_trusted()
    {
        using var stranger = Process.Start("sleep", "60");
        try
        {
            Directory.CreateDirectory(_layout.RunDir);
            await File.WriteAllTextAsync(_layout.PidFile("silo-0"), $"{stranger.Id}\n");
            ManagedProcess.FromPidFile(_layout, "silo-0")!.Signal(UnixSignal.Kill);
            Assert.False(stranger.WaitForExit(300), "the unrelated process was killed");
        }
        finally
        {
            stranger.Kill();
        }
    }

    [Fact]
    public async Task A_process_the_runner_started_is_recognised_from_its_pid_file_and_stopped()
    {
        var started = ManagedProcess.Start(_layout, "silo-0", "sleep", ["60"]);
        var recorded = ManagedProcess.FromPidFile(_layout, "silo-0")!;
        Assert.Equal(started.Pid, recorded.Pid);
        Assert.True(recorded.IsAlive);

        await recorded.StopAsync(TimeSpan.FromSeconds(5));

        Assert.True(await started.WaitForExitAsync(TimeSpan.FromSeconds(5)));
        Assert.False(File.Exists(_layout.PidFile("silo-0")));
    }

    public void Dispose()
    {
        if (Directory.Exists(_layout.Root))
            Directory.Delete(_layout.Root, recursive: true);
    }
}
