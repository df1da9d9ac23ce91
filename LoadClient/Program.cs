// Orderly load client: local cluster runner (up/down/status), the scale-down experiment (experiment/demo), chaos and bench.
using System.CommandLine;
using Orderly.LoadClient.Cluster;
using Orderly.LoadClient.Experiment;

var silos = new Option<int>("--silos") { Description = "number of silos", DefaultValueFactory = _ => 3 };
var gateways = new Option<int>("--gateways") { Description = "number of gateways", DefaultValueFactory = _ => 2 };
var profile = new Option<string>("--profile") { Description = "graceful or naive", DefaultValueFactory = _ => "graceful" };
profile.AcceptOnlyFromAmong("graceful", "naive");
Within(silos, 1, ClusterLayout.MaxReplicas);
Within(gateways, 1, ClusterLayout.MaxReplicas);

var up = new Command("up", "start a local cluster and leave it running") { silos, gateways, profile };
up.SetAction(async (parse, ct) => await Run(async cluster =>
{
    var spec = new ClusterSpec(parse.GetValue(silos), parse.GetValue(gateways), parse.GetValue(profile)!, ConnectionString());
    await cluster.UpAsync(spec, ct);
    Console.WriteLine();
    Console.WriteLine($"Orderly is up ({spec.Profile} profile).");
    Console.WriteLine($"  API (through HAProxy, the ALB stand-in)  {ClusterLayout.FrontEndUrl}orders");
    Console.WriteLine($"  OpenAPI                                  {ClusterLayout.FrontEndUrl}openapi/v1.json");
    Console.WriteLine($"  HAProxy stats                            http://127.0.0.1:{ClusterLayout.HaproxyStatsPort}/");
    for (var i = 0; i < spec.Gateways; i++)
        Console.WriteLine($"  {ClusterLayout.GatewayName(i),-9} {ClusterLayout.GatewayUrl(i)}  (health: /health/ready; metrics on the management port: {ClusterLayout.GatewayManagementUrl(i)}metrics)");
    for (var i = 0; i < spec.Silos; i++)
        Console.WriteLine($"  {ClusterLayout.SiloName(i),-9} {ClusterLayout.SiloManagementUrl(i)}  (health: /health/ready, metrics: /metrics, Orleans Dashboard: {ClusterLayout.SiloManagementUrl(i)}dashboard/)");
    Console.WriteLine($"  logs: {cluster.Layout.LogDir}    stop: ./orderly down");
}));

var down = new Command("down", "stop everything 'up' started");
down.SetAction(async (_, _) => await Run(cluster => cluster.DownAsync()));

var status = new Command("status", "what runs, with health");
status.SetAction(async (_, ct) => await Run(async cluster =>
{
    var rows = await cluster.StatusAsync(ct);
    if (rows.Count == 0)
        Console.WriteLine("no cluster processes recorded (./orderly up starts one)");
    foreach (var r in rows)
        Console.WriteLine($"{r.Name,-11} pid {r.Pid,-7} {r.Url ?? "",-24} {r.Health}");
}));

var experimentProfile = new Option<string>("--profile") { Description = "naive, graceful or both", DefaultValueFactory = _ => "both" };
experimentProfile.AcceptOnlyFromAmong("naive", "graceful", "both");
var events = new Option<int>("--events") { Description = "scale-down events per profile (alternating gateway, silo)", DefaultValueFactory = _ => 4 };
var sessions = new Option<int>("--sessions") { Description = "peak concurrent sessions (the floor is a quarter of it)", DefaultValueFactory = _ => 16 };
var outDir = new Option<string?>("--out") { Description = "results folder (default .orderly/results/<utc-timestamp>)" };
var seed = new Option<int>("--seed") { Description = "seed for lags and sessions; same for every profile", DefaultValueFactory = _ => 7 };
Within(events, 1, 40);
Within(sessions, 1, 500);

Command ExperimentCommand(string name, string description)
{
    var command = new Command(name, description) { experimentProfile, events, sessions, outDir, seed };
    command.SetAction(async (parse, ct) => await Run(async cluster =>
    {
        var profile = parse.GetValue(experimentProfile)!;
        var dir = parse.GetValue(outDir) ?? Path.Combine(cluster.Layout.State, "results", DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture));
        var summaries = await new ExperimentRunner(cluster.Layout, Console.Out).RunAsync(new ExperimentOptions
        {
            Profiles = profile == "both" ? ["naive", "graceful"] : [profile],
            ConnectionString = ConnectionString(),
            OutDir = Path.GetFullPath(dir),
            Events = parse.GetValue(events),
            Sessions = parse.GetValue(sessions),
            Seed = parse.GetValue(seed),
        }, ct);
        // The product's claim: gracefully, nobody sees an error and no order is lost or doubled.
        var graceful = summaries.FirstOrDefault(s => s.Profile == "graceful");
        if (graceful is { Failed: > 0 } or { OrdersLost: > 0 } or { OrdersDuplicated: > 0 })
            throw new ClusterException($"graceful profile missed its targets: {graceful.Failed} failed, {graceful.OrdersLost} lost, {graceful.OrdersDuplicated} duplicated");
    }));
    return command;
}

