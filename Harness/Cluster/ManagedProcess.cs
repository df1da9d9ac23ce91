using System.Diagnostics;
using System.Globalization;

namespace Orderly.Harness.Cluster;

/// <summary>
/// A process the runner started and tracks by pid file. Started in its own session (setsid) with
/// stdout and stderr appended to its log, so it outlives the command that started it and a Ctrl-C in
/// that terminal does not reach it; signals are sent to it deliberately, like kubelet would.
/// </summary>
public sealed class ManagedProcess(ClusterLayout layout, string name, int pid, Process? owned = null, long? startTicks = null)
{
    public string Name { get; } = name;
    public int Pid { get; } = pid;

    /// <summary>The exit code, when this process was started here and has exited (else null).</summary>
    public int? ExitCode => owned is { HasExited: true } ? owned.ExitCode : null;

    public static ManagedProcess Start(ClusterLayout layout, string name, string file, IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        Directory.CreateDirectory(layout.RunDir);
        Directory.CreateDirectory(layout.LogDir);
        var log = layout.LogFile(name);
        File.AppendAllText(log, $"--- {DateTimeOffset.UtcNow:O} starting {name}\n");
        var psi = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            WorkingDirectory = layout.Root,
        };
        // exec keeps the pid: the pid we record is the pid of the program itself.
        foreach (var a in new[] { "sh", "-c", "exec \"$@\" >>\"$LOG_FILE\" 2>&1 </dev/null", name, file })
            psi.ArgumentList.Add(a);
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["LOG_FILE"] = log;
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
            psi.Environment[k] = v;
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {name}");
        // The pid and the kernel's start time of that pid: a later reader can tell our process from
        // an unrelated one that was given the same pid after ours exited.
        var started = Record(layout, name, process.Id);
        return new ManagedProcess(layout, name, process.Id, process, started);
    }

    /// <summary>
    /// Writes the pid file of a process started elsewhere (a daemon that forks, as pg_ctl starts
    /// Postgres): the pid and its start time, as <see cref="Start"/> does.
    /// </summary>
    public static long? Record(ClusterLayout layout, string name, int pid)
    {
        var started = StartTicks(pid);
        File.WriteAllText(layout.PidFile(name), string.Create(CultureInfo.InvariantCulture, $"{pid} {started}\n"));
        return started;
    }

    /// <summary>
    /// The process recorded in a pid file ("pid start-ticks"), or null when there is no such file. A file
    /// without a start time (not written by this runner) is never trusted: that process counts as gone.
    /// </summary>
    public static ManagedProcess? FromPidFile(ClusterLayout layout, string name)
    {
        var file = layout.PidFile(name);
        if (!File.Exists(file))
            return null;
        var parts = File.ReadAllText(file).Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var pid))
            return null;
        long? ticks = parts.Length > 1 && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var t) ? t : -1;
        return new ManagedProcess(layout, name, pid, startTicks: ticks);
    }

    /// <summary>Field 22 of /proc/&lt;pid&gt;/stat: when the process started, in clock ticks since boot; null when it is gone.</summary>
    internal static long? StartTicks(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may hold spaces and parentheses; count from the last ')'.
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[19], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    public static IEnumerable<string> RecordedNames(ClusterLayout layout) =>
        Directory.Exists(layout.RunDir)
            ? Directory.EnumerateFiles(layout.RunDir, "*.pid").Select(f => Path.GetFileNameWithoutExtension(f)!)
            : [];

    public bool IsAlive
    {
        get
        {
            if (owned is not null)
                return !owned.HasExited;
            // A pid now held by some other process is not ours: never signal it.
            if (startTicks is { } expected && StartTicks(Pid) != expected)
                return false;
            // Zombies (exited, not yet reaped) count as gone.
            var stat = $"/proc/{Pid}/stat";
            if (!File.Exists(stat))
                return false;
            try
            {
                var text = File.ReadAllText(stat);
                var state = text[(text.LastIndexOf(')') + 2)..].Split(' ')[0];
                return state != "Z" && state != "X";
            }
            catch (IOException)
            {
                return false;
            }
        }
    }

    public void Signal(UnixSignal signal)
    {
        if (IsAlive)
            _ = Native.Kill(Pid, (int)signal);
    }

    /// <summary>Waits until the process is gone; true if it went before the deadline.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (IsAlive)
        {
            if (DateTime.UtcNow >= deadline)
                return false;
            await Task.Delay(50, cancellationToken);
        }
        return true;
    }

    /// <summary>SIGTERM, then SIGKILL after <paramref name="grace"/>; removes the pid file.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        Signal(UnixSignal.Term);
        if (!await WaitForExitAsync(grace))
        {
            Signal(UnixSignal.Kill);
            await WaitForExitAsync(TimeSpan.FromSeconds(5));
        }
        ForgetPidFile();
    }

    public void ForgetPidFile() => File.Delete(layout.PidFile(Name));
}

public enum UnixSignal
{
    Kill = 9,
    Term = 15,
    Cont = 18,
    Stop = 19,
}

internal static partial class Native
{
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);
}
