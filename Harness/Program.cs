// Orderly's local harness: the cluster runner (up/down/status), the scale-down experiment (experiment/demo)
// with its kubelet and load-balancer-controller emulation, and chaos. ./orderly calls it.
using System.CommandLine;
using Orderly.Harness.Chaos;
using Orderly.Harness.Cluster;
using Orderly.Harness.Database;
using Orderly.Harness.Emulation;
using Orderly.Harness.Experiment;
using Orderly.Harness.Identity;
using Orderly.LoadClient.Load;
using Orderly.LoadClient.Cli;

var silos = new Option<int>("--silos") { Description = "number of silos", DefaultValueFactory = _ => 3 }.Within(1, ClusterLayout.MaxReplicas);
var gateways = new Option<int>("--gateways") { Description = "number of gateways", DefaultValueFactory = _ => 2 }.Within(1, ClusterLayout.MaxReplicas);
var profile = new Option<string>("--profile") { Description = "graceful or naive", DefaultValueFactory = _ => "graceful" };
profile.AcceptOnlyFromAmong("graceful", "naive");

var database = new Option<string>("--db") { Description = "single (the throwaway Postgres) or pair (Aurora-shaped: writer, synchronous standby, cluster endpoint)", DefaultValueFactory = _ => "single" };
database.AcceptOnlyFromAmong("single", "pair");
var upEndpoints = new Option<string>("--db-endpoints") { Description = "with --db pair: cluster (the cluster endpoint) or instances (both instance endpoints)", DefaultValueFactory = _ => "cluster" };
upEndpoints.AcceptOnlyFromAmong("cluster", "instances");
var noPrometheus = new Option<bool>("--no-prometheus") { Description = "do not start the local Prometheus (on 9090 + offset, with the rules of k8s/monitoring)" };
var noDashboard = new Option<bool>("--no-dashboard") { Description = "do not host the Orleans Dashboard on the silos (the product and the EKS overlays leave it off)" };
var up = new Command("up", "start a local cluster and leave it running") { silos, gateways, profile, database, upEndpoints, noPrometheus, noDashboard };
up.SetAction(async (parse, ct) => await WithCluster(async cluster =>
{
    var connectionString = Cli.ConnectionString();
    if (parse.GetValue(database) == "pair")
    {
        await new DatabasePair(cluster.Layout, Console.Out).StartAsync(ct);
        connectionString = parse.GetValue(upEndpoints) == "instances" ? DatabasePair.InstanceEndpointsConnectionString : DatabasePair.ClusterEndpointConnectionString;
    }
    var spec = new ClusterSpec(parse.GetValue(silos), parse.GetValue(gateways), parse.GetValue(profile)!, connectionString) { Prometheus = !parse.GetValue(noPrometheus), Dashboard = !parse.GetValue(noDashboard) };
    await cluster.UpAsync(spec, ct);
    Console.WriteLine();
    Console.WriteLine($"Orderly is up ({spec.Profile} profile).");
    Console.WriteLine($"  API (through HAProxy, the ALB stand-in)  {ClusterLayout.FrontEndUrl}orders");
    Console.WriteLine($"  OpenAPI                                  {ClusterLayout.FrontEndUrl}openapi/v1.json");
    Console.WriteLine($"  tokens (issuer {ClusterLayout.IssuerUrl})  ./orderly token --customer ID   or   ./orderly token --staff");
    Console.WriteLine($"  HAProxy stats                            http://127.0.0.1:{ClusterLayout.HaproxyStatsPort}/");
    if (spec.Prometheus)
        Console.WriteLine($"  Prometheus (alerts: /alerts)             {ClusterLayout.PrometheusUrl}");
    for (var i = 0; i < spec.Gateways; i++)
        Console.WriteLine($"  {ClusterLayout.GatewayName(i),-9} {ClusterLayout.GatewayUrl(i)}  (health: /health/ready; metrics on the management port: {ClusterLayout.GatewayManagementUrl(i)}metrics)");
    for (var i = 0; i < spec.Silos; i++)
        Console.WriteLine($"  {ClusterLayout.SiloName(i),-9} {ClusterLayout.SiloManagementUrl(i)}  (health: /health/ready, metrics: /metrics{(spec.Dashboard ? $", Orleans Dashboard: {ClusterLayout.SiloManagementUrl(i)}dashboard/" : "")})");
    if (parse.GetValue(database) == "pair")
    {
        Console.WriteLine($"  database: the Aurora-shaped pair; cluster endpoint 127.0.0.1:{DatabasePair.EndpointPort}, instances {string.Join(", ", DatabasePair.Nodes.Select(n => $"{n} 127.0.0.1:{DatabasePair.InstancePort(n)}"))}");
        Console.WriteLine("  a failover by hand: ./orderly db-pair failover (or switchover)");
    }
    Console.WriteLine($"  logs: {cluster.Layout.LogDir}    stop: ./orderly down");
}));

