using Orderly.Bench.Runner;

namespace Orderly.Tests.Bench;

/// <summary>The tiered JIT's CPU read from a /proc laid out as Linux lays it out, its threads coming and going between samples.</summary>
public sealed class TieredJitCpuTests : IDisposable
{
    private readonly string _proc = Directory.CreateTempSubdirectory("orderly-proc-").FullName;

    public void Dispose() => Directory.Delete(_proc, recursive: true);

    private void Thread(int pid, int tid, string name, long ns)
    {
        var dir = Path.Combine(_proc, pid.ToString(), "task", tid.ToString());
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "comm"), name + "\n");
        File.WriteAllText(Path.Combine(dir, "schedstat"), $"{ns} 12345 67\n");
    }

    private void Exit(int pid, int tid) => Directory.Delete(Path.Combine(_proc, pid.ToString(), "task", tid.ToString()), recursive: true);

    [Fact]
    public void Counts_workers_from_the_first_sample_including_ones_that_start_and_exit_between_samples()
    {
        Thread(10, 10, "Orderly.Silo", 9_000_000_000);
        Thread(10, 11, TieredJitCpu.ThreadName, 2_000_000_000); // compiling before the window: counts from here
        Thread(10, 12, ".NET Timer", 1_000_000_000);
        Thread(20, 21, TieredJitCpu.ThreadName, 500_000_000);
        var jit = new TieredJitCpu([("silo", 10), ("gateway", 20), ("silo", 99)], _proc); // 99: gone already
        jit.Sample();

        Thread(10, 11, TieredJitCpu.ThreadName, 2_300_000_000); // +0.3 s, then it exits
        Thread(10, 12, ".NET Timer", 5_000_000_000);          // not the JIT
        jit.Sample();
        Exit(10, 11);
        Thread(10, 13, TieredJitCpu.ThreadName, 40_000_000);  // a new worker: all of it is in the window
        jit.Sample();
        Thread(10, 13, TieredJitCpu.ThreadName, 100_000_000);
        Thread(10, 11, TieredJitCpu.ThreadName, 20_000_000);  // a new worker that got a gone one's id
        jit.Sample();

        Assert.Equal(0.3 + 0.1 + 0.02, jit.SecondsOf("silo"), 9);
        Assert.Equal(0, jit.SecondsOf("gateway"));
        Assert.Equal(0, jit.SecondsOf("haproxy"));
    }

    [Fact]
    public void Reads_this_process_without_failing()
    {
        var jit = new TieredJitCpu([("test", Environment.ProcessId)]);
        jit.Sample();
        jit.Sample();
        Assert.InRange(jit.SecondsOf("test"), 0, 60);
    }
}