var k8sNamespace = new Option<string>("--namespace") { Description = "namespace of the Orderly deployment", DefaultValueFactory = _ => "orderly" };
var k8sTarget = new Option<string?>("--target") { Description = "base URL to load (the ALB); default $ORDERLY_TARGET" };
var k8sMinutes = new Option<int>("--minutes") { Description = "how long to run", DefaultValueFactory = _ => 10 };
var k8sPeriod = new Option<int>("--period-seconds") { Description = "sine period of sessions and replicas", DefaultValueFactory = _ => 300 };
var k8sMin = new Option<int>("--min-replicas") { DefaultValueFactory = _ => 2 };
var k8sMax = new Option<int>("--max-replicas") { DefaultValueFactory = _ => 6 };
var k8sProfile = new Option<string>("--profile") { Description = "label for the results: what the cluster runs", DefaultValueFactory = _ => "graceful" };
k8sProfile.AcceptOnlyFromAmong("graceful", "naive");
var kubernetes = new Command("k8s", "the experiment in a Kubernetes cluster: load through the ALB, replicas on a sine wave via the HPAs")
{
    k8sNamespace, k8sTarget, k8sMinutes, k8sPeriod, k8sMin, k8sMax, k8sProfile, sessions, outDir, seed,
};
kubernetes.SetAction(async (parse, ct) => await Run(async _ =>
{
    var target = parse.GetValue(k8sTarget) ?? Environment.GetEnvironmentVariable("ORDERLY_TARGET")
        ?? throw new ClusterException("give --target or ORDERLY_TARGET (the ALB's URL)");
    if (parse.GetValue(k8sMin) < 2 || parse.GetValue(k8sMax) < parse.GetValue(k8sMin))
        throw new ClusterException("--min-replicas must be at least 2 and --max-replicas at least --min-replicas");
    var config = global::k8s.KubernetesClientConfiguration.IsInCluster()
        ? global::k8s.KubernetesClientConfiguration.InClusterConfig()
        : global::k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile();
    using var client = new global::k8s.Kubernetes(config);
    await new Orderly.LoadClient.Kubernetes.KubernetesExperiment(client, Console.Out).RunAsync(new Orderly.LoadClient.Kubernetes.KubernetesOptions
    {
        Target = new Uri(target),
        Namespace = parse.GetValue(k8sNamespace)!,
        OutDir = parse.GetValue(outDir) ?? "results",
        Profile = parse.GetValue(k8sProfile)!,
        Duration = TimeSpan.FromMinutes(parse.GetValue(k8sMinutes)),
        Period = TimeSpan.FromSeconds(parse.GetValue(k8sPeriod)),
        Sessions = parse.GetValue(sessions),
        MinReplicas = parse.GetValue(k8sMin),
        MaxReplicas = parse.GetValue(k8sMax),
        Seed = parse.GetValue(seed),
    }, ct);
}, needsCluster: false));

var siloKills = new Option<int>("--silo-kills") { Description = "how many times to SIGKILL a silo", DefaultValueFactory = _ => 5 };
var settle = new Option<int>("--settle-seconds") { Description = "load after each fault before the next", DefaultValueFactory = _ => 20 };
var chaos = new Command("chaos", "the fault matrix under load: silo and gateway SIGKILL, Postgres restart, HAProxy reload, paused silo") { siloKills, settle, sessions };
chaos.SetAction(async (parse, ct) => await Run(async cluster =>
{
    var pgData = Path.Combine(cluster.Layout.State, "pg");
    var results = await new Orderly.LoadClient.Chaos.ChaosRunner(cluster.Layout, Console.Out).RunAsync(new Orderly.LoadClient.Chaos.ChaosOptions
    {
        ConnectionString = ConnectionString(),
        // Only the throwaway Postgres is ours to restart.
        PostgresData = Environment.GetEnvironmentVariable("ORDERLY_OWN_PG") == "1" && Directory.Exists(pgData) ? pgData : null,
        SiloKills = parse.GetValue(siloKills),
        Settle = TimeSpan.FromSeconds(parse.GetValue(settle)),
        Sessions = parse.GetValue(sessions),
    }, ct);
    var whole = results[^1];
    if (whole.Lost > 0 || whole.Duplicated > 0)
        throw new ClusterException($"chaos: {whole.Lost} acknowledged orders lost, {whole.Duplicated} duplicated");
}));