var down = new Command("down", "stop everything 'up' started");
down.SetAction(async (_, _) => await WithCluster(async cluster =>
{
    await cluster.DownAsync();
    // Rules an interrupted chaos run left behind.
    await Orderly.Harness.Network.NetworkFaults.ClearAsync();
    // The Aurora-shaped pair, when 'up --db pair' or an interrupted chaos run left it running.
    await new DatabasePair(cluster.Layout, Console.Out).StopAsync();
}));

var status = new Command("status", "what runs, with health");
status.SetAction(async (_, ct) => await WithCluster(async cluster =>
{
    var rows = await cluster.StatusAsync(ct);
    if (rows.Count == 0)
        Console.WriteLine("no cluster processes recorded (./orderly up starts one)");
    foreach (var r in rows)
        Console.WriteLine($"{r.Name,-11} pid {r.Pid,-7} {r.Url ?? "",-24} {r.Health}");
}));

var experimentProfile = new Option<string>("--profile") { Description = "naive, graceful or both", DefaultValueFactory = _ => "both" };
experimentProfile.AcceptOnlyFromAmong("naive", "graceful", "both");
var events = new Option<int?>("--events") { Description = "events per profile, kinds taking turns (default: 4; seed scale: 10 of every kind)" };
var sessions = new Option<int?>("--sessions") { Description = "peak concurrent sessions (the floor is a quarter of it; default 16, seed scale 1000)" };
var outDir = new Option<string?>("--out") { Description = "results folder (default .orderly/results/<utc-timestamp>)" };
var seed = new Option<int>("--seed") { Description = "seed for lags and sessions; same for every profile", DefaultValueFactory = _ => 7 };
var kinds = new Option<string?>("--kinds") { Description = "event kinds, comma-separated: pod, hpa-step, node-drain, rollout (default: all four; demo: hpa-step,pod,node-drain)" };
var clients = new Option<string>("--clients") { Description = "keepalive, new-connection, or mixed (every other session)", DefaultValueFactory = _ => "mixed" };
clients.AcceptOnlyFromAmong("keepalive", "new-connection", "mixed");
var replicas = new Option<int?>("--replicas") { Description = "gateways and silos each (default: 6 when an event needs them, else 3)" };
var lagMedian = new Option<double>("--lag-median") { Description = "median deregistration lag, seconds", DefaultValueFactory = _ => LagDistribution.Default.MedianSeconds };
var lagP99 = new Option<double>("--lag-p99") { Description = "99th percentile of the deregistration lag, seconds (the tail)", DefaultValueFactory = _ => LagDistribution.Default.P99Seconds };
var lagSweep = new Option<bool>("--lag-sweep") { Description = "gateway events at fixed lags from 2 s to twice the graceful budget (preStop + drain), error rate at each" };
var lags = new Option<string?>("--lags") { Description = "the sweep's lags in seconds, comma-separated (default: 2 s, sixths of the budget, then past it)" };
var scale = new Option<string>("--scale") { Description = "default, or seed: ~1,000 sessions at the peak, think times of seconds, 10 events of every kind", DefaultValueFactory = _ => "default" };
scale.AcceptOnlyFromAmong("default", "seed");
var repeat = new Option<int>("--repeat") { Description = "run the experiment N times; repeat.json says whether the runs agree", DefaultValueFactory = _ => 1 }.Within(1, 10);

Command ExperimentCommand(string name, string description, bool demo)
{
    var command = new Command(name, description) { experimentProfile, events, sessions, outDir, seed, kinds, clients, replicas, lagMedian, lagP99, lagSweep, lags, scale, repeat };
    command.SetAction(async (parse, ct) => await WithCluster(async cluster =>
    {
        var profile = parse.GetValue(experimentProfile)!;
        var dir = parse.GetValue(outDir) ?? Cli.TimestampedFolder(Path.Combine(cluster.Layout.State, "results"));
        var options = ExperimentPresets.Build(new ExperimentRequest(
            Profiles: profile == "both" ? ["naive", "graceful"] : [profile],
            ConnectionString: Cli.ConnectionString(),
            OutDir: Path.GetFullPath(dir),
            Demo: demo,
            Scale: parse.GetValue(scale)!,
            Kinds: parse.GetValue(kinds),
            Events: parse.GetValue(events),
            Sessions: parse.GetValue(sessions),
            Replicas: parse.GetValue(replicas),
            Seed: parse.GetValue(seed),
            Clients: parse.GetValue(clients)!,
            LagMedian: parse.GetValue(lagMedian),
            LagP99: parse.GetValue(lagP99),
            LagSweep: parse.GetValue(lagSweep),
            Lags: parse.GetValue(lags)));
        var runner = new ExperimentRunner(cluster.Layout, Console.Out);
        var runs = await runner.RepeatOrRunAsync(options, parse.GetValue(repeat), ct);
        // The product's claim: gracefully, nobody sees an error and no order is lost or doubled.
        foreach (var graceful in runs.SelectMany(r => r).Where(s => s.Profile == "graceful"))
        {
            if (graceful is { Failed: > 0 } or { OrdersLost: > 0 } or { OrdersDuplicated: > 0 } or { Anomalies.Total: > 0 })
                throw new ClusterException($"graceful profile missed its targets: {graceful.Failed} failed, {graceful.OrdersLost} lost, {graceful.OrdersDuplicated} duplicated, {graceful.Anomalies.Total} consistency anomalies");
        }
    }));
    return command;
}

