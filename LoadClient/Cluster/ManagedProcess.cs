using System.Diagnostics;
using System.Globalization;

namespace Orderly.LoadClient.Cluster;

/// <summary>
/// A process the runner started and tracks by pid file. Started in its own session (setsid) with
/// stdout and stderr appended to its log, so it outlives the command that started it and a Ctrl-C in
/// that terminal does not reach it; signals are sent to it deliberately, like kubelet would.
/// </summary>
public sealed class ManagedProcess(ClusterLayout layout, string name, int pid, Process? owned = null)
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
        File.WriteAllText(layout.PidFile(name), process.Id.ToString(CultureInfo.InvariantCulture));
        return new ManagedProcess(layout, name, process.Id, process);
    }

    /// <summary>The process recorded in a pid file, if that pid is still alive.</summary>
    public static ManagedProcess? FromPidFile(ClusterLayout layout, string name)
    {
        var file = layout.PidFile(name);
        if (!File.Exists(file) || !int.TryParse(File.ReadAllText(file).Trim(), out var pid))
            return null;
        return new ManagedProcess(layout, name, pid);
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
