using System.Diagnostics;

namespace Orderly.Harness.Cluster;

/// <summary>
/// Runs a short-lived command to its end (schema migration, config check, pgbench) and hands back
/// what it printed. Both streams are drained while it runs, so a chatty tool cannot block on a full pipe.
/// A daemon a command starts must not hold the pipes (give pg_ctl a log file with -l). The one runner
/// of short commands for the harness, the bench and the tests.
/// </summary>
public static class Tool
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        /// <summary>stderr then stdout, trimmed: what to show when the command failed.</summary>
        public string Printed => $"{Error.Trim()} {Output.Trim()}".Trim();
    }

    /// <param name="environment">Variables to set; a null value removes the variable.</param>
    /// <param name="timeout">Kill the command (and its children) when it runs longer; a <see cref="TimeoutException"/> says what it printed.</param>
    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null, TimeSpan? timeout = null)
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
        foreach (var (k, v) in environment ?? new Dictionary<string, string?>())
        {
            if (v is null)
                psi.Environment.Remove(k);
            else
                psi.Environment[k] = v;
        }
        using var process = Process.Start(psi) ?? throw new ClusterException($"could not start {file}");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } limit)
            deadline.CancelAfter(limit);
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            if (cancellationToken.IsCancellationRequested)
                throw;
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeout}. Output: {await stdout} Error: {await stderr}");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
