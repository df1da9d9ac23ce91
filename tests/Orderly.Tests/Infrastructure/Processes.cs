using System.Diagnostics;
using System.Text;
using Orderly.Harness.Cluster;

namespace Orderly.Tests.Infrastructure;

public sealed record ProcessResult(int ExitCode, string Output, string Error);

/// <summary>Runs a real program to completion with a deadline, capturing its output.</summary>
public static class Processes
{
    /// <summary>The build configuration these tests were compiled in (their binaries sit beside ours).</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>The checkout's layout, pointing at the binaries of this build configuration.</summary>
    public static ClusterLayout Layout { get; } = TestDatabase.Layout with { Configuration = Configuration };

    public static string SiloDll => Layout.SiloDll;
    public static string GatewayDll => Layout.GatewayDll;
    public static string LoadClientDll => Path.Combine(Layout.Root, "LoadClient", "bin", Configuration, "net10.0", "Orderly.LoadClient.dll");
    public static string HarnessDll => Path.Combine(Layout.Root, "Harness", "bin", Configuration, "net10.0", "Orderly.Harness.dll");
    public static string BenchRunnerDll => Path.Combine(Layout.Root, "bench", "Runner", "bin", Configuration, "net10.0", "Orderly.Bench.Runner.dll");

    public static async Task<ProcessResult> RunAsync(string file, IEnumerable<string> args, IDictionary<string, string?>? env = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = TestDatabase.Layout.Root };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string?>())
        {
            if (v is null)
                psi.Environment.Remove(k);
            else
                psi.Environment[k] = v;
        }
        using var process = new Process { StartInfo = psi };
        var output = new StringBuilder();
        var error = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (error) error.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in time. Output: {output} Error: {error}");
        }
        process.WaitForExit();
        return new ProcessResult(process.ExitCode, output.ToString(), error.ToString());
    }
}
