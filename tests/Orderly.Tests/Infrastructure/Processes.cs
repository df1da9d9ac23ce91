using Orderly.Harness.Cluster;

namespace Orderly.Tests.Infrastructure;

public sealed record ProcessResult(int ExitCode, string Output, string Error);

/// <summary>Runs a real program to completion with a deadline, capturing its output (the harness' own runner).</summary>
public static class Processes
{
    /// <summary>The build configuration these tests were compiled in (their binaries sit beside ours).</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>The checkout's layout, pointing at the binaries of this build configuration.</summary>
    public static ClusterLayout Layout { get; } = TestDatabase.Layout with { Configuration = Configuration };

    /// <summary>Tokens from the local cluster's issuer process (started with the cluster).</summary>
    public static Orderly.LoadClient.Load.BearerTokens Tokens { get; } = new(new Uri(ClusterLayout.IssuerUrl));

    /// <summary>A client of the local cluster whose requests carry the token their real caller would hold.</summary>
    public static HttpClient Client(Uri baseAddress, TimeSpan? timeout = null) => OwnerTokens.From(Tokens).Client(baseAddress, timeout);

    public static string SiloDll => Layout.SiloDll;
    public static string GatewayDll => Layout.GatewayDll;
    public static string LoadClientDll => Path.Combine(Layout.Root, "LoadClient", "bin", Configuration, "net10.0", "Orderly.LoadClient.dll");
    public static string HarnessDll => Path.Combine(Layout.Root, "Harness", "bin", Configuration, "net10.0", "Orderly.Harness.dll");
    public static string BenchRunnerDll => Path.Combine(Layout.Root, "bench", "Runner", "bin", Configuration, "net10.0", "Orderly.Bench.Runner.dll");

    public static async Task<ProcessResult> RunAsync(string file, IEnumerable<string> args, IDictionary<string, string?>? env = null, TimeSpan? timeout = null)
    {
        var result = await Tool.RunAsync(file, args, CancellationToken.None, env?.AsReadOnly(), TestDatabase.Layout.Root, timeout ?? TimeSpan.FromMinutes(3));
        return new ProcessResult(result.ExitCode, result.Output, result.Error);
    }
}
