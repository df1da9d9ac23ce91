using System.Diagnostics;

namespace Orderly.Harness.Cluster;

/// <summary>
/// Runs a short-lived command to its end (schema migration, config check, pgbench) and hands back
/// what it printed. Both streams are drained while it runs, so a chatty tool cannot block on a full pipe.
/// Not for commands that leave a daemon holding the pipes (pg_ctl start/restart).
/// </summary>
public static class Tool
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        /// <summary>stderr then stdout, trimmed: what to show when the command failed.</summary>
        public string Printed => $"{Error.Trim()} {Output.Trim()}".Trim();
    }

    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
            psi.Environment[k] = v;
        using var process = Process.Start(psi) ?? throw new ClusterException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
