using System.Globalization;

namespace Orderly.Bench.Runner;

/// <summary>
/// The CPU the .NET runtime's tiered-compilation worker spent in a set of processes: what a process that
/// is minutes old still compiles (the tiered JIT promotes a method that a 5-s timer calls after 30 calls,
/// and again after 30 more), not what it does each second once warm. Read per thread from
/// /proc/PID/task/TID/schedstat (nanoseconds on a CPU). The worker exits when it has nothing left to
/// compile and a new one starts when there is, so <see cref="Sample"/> is called every few hundred
/// milliseconds; a worker that exits between two samples counts what it had at its last.
/// </summary>
public sealed class TieredJitCpu(IReadOnlyList<(string Kind, int Pid)> processes, string procRoot = "/proc")
{
    /// <summary>The worker's name, ".NET Tiered Compilation Worker", as Linux keeps it (15 characters).</summary>
    public const string ThreadName = ".NET Tiered Com";

    private readonly Dictionary<(int Pid, int Tid), (string Kind, long Start, long Last)> _threads = [];
    private readonly Dictionary<string, long> _finished = [];
    private bool _started;

    /// <summary>
    /// Reads every worker thread's CPU time. The first call marks the start: the workers alive then count
    /// from what they had; any found later started in the window and count from nothing.
    /// </summary>
    public void Sample()
    {
        foreach (var (kind, pid) in processes)
        {
            foreach (var task in Tasks(pid))
            {
                if (!int.TryParse(Path.GetFileName(task), NumberStyles.None, CultureInfo.InvariantCulture, out var tid) || Read(task) is not { } ns)
                    continue;
                var key = (pid, tid);
                if (_threads.TryGetValue(key, out var known) && ns >= known.Last)
                {
                    _threads[key] = known with { Last = ns };
                    continue;
                }
                // A new worker, or a new thread that reuses a gone worker's id: the old one's time is kept.
                if (_threads.Remove(key, out var gone))
                    _finished[gone.Kind] = _finished.GetValueOrDefault(gone.Kind) + gone.Last - gone.Start;
                _threads[key] = (kind, _started ? 0 : ns, ns);
            }
        }
        _started = true;
    }

    /// <summary>CPU seconds the workers of each kind of process spent since the first sample.</summary>
    public double SecondsOf(string kind) =>
        (_finished.GetValueOrDefault(kind) + _threads.Values.Where(t => t.Kind == kind).Sum(t => t.Last - t.Start)) / 1e9;

    private string[] Tasks(int pid)
    {
        try
        {
            return Directory.GetDirectories(Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture), "task"));
        }
        catch (IOException)
        {
            return [];
        }
    }

    /// <summary>The thread's CPU time in ns when it is a tiered-compilation worker; null otherwise or when it is gone.</summary>
    private static long? Read(string task)
    {
        try
        {
            if (File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') != ThreadName)
                return null;
            var schedstat = File.ReadAllText(Path.Combine(task, "schedstat"));
            return long.Parse(schedstat.AsSpan(0, schedstat.IndexOf(' ')), NumberStyles.None, CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
