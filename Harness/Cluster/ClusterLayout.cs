namespace Orderly.Harness.Cluster;

/// <summary>
/// The local cluster's names, ports and files, as docs/architecture.md fixes them (each shifted by ORDERLY_PORT_OFFSET): gateway i on 5100+i
/// (public) and 5300+i (management), silo i on 5200+i (management), 11111+i (silo) and 30000+i
/// (Orleans gateway), HAProxy on 8080/8404, the token issuer on 5090, the local Prometheus on 9090,
/// pid files in .orderly/run and logs in .orderly/logs.
/// </summary>
public sealed record ClusterLayout(string Root, string Configuration = "Release")
{
    /// <summary>
    /// ORDERLY_PORT_OFFSET (default 0) shifts every local port by the same amount, so two checkouts (or
    /// two people) on one machine can each run a cluster: with 1000, HAProxy listens on 9080, gateway 0 on 6100.
    /// </summary>
    public static int PortOffset => Offset.Value;

    private static readonly Lazy<int> Offset = new(ReadPortOffset);

    public static int HaproxyPort => 8080 + PortOffset;
    public static int HaproxyStatsPort => 8404 + PortOffset;
    /// <summary>The local token issuer (Identity/LocalIssuer.cs) the gateways take their keys from.</summary>
    public static int IssuerPort => 5090 + PortOffset;
    public static string IssuerUrl => $"http://127.0.0.1:{IssuerPort}";
    public const string IssuerName = "issuer";
    /// <summary>The local Prometheus (Monitoring/LocalPrometheus.cs): its UI and HTTP API.</summary>
    public static int PrometheusPort => 9090 + PortOffset;
    public static Uri PrometheusUrl => new($"http://127.0.0.1:{PrometheusPort}");
    public const int MaxReplicas = 16;

    public static ClusterLayout FromEnvironment()
    {
        var root = Environment.GetEnvironmentVariable("ORDERLY_ROOT");
        if (string.IsNullOrEmpty(root))
        {
            // Walk up from the binary to the folder holding the entry script.
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "orderly")) && File.Exists(Path.Combine(dir.FullName, "Orderly.slnx")))
                {
                    root = dir.FullName;
                    break;
                }
            }
        }
        // A bad ORDERLY_PORT_OFFSET fails every command here, before anything starts.
        _ = PortOffset;
        var configuration = Environment.GetEnvironmentVariable("ORDERLY_CONFIGURATION") is { Length: > 0 } c ? c : "Release";
        return new ClusterLayout(root ?? throw new InvalidOperationException("cannot find the Orderly checkout; set ORDERLY_ROOT"), configuration);
    }

    public string State => Path.Combine(Root, ".orderly");
    public string RunDir => Path.Combine(State, "run");
    public string LogDir => Path.Combine(State, "logs");
    public string HaproxyConfig => Path.Combine(State, "haproxy.cfg");
    public string HaproxySocket => Path.Combine(RunDir, "haproxy.sock");
    public string ProfileFile => Path.Combine(RunDir, "profile");
    /// <summary>The local issuer's signing key, kept across cluster restarts (Identity/LocalIssuer.cs).</summary>
    public string IssuerKeyFile => Path.Combine(RunDir, "issuer-key.pem");

    /// <summary>The silos the gateways may connect to, kept by <see cref="SiloEndpoints"/> (the gateways' <c>Silos:OrleansGatewayListFile</c>).</summary>
    public string OrleansGatewayListFile => Path.Combine(RunDir, "orleans-gateways");

    /// <summary>Present while the pod of <paramref name="name"/> is terminating (<see cref="SiloEndpoints.MarkTerminating"/>).</summary>
    public string TerminatingFile(string name) => Path.Combine(RunDir, name + ".terminating");

    /// <summary>Present while the node of the pod of <paramref name="name"/> is lost (<see cref="SiloEndpoints.MarkUnreported"/>).</summary>
    public string UnreportedFile(string name) => Path.Combine(RunDir, name + ".unreported");

    public string PidFile(string name) => Path.Combine(RunDir, name + ".pid");
    public string LogFile(string name) => Path.Combine(LogDir, name + ".log");

    public string SiloDll => Path.Combine(Root, "Silo", "bin", Configuration, "net10.0", "Orderly.Silo.dll");
    public string HarnessDll => Path.Combine(Root, "Harness", "bin", Configuration, "net10.0", "Orderly.Harness.dll");
    public string GatewayDll => Path.Combine(Root, "Gateway", "bin", Configuration, "net10.0", "Orderly.Gateway.dll");
    /// <summary>The bench's stateless baseline server (bench/Baseline), not part of the product.</summary>
    public string BaselineDll => Path.Combine(Root, "bench", "Baseline", "bin", Configuration, "net10.0", "Orderly.Baseline.dll");

    public static string GatewayName(int i) => $"gateway-{i}";
    public static string SiloName(int i) => $"silo-{i}";
    /// <summary>The replica index in a process name: 2 for "silo-2".</summary>
    public static int IndexOf(string name) =>
        int.Parse(name.AsSpan(name.LastIndexOf('-') + 1), System.Globalization.CultureInfo.InvariantCulture);

    public static int GatewayPort(int i) => 5100 + PortOffset + i;
    public static int GatewayManagementPort(int i) => 5300 + PortOffset + i;
    public static int SiloManagementPort(int i) => 5200 + PortOffset + i;
    public static int SiloPort(int i) => 11111 + PortOffset + i;
    public static int OrleansGatewayPort(int i) => 30000 + PortOffset + i;

    private static int ReadPortOffset()
    {
        var text = Environment.GetEnvironmentVariable("ORDERLY_PORT_OFFSET");
        if (string.IsNullOrEmpty(text))
            return 0;
        // The highest base port (30000 + replicas) must stay below 65536.
        if (!int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var offset) || offset < 0 || offset > 30000)
            throw new ClusterException($"ORDERLY_PORT_OFFSET must be a whole number from 0 to 30000, is '{text}'");
        return offset;
    }

    public static Uri GatewayUrl(int i) => new($"http://127.0.0.1:{GatewayPort(i)}");
    /// <summary>Gateway i's operators' port (/metrics); HAProxy never routes to it.</summary>
    public static Uri GatewayManagementUrl(int i) => new($"http://127.0.0.1:{GatewayManagementPort(i)}");
    public static Uri SiloManagementUrl(int i) => new($"http://127.0.0.1:{SiloManagementPort(i)}");
    public static Uri FrontEndUrl => new($"http://127.0.0.1:{HaproxyPort}");
}
