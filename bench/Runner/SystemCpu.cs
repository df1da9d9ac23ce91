using System.Globalization;
using Orderly.Harness.Cluster;

namespace Orderly.Bench.Runner;

/// <summary>
/// CPU seconds one kind of process (gateway, silo, haproxy, postgres…) spent between two samples, and
/// of those, what the .NET runtime's tiered JIT spent compiling (0 where it was not read, as for pgbench's run).
/// </summary>
public sealed record ProcessCpu(string Kind, int Processes, double Seconds, double JitSeconds = 0);

/// <summary>
/// The CPU time the processes of the system under test spend, read from /proc (user + system time,
/// whatever core it ran on): Orderly's gateways and silos or the baseline, HAProxy, and every Postgres
/// process of the cluster the bench writes to — backends, WAL writer, checkpointer. The load client is
/// not part of the system and is not counted. A Postgres backend that exits between two samples is not
/// lost: the postmaster reaps it, and the kernel adds its time to the postmaster's children's time.
/// </summary>
public sealed class SystemCpu
{
    private static readonly double TicksPerSecond = ClockTicks();
    private readonly IReadOnlyList<(string Kind, int Pid)> _processes;
    private readonly int? _postmaster;

    private SystemCpu(IReadOnlyList<(string Kind, int Pid)> processes, int? postmaster)
    {
        _processes = processes;
        _postmaster = postmaster;
    }

    /// <summary>Whether Postgres' processes are counted (the throwaway instance on this machine); false for a remote database.</summary>
    public bool CountsPostgres => _postmaster is not null;

    /// <summary>
    /// The cluster's running processes by kind (the name without its index), and the Postgres the
    /// connection string reaches when it runs on this machine: the parent of the backend serving a
    /// connection is its postmaster.
    /// </summary>
    public static async Task<SystemCpu> OfAsync(LocalCluster cluster, string connectionString, CancellationToken cancellationToken)
    {
        var processes = cluster.Running().Where(p => p.Name != "postgres" && p.Name != ClusterLayout.IssuerName && p.Name != SiloEndpoints.Name)
            .Select(p => (KindOf(p.Name), p.Pid)).ToList();
        int? postmaster = null;
        await using (var db = Npgsql.NpgsqlDataSource.Create(connectionString))
        await using (var command = db.CreateCommand("SELECT pg_backend_pid()"))
        {
            var backend = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
            // Only a server on this machine: a remote backend's pid means nothing here.
            if (Read(backend) is { } b && File.ReadAllText($"/proc/{backend}/comm").Trim() == "postgres")
                postmaster = b.Parent;
        }
        return new SystemCpu(processes, postmaster);
    }

    /// <summary>"gateway-1" → "gateway", "haproxy" → "haproxy".</summary>
    public static string KindOf(string name)
    {
        var dash = name.LastIndexOf('-');
        return dash > 0 && int.TryParse(name.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _) ? name[..dash] : name;
    }

    /// <summary>CPU seconds so far, by kind; a process that is gone counts what it had at its last sample as nothing more.</summary>
    public IReadOnlyDictionary<string, (int Processes, double Seconds)> Sample()
    {
        var byKind = new Dictionary<string, (int, double)>();
        void Add(string kind, double seconds)
        {
            var (n, s) = byKind.GetValueOrDefault(kind);
            byKind[kind] = (n + 1, s + seconds);
        }
        foreach (var (kind, pid) in _processes)
            if (Read(pid) is { } t)
                Add(kind, t.Own / TicksPerSecond);
        if (_postmaster is { } postmaster && Read(postmaster) is { } pm)
        {
            Add("postgres", (pm.Own + pm.Children) / TicksPerSecond);
            foreach (var child in ChildrenOf(postmaster))
                if (Read(child) is { } t)
                    Add("postgres", t.Own / TicksPerSecond);
        }
        return byKind;
    }

    /// <summary>What each kind spent over <paramref name="span"/> with nothing asked of it, and what the tiered JIT spent of it.</summary>
    public async Task<IReadOnlyList<ProcessCpu>> OverAsync(TimeSpan span, CancellationToken cancellationToken) =>
        (await DuringAsync(async () => { await Task.Delay(span, cancellationToken); return span; }, cancellationToken)).Cpu;

    /// <summary>
    /// What each kind spent while <paramref name="work"/> ran, and what the tiered JIT spent of it
    /// (<see cref="TieredJitCpu"/>, its workers read every 200 ms alongside).
    /// </summary>
    public async Task<(T Result, IReadOnlyList<ProcessCpu> Cpu)> DuringAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        // HAProxy is not a .NET process (Postgres' processes are not in the list): it has no JIT to read.
        var jit = new TieredJitCpu([.. _processes.Where(p => p.Kind != "haproxy")]);
        var before = Sample();
        jit.Sample();
        T result;
        using (var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            var sampling = SampleAsync(jit, stop.Token);
            try
            {
                result = await work();
            }
            finally
            {
                await stop.CancelAsync();
                await sampling;
            }
        }
        jit.Sample();
        return (result, [.. Between(before, Sample()).Select(c => c with { JitSeconds = Math.Round(Math.Min(c.Seconds, jit.SecondsOf(c.Kind)), 3) })]);
    }

    private static async Task SampleAsync(TieredJitCpu jit, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(JitSamplePeriod);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
                jit.Sample();
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static readonly TimeSpan JitSamplePeriod = TimeSpan.FromMilliseconds(200);

    /// <summary>What each kind spent between two samples.</summary>
    public static IReadOnlyList<ProcessCpu> Between(IReadOnlyDictionary<string, (int Processes, double Seconds)> before, IReadOnlyDictionary<string, (int Processes, double Seconds)> after) =>
        [.. after.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k =>
            new ProcessCpu(k.Key, k.Value.Processes, Math.Round(Math.Max(0, k.Value.Seconds - before.GetValueOrDefault(k.Key).Seconds), 3)))];

    private static IEnumerable<int> ChildrenOf(int parent)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                continue;
            if (Read(pid) is { } t && t.Parent == parent)
                yield return pid;
        }
    }

    /// <summary>/proc/PID/stat: parent pid (field 4), utime + stime (14, 15), cutime + cstime (16, 17), in clock ticks.</summary>
    private static (int Parent, long Own, long Children)? Read(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        // The command name (field 2) is in parentheses and may hold spaces: fields count from after it.
        var f = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        long L(int field) => long.Parse(f[field - 3], CultureInfo.InvariantCulture);
        return ((int)L(4), L(14) + L(15), L(16) + L(17));
    }

    /// <summary>USER_HZ: 100 on every Linux the bench runs on (getconf CLK_TCK); asked once in case it is not.</summary>
    private static double ClockTicks()
    {
        try
        {
            using var getconf = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true });
            var text = getconf!.StandardOutput.ReadToEnd().Trim();
            getconf.WaitForExit();
            return double.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var hz) && hz > 0 ? hz : 100;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return 100;
        }
    }
}
