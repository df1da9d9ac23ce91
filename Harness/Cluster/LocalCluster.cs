using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Orderly.Harness.Cluster;

/// <summary>What to start. Timings default to production-like values; tests shorten them.</summary>
public sealed record ClusterSpec(int Silos, int Gateways, string Profile, string ConnectionString)
{
    /// <summary>HAProxy health checks, like the ALB's: interval, timeout, healthy and unhealthy thresholds.</summary>
    public int HealthCheckIntervalMs { get; init; } = HaproxyConfig.CheckIntervalSeconds * 1000;
    public int HealthCheckTimeoutMs { get; init; } = HaproxyConfig.CheckTimeoutSeconds * 1000;
    public int HealthyThreshold { get; init; } = HaproxyConfig.HealthyThreshold;
    public int UnhealthyThreshold { get; init; } = HaproxyConfig.UnhealthyThreshold;

    /// <summary>Gateway drain window (Shutdown:DrainSeconds); null keeps the gateway's default.</summary>
    public int? GatewayDrainSeconds { get; init; }

    /// <summary>More settings for every silo / gateway, as --Key=Value.</summary>
    public IReadOnlyList<string> SiloSettings { get; init; } = LocalFailureDetection;
    public IReadOnlyList<string> GatewaySettings { get; init; } = [];

    /// <summary>A CPU limit for every silo, in millicores (a CFS quota, as kubelet sets one); null: none, as the overlays ship.</summary>
    public int? SiloCpuLimitMillis { get; init; }

    /// <summary>
    /// The Orleans Dashboard on every silo's management port (Silo:Dashboard, off in the product): on for
    /// people and tests, off for the bench, which measures the silos as a cluster runs them.
    /// </summary>
    public bool Dashboard { get; init; } = true;

    /// <summary>Also start the local Prometheus (Monitoring/LocalPrometheus.cs) on the management ports.</summary>
    public bool Prometheus { get; init; }

    /// <summary>
    /// The probes themselves are the product's (Silo/appsettings.json, docs/reliability.md). Locally
    /// the silos also write their I-am-alive row more often, so a start-up finds a dead one sooner.
    /// </summary>
    public static readonly IReadOnlyList<string> LocalFailureDetection =
    [
        "--Orleans:Membership:IAmAliveTablePublishTimeout=00:00:05",
    ];
}