var siloKills = new Option<int>("--silo-kills") { Description = "how many times to SIGKILL a silo", DefaultValueFactory = _ => 5 }.Within(0, 100);
var settle = new Option<int>("--settle-seconds") { Description = "load after each fault before the next", DefaultValueFactory = _ => 20 }.Within(1, 600);
var chaosSessions = new Option<int>("--sessions") { Description = "peak concurrent sessions", DefaultValueFactory = _ => 16 }.Within(1, 500);
var faultNames = new Option<string?>("--faults") { Description = $"faults to play, comma-separated (default: all): {string.Join(", ", ChaosFaults.All)}" };
var dbEndpoints = new Option<string>("--db-endpoints") { Description = "for the database faults: what Orderly connects to — cluster (the cluster endpoint) or instances (both instance endpoints, Target Session Attributes)", DefaultValueFactory = _ => "cluster" };
dbEndpoints.AcceptOnlyFromAmong("cluster", "instances");
var chaosStaleDns = new Option<int>("--stale-dns-seconds") { Description = "db-failover: how long the cluster endpoint still points at the old writer once it is back as a reader", DefaultValueFactory = _ => 12 }.Within(0, 300);
var noBaseline = new Option<bool>("--no-baseline") { Description = "do not run the stateless baseline through the database faults beside Orderly" };
var chaos = new Command("chaos", "the fault matrix under load, with a table of what held") { siloKills, settle, chaosSessions, faultNames, dbEndpoints, chaosStaleDns, noBaseline };
chaos.SetAction(async (parse, ct) => await WithCluster(async cluster =>
{
    var faults = ChaosFaults.Parse(parse.GetValue(faultNames));
    var pgData = Path.Combine(cluster.Layout.State, "pg");
    var ownPg = Environment.GetEnvironmentVariable("ORDERLY_OWN_PG") == "1";
    DatabasePair? pair = null;
    DatabaseFaultOptions? db = null;
    var connectionString = Cli.ConnectionString();
    // The database faults need servers of our own to crash: the pair, started for this run (and stopped after).
    if (faults.Any(ChaosFaults.NeedPair.Contains) && ownPg)
    {
        pair = new DatabasePair(cluster.Layout, Console.Out);
        await pair.StartAsync(ct);
        db = new DatabaseFaultOptions
        {
            Pair = pair,
            StaleDns = TimeSpan.FromSeconds(parse.GetValue(chaosStaleDns)),
            InstanceEndpoints = parse.GetValue(dbEndpoints) == "instances",
            Baseline = !parse.GetValue(noBaseline),
        };
        connectionString = db.InstanceEndpoints ? DatabasePair.InstanceEndpointsConnectionString : DatabasePair.ClusterEndpointConnectionString;
    }
    try
    {
        var report = await new ChaosRunner(cluster.Layout, Console.Out).RunAsync(new ChaosOptions
        {
            ConnectionString = connectionString,
            Faults = faults,
            Database = db,
            // Only the throwaway Postgres is ours to restart.
            PostgresData = ownPg && Directory.Exists(pgData) ? pgData : null,
            SiloKills = parse.GetValue(siloKills),
            Settle = TimeSpan.FromSeconds(parse.GetValue(settle)),
            Sessions = parse.GetValue(chaosSessions),
        }, ct);
        var whole = report.WholeRun;
        if (whole.Lost > 0 || whole.Duplicated > 0 || report.Anomalies.Total > 0)
            throw new ClusterException($"chaos: {whole.Lost} acknowledged orders lost, {whole.Duplicated} duplicated, {report.Anomalies.Total} consistency anomalies");
    }
    finally
    {
        if (pair is not null)
            await pair.StopAsync();
    }
}));