var benchConcurrency = new Option<int>("--concurrency") { Description = "closed-loop callers per system (and pgbench clients)", DefaultValueFactory = _ => 16 };
var benchSeconds = new Option<int>("--seconds") { Description = "measured seconds per operation (after a 3 s warm-up)", DefaultValueFactory = _ => 8 };
var benchActivations = new Option<int>("--activations") { Description = "active orders on the silo whose graceful shutdown is timed (0 skips)", DefaultValueFactory = _ => 10_000 };
var benchEvents = new Option<int>("--events") { Description = "scale-down events for the p99-while-pods-leave measurement (0 skips)", DefaultValueFactory = _ => 2 };
var benchStrict = new Option<bool>("--strict") { Description = "exit 1 when a target is missed" };
var benchSystems = new Option<string[]>("--systems") { Description = "which to run: pgbench, baseline, orderly-1, orderly-2 (default all)", AllowMultipleArgumentsPerToken = true };
benchSystems.AcceptOnlyFromAmong([.. Orderly.LoadClient.Bench.BenchOptions.AllSystems]);
Within(benchConcurrency, 1, 256);
Within(benchSeconds, 1, 300);
Within(benchActivations, 0, 1_000_000);
Within(benchEvents, 0, 10);
var bench = new Command("bench", "pgbench, the stateless baseline and Orderly (1 and 2 silos) side by side; bench.json, bench.html")
{
    outDir, benchConcurrency, benchSeconds, benchActivations, benchEvents, benchStrict, benchSystems,
};
bench.SetAction(async (parse, ct) => await Run(async cluster =>
{
    var dir = parse.GetValue(outDir) ?? Path.Combine(cluster.Layout.State, "results", "bench-" + DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture));
    var report = await new Orderly.LoadClient.Bench.BenchRunner(cluster.Layout, Console.Out).RunAsync(new Orderly.LoadClient.Bench.BenchOptions
    {
        ConnectionString = ConnectionString(),
        OutDir = Path.GetFullPath(dir),
        Concurrency = parse.GetValue(benchConcurrency),
        SecondsPerOperation = parse.GetValue(benchSeconds),
        Activations = parse.GetValue(benchActivations),
        ScaleDownEvents = parse.GetValue(benchEvents),
        Systems = parse.GetValue(benchSystems) is { Length: > 0 } chosen ? chosen.ToHashSet() : Orderly.LoadClient.Bench.BenchOptions.AllSystems,
    }, ct);
    var missed = report.Targets.Where(t => !t.Met).Select(t => t.Name).ToList();
    if (missed.Count > 0 && parse.GetValue(benchStrict))
        throw new ClusterException($"{missed.Count} target(s) missed: {string.Join("; ", missed)}");
}));

var root = new RootCommand("Orderly load client and local cluster runner")
{
    up, down, status,
    ExperimentCommand("experiment", "run the scale-down experiment"),
    ExperimentCommand("demo", "the scale-down experiment for both profiles, with the comparison table and report"),
    kubernetes,
    chaos,
    bench,
};
return await root.Parse(args).InvokeAsync();

static string ConnectionString() =>
    Environment.GetEnvironmentVariable("ORDERLY_DB") is { Length: > 0 } cs ? cs
        : throw new ClusterException("ORDERLY_DB is not set (./orderly sets it to the throwaway Postgres)");

static async Task<int> Run(Func<LocalCluster, Task> action, bool needsCluster = true)
{
    try
    {
        await action(needsCluster ? new LocalCluster(ClusterLayout.FromEnvironment(), Console.Out) : null!);
        return 0;
    }
    catch (ClusterException e)
    {
        await Console.Error.WriteLineAsync($"orderly: {e.Message}");
        return 1;
    }
}

/// <summary>Rejects a value outside [min, max] at parse time, with one message shape for every option.</summary>
static void Within(Option<int> option, int min, int max) =>
    option.Validators.Add(r =>
    {
        if (r.GetValueOrDefault<int>() < min || r.GetValueOrDefault<int>() > max)
            r.AddError($"{option.Name} must be from {min} to {max}");
    });