/// <summary>
/// Starts, inspects and stops the local cluster: silos and gateways as separate processes, HAProxy in
/// front as the stand-in for the ALB (health checks on /health/ready, retries 0, no redispatch).
/// Kubernetes-like actions used by the experiment (scale down/up) build on the same pieces.
/// </summary>
public sealed class LocalCluster(ClusterLayout layout, TextWriter output)
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(30);

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };

    public ClusterLayout Layout => layout;

    /// <summary>The processes started by this instance, by name (tests signal them directly).</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, ManagedProcess> Started { get; } = [];

    public async Task UpAsync(ClusterSpec spec, CancellationToken cancellationToken = default)
    {
        var running = Running().ToList();
        if (running.Count > 0)
            throw new ClusterException($"a cluster is already running ({string.Join(", ", running.Select(p => p.Name))}); run ./orderly down first");
        foreach (var dll in new[] { layout.SiloDll, layout.GatewayDll })
        {
            if (!File.Exists(dll))
                throw new ClusterException($"{dll} is missing; build first (./orderly up builds)");
        }
        CheckPortsFree(spec);
        Directory.CreateDirectory(layout.RunDir);
        await File.WriteAllTextAsync(layout.ProfileFile, spec.Profile, cancellationToken);

        output.WriteLine("applying schema");
        await MigrateAsync(spec, cancellationToken);

        output.WriteLine("starting the token issuer");
        await StartIssuerAsync(cancellationToken);
        output.WriteLine($"starting {spec.Silos} silo(s)");
        await Task.WhenAll(Enumerable.Range(0, spec.Silos).Select(i => StartSiloAsync(i, spec, cancellationToken)));
        output.WriteLine("starting the silos' endpoints list");
        await StartSiloEndpointsAsync(spec.Silos, cancellationToken);
        output.WriteLine($"starting {spec.Gateways} gateway(s)");
        await Task.WhenAll(Enumerable.Range(0, spec.Gateways).Select(i => StartGatewayAsync(i, spec, cancellationToken)));
        output.WriteLine("starting HAProxy");
        await StartHaproxyAsync(spec, cancellationToken);
        if (spec.Prometheus)
        {
            output.WriteLine("starting Prometheus");
            await StartPrometheusAsync(spec, cancellationToken);
        }
    }

    /// <summary>The local Prometheus, scraping every management port of <paramref name="spec"/>'s replicas.</summary>
    public async Task StartPrometheusAsync(ClusterSpec spec, CancellationToken cancellationToken)
    {
        var process = Started[Monitoring.LocalPrometheus.Name] = await Monitoring.LocalPrometheus.StartAsync(layout, spec.Silos, spec.Gateways, cancellationToken);
        await WaitReadyAsync(process, new Uri(ClusterLayout.PrometheusUrl, "/-/ready"), cancellationToken);
    }

    public async Task MigrateAsync(ClusterSpec spec, CancellationToken cancellationToken)
    {
        var run = await Tool.RunAsync("dotnet", [layout.SiloDll, "migrate"], cancellationToken,
            new Dictionary<string, string?> { ["ConnectionStrings__Orderly"] = spec.ConnectionString });
        if (run.ExitCode != 0)
            throw new ClusterException($"schema migration failed: {run.Printed}");
    }

    public Task<ManagedProcess> StartSiloAsync(int i, ClusterSpec spec, CancellationToken cancellationToken)
    {
        var name = ClusterLayout.SiloName(i);
        SiloEndpoints.ClearMarks(layout, name);
        return StartDotnetAsync(name, layout.SiloDll,
        [
            $"--Silo:Name={name}",
            $"--Silo:SiloPort={ClusterLayout.SiloPort(i)}",
            $"--Silo:OrleansGatewayPort={ClusterLayout.OrleansGatewayPort(i)}",
            $"--Silo:ManagementPort={ClusterLayout.SiloManagementPort(i)}",
            "--Schema:ApplyOnStart=false",
            $"--Silo:Dashboard={spec.Dashboard}",
            .. spec.SiloSettings,
        ], ClusterLayout.SiloManagementUrl(i), spec, cancellationToken, DatabaseEnvironment(spec), spec.SiloCpuLimitMillis);
    }

    public Task<ManagedProcess> StartGatewayAsync(int i, ClusterSpec spec, CancellationToken cancellationToken) =>
        StartDotnetAsync(ClusterLayout.GatewayName(i), layout.GatewayDll,
            [
                $"--Gateway:Port={ClusterLayout.GatewayPort(i)}",
                $"--Gateway:ManagementPort={ClusterLayout.GatewayManagementPort(i)}",
                $"--Gateway:LoadBalancerIdleTimeoutSeconds={HaproxyConfig.IdleTimeoutSeconds}",
                $"--Auth:Authority={ClusterLayout.IssuerUrl}",
                // Silos as the headless Service lists them; no database (SiloEndpoints.cs keeps the file).
                $"--Silos:OrleansGatewayListFile={layout.OrleansGatewayListFile}",
                .. spec.GatewayDrainSeconds is { } drain ? [$"--Shutdown:DrainSeconds={drain}"] : Array.Empty<string>(),
                .. spec.GatewaySettings,
            ], ClusterLayout.GatewayUrl(i), spec, cancellationToken);

    /// <summary>
    /// The bench's stateless baseline in gateway slot <paramref name="i"/>: same port, so the same
    /// HAProxy configuration fronts it.
    /// </summary>
    public Task<ManagedProcess> StartBaselineAsync(int i, ClusterSpec spec, CancellationToken cancellationToken)
    {
        if (!File.Exists(layout.BaselineDll))
            throw new ClusterException($"{layout.BaselineDll} is missing; build first (./orderly bench builds)");
        return StartDotnetAsync($"baseline-{i}", layout.BaselineDll, [$"--Urls={ClusterLayout.GatewayUrl(i)}"], ClusterLayout.GatewayUrl(i), spec, cancellationToken, DatabaseEnvironment(spec));
    }

    /// <summary>Starts one .NET host like kubelet starts a pod, and waits for its readiness probe.</summary>
    private async Task<ManagedProcess> StartDotnetAsync(string name, string dll, string[] args, Uri baseUrl, ClusterSpec spec, CancellationToken cancellationToken,
        Dictionary<string, string>? environment = null, int? cpuLimitMillis = null)
    {
        var process = Started[name] = ManagedProcess.Start(layout, name, "dotnet", [dll, .. args, $"--Shutdown:Profile={spec.Profile}"], environment);
        // CPU by its request, as kubelet gives it, and a group the network faults can tell its packets by.
        PodCgroups.Place(process, cpuLimitMillis);
        await WaitReadyAsync(process, new Uri(baseUrl, "/health/ready"), cancellationToken);
        return process;
    }

    /// <summary>The local OpenID Connect issuer (Identity/LocalIssuer.cs), a process of its own like HAProxy.</summary>
    public async Task StartIssuerAsync(CancellationToken cancellationToken)
    {
        var process = Started[ClusterLayout.IssuerName] = ManagedProcess.Start(layout, ClusterLayout.IssuerName, "dotnet",
            [layout.HarnessDll, "issuer", "--port", ClusterLayout.IssuerPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--key-file", layout.IssuerKeyFile]);
        await WaitReadyAsync(process, new Uri($"{ClusterLayout.IssuerUrl}/health/ready"), cancellationToken);
    }

    /// <summary>
    /// The endpoints controller's stand-in (<see cref="SiloEndpoints"/>), a process of its own like the
    /// issuer, and waits until it lists the <paramref name="silos"/> silos that are up.
    /// </summary>
    public Task StartSiloEndpointsAsync(int silos, CancellationToken cancellationToken)
    {
        File.Delete(layout.OrleansGatewayListFile);
        var process = Started[SiloEndpoints.Name] = ManagedProcess.Start(layout, SiloEndpoints.Name, "dotnet", [layout.HarnessDll, "endpoints"],
            new Dictionary<string, string> { ["ORDERLY_ROOT"] = layout.Root, ["ORDERLY_CONFIGURATION"] = layout.Configuration });
        return WaitUntilAsync(process, () => Task.FromResult(ListedSilos() >= silos), $"lists {silos} silo(s)", $"did not list {silos} silo(s)", cancellationToken);
    }

    /// <summary>How many silos the gateways' list holds now.</summary>
    private int ListedSilos() =>
        File.Exists(layout.OrleansGatewayListFile) ? File.ReadAllLines(layout.OrleansGatewayListFile).Count(l => l.Length > 0) : 0;

    public async Task StartHaproxyAsync(ClusterSpec spec, CancellationToken cancellationToken)
    {
        await File.WriteAllTextAsync(layout.HaproxyConfig, HaproxyConfig.Render(layout, spec), cancellationToken);
        var check = await Tool.RunAsync("haproxy", ["-c", "-q", "-f", layout.HaproxyConfig], cancellationToken);
        if (check.ExitCode != 0)
            throw new ClusterException($"HAProxy rejected {layout.HaproxyConfig}: {check.Printed}");
        var process = Started["haproxy"] = ManagedProcess.Start(layout, "haproxy", "haproxy", ["-db", "-f", layout.HaproxyConfig]);
        await WaitReadyAsync(process, new Uri(ClusterLayout.FrontEndUrl, "/health/ready"), cancellationToken);
    }

    /// <summary>Reloads HAProxy the way operators do: a new process takes the ports over (-sf) and the old one finishes its connections.</summary>
    public async Task ReloadHaproxyAsync()
    {
        var old = Started["haproxy"];
        var process = Started["haproxy"] = ManagedProcess.Start(layout, "haproxy", "haproxy", ["-db", "-f", layout.HaproxyConfig, "-sf", old.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await WaitReadyAsync(process, new Uri(ClusterLayout.FrontEndUrl, "/health/ready"), CancellationToken.None);
        await old.WaitForExitAsync(TimeSpan.FromSeconds(70));
    }

    /// <summary>Stops everything with a pid file except Postgres (the entry script owns it): HAProxy, then gateways, then silos.</summary>
    public async Task DownAsync()
    {
        var all = Running().ToList();
        static int Order(string name) => name is "haproxy" or Monitoring.LocalPrometheus.Name ? 0 : name.StartsWith("gateway-", StringComparison.Ordinal) ? 1
            : name is ClusterLayout.IssuerName or SiloEndpoints.Name ? 3 : 2;
        foreach (var group in all.GroupBy(p => Order(p.Name)).OrderBy(g => g.Key))
        {
            await Task.WhenAll(group.Select(async p =>
            {
                await p.StopAsync(StopGrace);
                output.WriteLine($"stopped {p.Name} (pid {p.Pid})");
            }));
        }
        // Pid files of processes that are already gone are stale; clear them too.
        foreach (var name in ManagedProcess.RecordedNames(layout).Where(IsClusterProcess))
            ManagedProcess.FromPidFile(layout, name)?.ForgetPidFile();
        if (all.Count == 0)
            output.WriteLine("nothing was running");
    }

    /// <summary>
    /// SIGKILL for everything with a pid file except Postgres, at once: a teardown for a cluster whose
    /// data is thrown away with it (a test's own schema), where waiting for graceful stops buys nothing.
    /// </summary>
    public async Task KillAsync()
    {
        var all = Running().ToList();
        foreach (var p in all)
            p.Signal(UnixSignal.Kill);
        await Task.WhenAll(all.Select(p => p.WaitForExitAsync(TimeSpan.FromSeconds(10))));
        foreach (var name in ManagedProcess.RecordedNames(layout).Where(IsClusterProcess))
            ManagedProcess.FromPidFile(layout, name)?.ForgetPidFile();
    }

    /// <summary>
    /// The cluster's processes with a pid file: not the databases (the entry script owns the throwaway
    /// Postgres, <see cref="Database.DatabasePair"/> the pair and its endpoint).
    /// </summary>
    public IEnumerable<ManagedProcess> Running() =>
        ManagedProcess.RecordedNames(layout).Where(IsClusterProcess)
            .Select(n => ManagedProcess.FromPidFile(layout, n))
            .OfType<ManagedProcess>()
            .Where(p => p.IsAlive);

    private static bool IsClusterProcess(string name) =>
        !name.StartsWith("postgres", StringComparison.Ordinal) && name != Database.DatabasePair.EndpointName;

    /// <summary>One line per recorded process: pid, alive, health.</summary>
    public async Task<IReadOnlyList<ProcessStatus>> StatusAsync(CancellationToken cancellationToken = default)
    {
        var rows = new List<ProcessStatus>();
        foreach (var name in ManagedProcess.RecordedNames(layout).Where(IsClusterProcess).Order(StringComparer.Ordinal))
        {
            var p = ManagedProcess.FromPidFile(layout, name)!;
            var url = HealthUrl(name);
            var health = !p.IsAlive ? "exited" : url is null ? "running" : await ProbeAsync(url, cancellationToken);
            rows.Add(new ProcessStatus(name, p.Pid, p.IsAlive, health, url is null ? null : new Uri(url, "/").ToString()));
        }
        return rows;
    }

    public static async Task<string> ProbeAsync(Uri url, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await Http.GetAsync(url, cancellationToken);
            return response.IsSuccessStatusCode ? "ready" : $"not ready ({(int)response.StatusCode})";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return "unreachable";
        }
    }

    private static Uri? HealthUrl(string name)
    {
        if (name == "haproxy")
            return new Uri(ClusterLayout.FrontEndUrl, "/health/ready");
        if (name == ClusterLayout.IssuerName)
            return new Uri($"{ClusterLayout.IssuerUrl}/health/ready");
        if (name == Monitoring.LocalPrometheus.Name)
            return new Uri(ClusterLayout.PrometheusUrl, "/-/ready");
        var dash = name.LastIndexOf('-');
        if (dash < 0 || !int.TryParse(name.AsSpan(dash + 1), out var i))
            return null;
        return name.StartsWith("gateway-", StringComparison.Ordinal) ? new Uri(ClusterLayout.GatewayUrl(i), "/health/ready")
            : name.StartsWith("silo-", StringComparison.Ordinal) ? new Uri(ClusterLayout.SiloManagementUrl(i), "/health/ready")
            : null;
    }

    /// <summary>What only the processes that talk to Postgres get: the silos (and the bench's baseline), never a gateway.</summary>
    private static Dictionary<string, string> DatabaseEnvironment(ClusterSpec spec) => new()
    {
        ["ConnectionStrings__Orderly"] = spec.ConnectionString,
    };

    /// <summary>Waits like kubelet's readiness probe: until /health/ready answers 200, the process dies, or time runs out.</summary>
    private Task WaitReadyAsync(ManagedProcess process, Uri url, CancellationToken cancellationToken) =>
        WaitUntilAsync(process, async () => await ProbeAsync(url, cancellationToken) == "ready", "ready", "was not ready", cancellationToken);

    /// <summary>Asks <paramref name="done"/> every 200 ms until it holds, <paramref name="process"/> dies, or <see cref="StartTimeout"/> runs out.</summary>
    private async Task WaitUntilAsync(ManagedProcess process, Func<Task<bool>> done, string reached, string missed, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (!process.IsAlive)
                throw new ClusterException($"{process.Name} exited during start-up: {LastLines(layout.LogFile(process.Name))}");
            if (await done())
            {
                output.WriteLine($"  {process.Name} {reached} (pid {process.Pid})");
                return;
            }
            await Task.Delay(200, cancellationToken);
        }
        throw new ClusterException($"{process.Name} {missed} within {StartTimeout.TotalSeconds:0}s; see {layout.LogFile(process.Name)}");
    }

    private static string LastLines(string file, int count = 3)
    {
        if (!File.Exists(file))
            return "(no log)";
        var lines = File.ReadAllLines(file).Where(l => !string.IsNullOrWhiteSpace(l)).TakeLast(count);
        return string.Join(" | ", lines);
    }

    private static void CheckPortsFree(ClusterSpec spec)
    {
        var wanted = new List<(int Port, string Who)>
        {
            (ClusterLayout.HaproxyPort, "haproxy"),
            (ClusterLayout.HaproxyStatsPort, "haproxy stats"),
            (ClusterLayout.IssuerPort, ClusterLayout.IssuerName),
        };
        if (spec.Prometheus)
            wanted.Add((ClusterLayout.PrometheusPort, Monitoring.LocalPrometheus.Name));
        for (var i = 0; i < spec.Silos; i++)
        {
            wanted.Add((ClusterLayout.SiloManagementPort(i), ClusterLayout.SiloName(i)));
            wanted.Add((ClusterLayout.SiloPort(i), ClusterLayout.SiloName(i)));
            wanted.Add((ClusterLayout.OrleansGatewayPort(i), ClusterLayout.SiloName(i)));
        }
        for (var i = 0; i < spec.Gateways; i++)
        {
            wanted.Add((ClusterLayout.GatewayPort(i), ClusterLayout.GatewayName(i)));
            wanted.Add((ClusterLayout.GatewayManagementPort(i), ClusterLayout.GatewayName(i)));
        }
        var taken = new StringBuilder();
        foreach (var (port, who) in wanted)
        {
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
            }
            catch (SocketException)
            {
                taken.Append(taken.Length == 0 ? "" : ", ").Append($"{port} ({who})");
            }
        }
        if (taken.Length > 0)
            throw new ClusterException($"port(s) already in use: {taken}");
    }
}

public sealed record ProcessStatus(string Name, int Pid, bool Alive, string Health, string? Url);

/// <summary>A problem the operator can act on; printed as one line, exit code 1.</summary>
public sealed class ClusterException(string message) : Orderly.LoadClient.Cli.UsageException(message);