// The Aurora-shaped database pair (docs/failover.md): ./orderly db --pair starts it; the harness drives it.
var pairAction = new Argument<string>("action") { Description = "up, down, status, failover or switchover" };
pairAction.AcceptOnlyFromAmong("up", "down", "status", "failover", "switchover");
var staleDns = new Option<int>("--stale-dns-seconds") { Description = "failover: how long the cluster endpoint still points at the old writer once it is back as a reader", DefaultValueFactory = _ => 12 }.Within(0, 300);
var pairCommand = new Command("db-pair", "the Aurora-shaped pair: writer, synchronous standby, cluster endpoint") { pairAction, staleDns };
pairCommand.SetAction(async (parse, ct) => await Cli.RunAsync(async () =>
{
    var pair = new DatabasePair(ClusterLayout.FromEnvironment(), Console.Out);
    switch (parse.GetValue(pairAction))
    {
        case "up":
            await pair.StartAsync(ct);
            Console.WriteLine($"cluster endpoint:   {DatabasePair.ClusterEndpointConnectionString}");
            Console.WriteLine($"instance endpoints: {DatabasePair.InstanceEndpointsConnectionString}");
            break;
        case "down":
            await pair.StopAsync();
            break;
        case "failover":
            await pair.FailoverAsync(TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(parse.GetValue(staleDns)), ct);
            break;
        case "switchover":
            await pair.SwitchoverAsync(ct);
            break;
    }
    foreach (var node in DatabasePair.Nodes)
        Console.WriteLine($"{node}: {await DatabasePair.RoleAsync(node, ct)} on 127.0.0.1:{DatabasePair.InstancePort(node)}");
    if (parse.GetValue(pairAction) != "down")
        Console.WriteLine($"cluster endpoint 127.0.0.1:{DatabasePair.EndpointPort} → {await pair.EndpointTargetAsync()}");
}));

var issuerPort = new Option<int>("--port") { Description = "port on 127.0.0.1", DefaultValueFactory = _ => ClusterLayout.IssuerPort }.Within(1, 65535);
var issuerKey = new Option<string?>("--key-file") { Description = "the signing key (PEM): used when it exists, made (0600) when it does not; none: a new key per start" };
var issuer = new Command("issuer", "run the local token issuer until stopped ('up' starts it)") { issuerPort, issuerKey };
issuer.SetAction(async (parse, ct) => await Cli.RunAsync(() => LocalIssuer.RunAsync(parse.GetValue(issuerPort), parse.GetValue(issuerKey), ct)));

var endpoints = new Command("endpoints", "keep the list of ready silos the gateways read, until stopped ('up' starts it)");
endpoints.SetAction(async (_, ct) => await WithCluster(cluster => SiloEndpoints.RunAsync(cluster.Layout, ct)));

var tokenCustomer = new Option<string?>("--customer") { Description = "a customer token: the subject is this customer id" };
var tokenStaff = new Option<bool>("--staff") { Description = "a staff token (scope orders:staff): list a day, advance the status" };
var token = new Command("token", "print a bearer token for the running local cluster (one line)") { tokenCustomer, tokenStaff };
token.SetAction(async (parse, ct) => await Cli.RunAsync(async () =>
{
    var (customer, staff) = (parse.GetValue(tokenCustomer), parse.GetValue(tokenStaff));
    if ((customer is null) == !staff)
        throw new UsageException("give exactly one of --customer ID and --staff");
    if (customer is { Length: 0 or > 64 })
        throw new UsageException("--customer must be 1-64 characters, as a customerId is");
    using var tokens = new BearerTokens(new Uri(ClusterLayout.IssuerUrl));
    try
    {
        Console.WriteLine(customer is null ? await tokens.StaffAsync(ct) : await tokens.CustomerAsync(customer, ct));
    }
    catch (HttpRequestException e)
    {
        throw new UsageException($"no token issuer answers at {ClusterLayout.IssuerUrl} ({e.Message}); start the cluster with ./orderly up");
    }
}));

var root = new RootCommand("Orderly's local harness: cluster runner, scale-down experiment, chaos")
{
    up, down, status, issuer, endpoints, token,
    ExperimentCommand("experiment", "run the scale-down experiment", demo: false),
    ExperimentCommand("demo", "the scale-down experiment for both profiles, with the comparison table and report", demo: true),
    chaos,
    pairCommand,
};
return await root.Parse(args).InvokeAsync();

static Task<int> WithCluster(Func<LocalCluster, Task> action) =>
    Cli.RunAsync(() => action(new LocalCluster(ClusterLayout.FromEnvironment(), Console.Out)));
