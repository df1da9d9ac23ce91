using Orderly.LoadClient.Kubernetes;
using System.Globalization;
using System.Text;
using System.Net;
using Npgsql;
using Orderly.Harness.Cluster;
using Orderly.Harness.Database;
using Orderly.Harness.Network;
using Orderly.Harness.Emulation;
using Orderly.Harness.Experiment;
using Orderly.LoadClient.Reporting;
using Orderly.LoadClient.Verify;
using Orderly.LoadClient.Load;

namespace Orderly.Harness.Chaos;

/// <summary>The faults by the names tools and tests select them with (docs/experiment.md, "Chaos").</summary>
public static class ChaosFaults
{
    public const string SiloKill = "silo-kill";
    public const string GatewayKill = "gateway-kill";
    public const string PostgresRestart = "postgres-restart";
    public const string HaproxyReload = "haproxy-reload";
    public const string SiloPause = "silo-pause";
    public const string SiloScaleDown = "silo-scale-down";
    public const string DbFailover = "db-failover";
    public const string DbSwitchover = "db-switchover";
    public const string NodeLoss = "node-loss";
    public const string SiloPartition = "silo-partition";
    public const string GatewaySiloPartition = "gateway-silo-partition";
    public const string DbConnectionsExhausted = "db-connections-exhausted";
    public const string SlowDb = "slow-db";

    /// <summary>The default matrix, in the order it plays.</summary>
    public static readonly string[] All = [SiloKill, GatewayKill, PostgresRestart, HaproxyReload, SiloPause, NodeLoss, SiloPartition, GatewaySiloPartition,
        SlowDb, DbConnectionsExhausted, DbFailover, DbSwitchover, SiloScaleDown];

    /// <summary>Faults made with nftables rules (<see cref="NetworkFaults"/>): root, cgroup v2 and nft needed.</summary>
    public static readonly string[] NeedNetwork = [NodeLoss, SiloPartition, GatewaySiloPartition];

    /// <summary>Faults that need the Aurora-shaped pair (<see cref="DatabasePair"/>).</summary>
    public static readonly string[] NeedPair = [DbFailover, DbSwitchover];

    /// <summary>Parses --faults: names separated by commas, each known.</summary>
    public static IReadOnlyList<string> Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return All;
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = names.Where(n => !All.Contains(n)).ToList();
        if (unknown.Count > 0)
            throw new ClusterException($"unknown fault(s): {string.Join(", ", unknown)}; known: {string.Join(", ", All)}");
        return All.Where(names.Contains).ToList();
    }
}

/// <summary>How a database fault is set up: when the standby is promoted, how long the endpoint stays stale, and what the processes connect to.</summary>
public sealed record DatabaseFaultOptions
{
    public required DatabasePair Pair { get; init; }
    public TimeSpan PromoteAfter { get; init; } = TimeSpan.FromSeconds(4);
    /// <summary>How long the cluster endpoint still points at the old writer once it is back as a reader (DNS TTL plus client caching).</summary>
    public TimeSpan StaleDns { get; init; } = TimeSpan.FromSeconds(12);
    /// <summary>True when Orderly is given both instance endpoints (Target Session Attributes) rather than the cluster endpoint.</summary>
    public bool InstanceEndpoints { get; init; }
    /// <summary>Run the stateless baseline through the same faults, beside Orderly.</summary>
    public bool Baseline { get; init; } = true;
    /// <summary>Load kept running after a database fault's last step.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(15);
}

public sealed record ChaosOptions
{
    public required string ConnectionString { get; init; }
    /// <summary>The faults to play (<see cref="ChaosFaults"/>), in matrix order.</summary>
    public IReadOnlyList<string> Faults { get; init; } = ChaosFaults.All;
    /// <summary>Set when the cluster runs on the Aurora-shaped pair; null skips the database faults.</summary>
    public DatabaseFaultOptions? Database { get; init; }
    /// <summary>The throwaway Postgres' data directory, when the runner may restart it; null skips that fault.</summary>
    public string? PostgresData { get; init; }
    public int SiloKills { get; init; } = 5;
    /// <summary>How long a partition or a lost node's silence lasts before it heals (a lost node's pods are then gone).</summary>
    public TimeSpan PartitionFor { get; init; } = TimeSpan.FromSeconds(25);
    /// <summary>slow-db: added to every database round trip (half each way) while it lasts, for <see cref="PartitionFor"/>.</summary>
    public TimeSpan SlowDbRoundTrip { get; init; } = TimeSpan.FromMilliseconds(300);
    public int Sessions { get; init; } = 8;
    /// <summary>Load kept running after each fault before the next one.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(20);
}

/// <summary>One row of the fault table.</summary>
public sealed record FaultResult(string Fault, long Requests, long Failed, IReadOnlyDictionary<string, long> FailuresByKind,
    long FailuresWithoutRetryAfter, double RecoverySeconds, int Lost, int Duplicated)
{
    /// <summary>The highest p99 latency of any one second of the fault's window, in milliseconds.</summary>
    public double WorstSecondP99Ms { get; init; }

    /// <summary>The steps of a database, node or partition fault with their times; empty for the others.</summary>
    public IReadOnlyList<DatabaseStep> Steps { get; init; } = [];

    /// <summary>
    /// Failed requests that were the load balancer's own (sent to a gateway the fault took away, or
    /// ended by HAProxy itself): the larger of what the client could tell and what HAProxy logged; part
    /// of <see cref="Failed"/>.
    /// </summary>
    public long LoadBalancerErrors { get; init; }

    /// <summary>Failures the client could tell the load balancer made itself (no answer, or a 5xx that is not a problem document).</summary>
    public long FromLoadBalancer { get; init; }

    /// <summary>What HAProxy's log counts as its own losses in the window (requests it ended itself, or lost on the vanished gateway).</summary>
    public long LoadBalancerLogged { get; init; }

    /// <summary>From the moment a silo was cut off to its row in the membership table saying Dead; null when no silo was cut off.</summary>
    public double? DeclaredDeadSeconds { get; init; }

    /// <summary>Failures that are Orderly's: everything but the load balancer's own.</summary>
    public long OrderlyFailures => Failed - LoadBalancerErrors;

    /// <summary>The first failed requests of the window, each as one line (when, how long, what came back).</summary>
    public IReadOnlyList<string> FailedRequests { get; init; } = [];
}

/// <summary>The fault table, the failover table (Orderly and the baseline through each database fault), and what membership did.</summary>
public sealed record ChaosReport(IReadOnlyList<FaultResult> Faults, IReadOnlyList<FailoverOutcome> Failovers, IReadOnlyList<string> SilosRestarted,
    Anomalies Anomalies)
{
    public FaultResult WholeRun => Faults[^1];
}

/// <summary>
/// The fault matrix under steady load through HAProxy (graceful profile): unplanned silo deaths, a
/// gateway death, a Postgres restart, an HAProxy reload, a silo frozen past failure detection. After
/// each fault the cluster is left to recover by itself (a killed process is replaced, as a
/// Deployment would); at the end every acknowledged order is checked in storage.
/// </summary>
public sealed class ChaosRunner(ClusterLayout layout, TextWriter output)
{
    public async Task<ChaosReport> RunAsync(ChaosOptions options, CancellationToken cancellationToken)
    {
        var cluster = new LocalCluster(layout, TextWriter.Null);
        // slow-db needs the database's path to run through a proxy that can delay it, for the whole run.
        await using var slow = options.Faults.Contains(ChaosFaults.SlowDb) && SingleEndpoint(options.ConnectionString) is { } endpoint
            ? new DelayProxy(endpoint) : null;
        var clusterConnectionString = slow is null ? options.ConnectionString
            : new NpgsqlConnectionStringBuilder(options.ConnectionString) { Host = "127.0.0.1", Port = slow.Port }.ToString();
        var spec = PodTimings.Graceful.Spec(3, 3, "graceful", clusterConnectionString);
        var db = options.Database;
        var network = new NetworkFaults();
        // A run killed with its rules in place must not break this one.
        await NetworkFaults.ClearAsync();
        var failovers = new List<FailoverOutcome>();
        var faults = new List<(string Name, Func<Task<IReadOnlyList<DatabaseStep>>> Inject)>();
        static Func<Task<IReadOnlyList<DatabaseStep>>> NoSteps(Func<Task> inject) => async () => { await inject(); return []; };
        foreach (var fault in options.Faults)
        {
            switch (fault)
            {
                case ChaosFaults.SiloKill:
                    for (var i = 1; i <= options.SiloKills; i++)
                        faults.Add(($"{fault} ({i}/{options.SiloKills})", NoSteps(() => KillAndReplaceAsync(cluster, spec, "silo-2", cancellationToken))));
                    break;
                case ChaosFaults.GatewayKill:
                    faults.Add((fault, async () =>
                    {
                        var steps = new StepLog(output, "chaos");
                        await KillAndReplaceAsync(cluster, spec, "gateway-2", cancellationToken, steps);
                        return steps.All;
                    }));
                    break;
                case ChaosFaults.PostgresRestart when db is not null:
                    faults.Add((fault, NoSteps(() => db.Pair.RestartWriterAsync(cancellationToken))));
                    break;
                case ChaosFaults.PostgresRestart when options.PostgresData is not null:
                    faults.Add((fault, NoSteps(() => RestartPostgresAsync(options.PostgresData))));
                    break;
                case ChaosFaults.HaproxyReload:
                    faults.Add((fault, NoSteps(cluster.ReloadHaproxyAsync)));
                    break;
                case ChaosFaults.SiloPause:
                    faults.Add((fault, NoSteps(() => PauseSiloAsync(cluster, spec, "silo-2", cancellationToken))));
                    break;
                case ChaosFaults.SiloScaleDown:
                    faults.Add((fault, NoSteps(() => ScaleDownSiloAsync(cluster, spec, "silo-1", cancellationToken))));
                    break;
                case ChaosFaults.NodeLoss when NetworkFaults.Available:
                    faults.Add((fault, () => LoseNodeAsync(cluster, spec, network, options.ConnectionString, options.PartitionFor, cancellationToken)));
                    break;
                case ChaosFaults.SiloPartition when NetworkFaults.Available:
                    faults.Add((fault, () => PartitionSiloAsync(cluster, spec, network, options.ConnectionString, DatabasePorts(clusterConnectionString), options.PartitionFor, cancellationToken)));
                    break;
                case ChaosFaults.GatewaySiloPartition when NetworkFaults.Available:
                    faults.Add((fault, NoSteps(() => PartitionGatewayFromSiloAsync(network, options.PartitionFor, cancellationToken))));
                    break;
                case ChaosFaults.SlowDb when slow is not null:
                    faults.Add((fault, NoSteps(async () =>
                    {
                        slow.Delay = options.SlowDbRoundTrip / 2;
                        await Task.Delay(options.PartitionFor, cancellationToken);
                        slow.Delay = TimeSpan.Zero;
                    })));
                    break;
                case ChaosFaults.DbConnectionsExhausted:
                    faults.Add((fault, NoSteps(async () => await ExhaustConnectionsAsync(
                        db is null ? options.ConnectionString : await WriterConnectionStringAsync(db, options.ConnectionString, cancellationToken), ExhaustedFor, cancellationToken))));
                    break;
                case ChaosFaults.DbFailover when db is not null:
                    faults.Add((fault, () => db.Pair.FailoverAsync(db.PromoteAfter, db.StaleDns, cancellationToken)));
                    break;
                case ChaosFaults.DbSwitchover when db is not null:
                    faults.Add((fault, () => db.Pair.SwitchoverAsync(cancellationToken)));
                    break;
                default:
                    output.WriteLine($"chaos: skipping {fault} ({(ChaosFaults.NeedPair.Contains(fault) ? "needs the Aurora-shaped pair: the throwaway database, not ORDERLY_DB"
                        : ChaosFaults.NeedNetwork.Contains(fault) ? "needs root, cgroup v2 and nft (apt-get install nftables)"
                        : fault == ChaosFaults.SlowDb ? "needs a connection string with one host to put the delaying proxy in front of"
                        : "needs the throwaway Postgres, not ORDERLY_DB")})");
                    break;
            }
        }
        if (faults.Count == 0)
            throw new ClusterException("chaos: none of the chosen faults can run here");

        output.WriteLine($"chaos: starting 3 silos, 3 gateways, HAProxy{(db is null ? "" : $", on the Aurora-shaped pair through its {(db.InstanceEndpoints ? "instance endpoints" : "cluster endpoint")}")}; {faults.Count} faults, {options.Settle.TotalSeconds:0}s of load after each");
        FailoverProbe? orderly = null, baseline = null;
        try
        {
            await cluster.UpAsync(spec, cancellationToken);
            var silos = Enumerable.Range(0, spec.Silos).Select(ClusterLayout.SiloName).ToDictionary(n => n, n => cluster.Started[n].Pid);
            var metrics = new RunMetrics(TimeProvider.System);
            using var tokens = new BearerTokens(new Uri(ClusterLayout.IssuerUrl));
            var prefix = $"chaos-{DateTime.UtcNow:yyyyMMddHHmmss}";
            if (db is not null)
            {
                orderly = new FailoverProbe("Orderly", ClusterLayout.FrontEndUrl, prefix + "-fo", "orders", tokens);
                await orderly.StartAsync(cancellationToken);
                if (db.Baseline)
                {
                    await cluster.StartBaselineAsync(BaselineSlot, spec, cancellationToken);
                    baseline = new FailoverProbe("baseline", ClusterLayout.GatewayUrl(BaselineSlot), prefix + "-bl", BaselineTable, tokens);
                    await baseline.StartAsync(cancellationToken);
                }
            }
            var total = TimeSpan.FromSeconds(5) + faults.Count * (options.Settle + TimeSpan.FromSeconds(60));
            await using var sessions = new SessionLoad(new LoadOptions
            {
                Target = ClusterLayout.FrontEndUrl,
                CustomerPrefix = prefix,
                FloorSessions = options.Sessions,
                PeakSessions = options.Sessions,
                RequestTimeout = TimeSpan.FromSeconds(30),
                Tokens = tokens,
            }, metrics);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var load = sessions.RunAsync(total, stop.Token);
            await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);

            var windows = new List<(string Fault, int From, int To, IReadOnlyList<DatabaseStep> Steps, long Started, long LoadBalancerErrors, DateTime StartedAt)>();
            foreach (var (name, inject) in faults)
            {
                var from = metrics.Second;
                var started = TimeProvider.System.GetTimestamp();
                // The window counts requests by the second they started in: the load balancer's losses are
                // counted from the start of that second too, not from the moment the fault began.
                var startedAt = DateTime.Now - (metrics.Elapsed - TimeSpan.FromSeconds(from));
                output.WriteLine($"chaos: [{from,4}s] {name}");
                var steps = await inject();
                await Task.Delay(ChaosFaults.NeedPair.Contains(name) && db is not null ? db.Settle : options.Settle, cancellationToken);
                // Read now: HAProxy starts its log afresh when it is restarted.
                windows.Add((name, from, metrics.Second, steps, started, LostGatewayOf(name) is null ? 0 : LoadBalancerErrors(await ReadLoadBalancerLogAsync(), name, startedAt, DateTime.Now), startedAt));
            }
            await stop.CancelAsync();
            await load;
            // HAProxy logs a request when it ends. One it sent to a vanished gateway may end only at its
            // server timeout (60 s), after the client gave up (30 s) and after its window was read, so
            // each window's log is read again now, and the larger count holds (a restart starts the log afresh).
            var lines = await ReadLoadBalancerLogAsync();
            for (var i = 0; i < windows.Count; i++)
            {
                var w = windows[i];
                var until = i + 1 < windows.Count ? windows[i + 1].StartedAt : DateTime.Now;
                windows[i] = w with { LoadBalancerErrors = Math.Max(w.LoadBalancerErrors, LoadBalancerErrors(lines, w.Fault, w.StartedAt, until)) };
            }
            if (orderly is not null)
                await orderly.StopAsync();
            if (baseline is not null)
                await baseline.StopAsync();

            // Orderly's promise through a database outage: no silo was declared dead or restarted.
            var touched = new HashSet<string>();
            if (options.Faults.Contains(ChaosFaults.SiloScaleDown))
                touched.Add("silo-1");
            if (options.Faults.Contains(ChaosFaults.SiloKill) || options.Faults.Contains(ChaosFaults.SiloPause))
                touched.Add("silo-2");
            var restarted = silos.Where(s => !touched.Contains(s.Key) && (cluster.Started[s.Key].Pid != s.Value || !cluster.Started[s.Key].IsAlive))
                .Select(s => s.Key).ToList();

            var verifyOn = db is null ? options.ConnectionString : await WriterConnectionStringAsync(db, options.ConnectionString, cancellationToken);
            output.WriteLine($"chaos: verifying {sessions.Acknowledged.Count} acknowledged orders in storage{(db is null ? "" : " (on the writer)")}");
            var acknowledged = sessions.Acknowledged.Values.ToList();
            var verification = await Verifier.VerifyAsync(verifyOn, acknowledged, prefix);
            var lostIds = verification.LostIds.ToHashSet();
            var anomalies = ConsistencyChecker.Check(sessions.History.All, verification.Stored);
            var results = windows.Select(w =>
            {
                var result = Summarize(w.Fault, w.From, w.To, metrics, acknowledged, lostIds);
                return result with
                {
                    Steps = w.Steps,
                    DeclaredDeadSeconds = Between(w.Steps, CutOff, DeclaredDead),
                    // What the client saw the load balancer do, or what HAProxy logged, whichever is more:
                    // each is a lower bound of the load balancer's losses (HAProxy's log misses a request
                    // it never logged; the client cannot tell the vanished gateway's late answers).
                    LoadBalancerErrors = Math.Min(result.Failed, Math.Max(result.FromLoadBalancer, w.LoadBalancerErrors)),
                    LoadBalancerLogged = w.LoadBalancerErrors,
                    FailedRequests = [.. sessions.Failures.Where(f => f.At.TotalSeconds >= w.From && f.At.TotalSeconds < w.To).Take(FailuresShown).Select(Describe)],
                };
            }).ToList();
            // Duplicates are counted for the run (an idempotency key belongs to no single fault).
            results.Add(new FaultResult("whole run", results.Sum(r => r.Requests), results.Sum(r => r.Failed),
                FailureKind.All.ToDictionary(k => k, k => results.Sum(r => r.FailuresByKind[k])), results.Sum(r => r.FailuresWithoutRetryAfter),
                results.Max(r => r.RecoverySeconds), verification.Lost, verification.Duplicated)
            {
                WorstSecondP99Ms = results.Max(r => r.WorstSecondP99Ms),
                LoadBalancerErrors = results.Sum(r => r.LoadBalancerErrors),
            });

            foreach (var w in windows.Where(w => w.Steps.Count > 0 && ChaosFaults.NeedPair.Contains(w.Fault)))
            {
                // Writes can work again once the endpoint reaches the writer; with instance endpoints, at the promotion.
                var possible = w.Steps.First(st => db!.InstanceEndpoints ? st.What.Contains("promoted", StringComparison.Ordinal) : st.What.StartsWith("cluster endpoint moved", StringComparison.Ordinal));
                var last = w.Steps[^1].AtSeconds;
                foreach (var probe in new[] { orderly, baseline }.OfType<FailoverProbe>())
                {
                    failovers.Add(await probe.OutcomeAsync(w.Fault, w.Started, last + db!.Settle.TotalSeconds,
                        possible.AtSeconds, verifyOn, idempotent: probe == orderly));
                }
            }

            output.WriteLine();
            output.WriteLine(Table(results));
            foreach (var example in verification.Examples)
                output.WriteLine($"  {example}");
            output.WriteLine($"consistency: {sessions.History.Count:N0} answers checked, {anomalies.StaleReads} stale reads, {anomalies.VersionsWentBack} versions gone back, {anomalies.Vanished} vanished versions");
            foreach (var example in anomalies.Examples)
                output.WriteLine($"  {example}");
            foreach (var w in windows.Where(w => w.Steps.Count > 0))
            {
                output.WriteLine();
                output.WriteLine($"{w.Fault}, step by step:");
                foreach (var step in w.Steps)
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  +{step.AtSeconds,5:0.0}s  {step.What}"));
            }
            foreach (var r in results.Where(r => r.FailedRequests.Count > 0))
            {
                output.WriteLine();
                output.WriteLine($"{r.Fault}, failed requests ({r.Failed}{(r.Failed > r.FailedRequests.Count ? $", the first {r.FailedRequests.Count}" : "")}):");
                foreach (var line in r.FailedRequests)
                    output.WriteLine("  " + line);
            }
            if (failovers.Count > 0)
            {
                output.WriteLine();
                output.WriteLine($"Through the database faults, {FailoverProbe.Writers} writers and {FailoverProbe.Readers} readers per system; \"writes back\" counts from when writes could work again ({(db!.InstanceEndpoints ? "the promotion" : "the cluster endpoint moved")}):");
                output.WriteLine(FailoverProbe.Table(failovers));
            }
            if (db is not null)
                output.WriteLine(restarted.Count == 0 ? "membership: every silo that no fault touched kept running (none declared dead)" : $"membership: restarted or gone: {string.Join(", ", restarted)}");
            return new ChaosReport(results, failovers, restarted, anomalies);
        }
        finally
        {
            if (orderly is not null)
                await orderly.DisposeAsync();
            if (baseline is not null)
                await baseline.DisposeAsync();
            await NetworkFaults.ClearAsync();
            await cluster.DownAsync();
            await NetworkFaults.ClearAsync();
        }
    }

    /// <summary>
    /// A failed request as one line: when it started, how long it took and what came back (a problem
    /// document is a gateway's answer; anything else the load balancer's). The counts say whether a
    /// fault held; these lines say why not.
    /// </summary>
    private static string Describe(FailedRequest f) => string.Create(CultureInfo.InvariantCulture,
        $"{f.At.TotalSeconds,7:0.00}s  took {f.Took.TotalSeconds,6:0.00}s  {f.Kind}{(f.Status is { } s ? " " + s : "")}{(f.RetryAfter ? " Retry-After" : "")}  {f.Request}  {f.Detail.ReplaceLineEndings(" ")}");

    /// <summary>Failed requests kept per fault; the rest are counted in the table.</summary>
    private const int FailuresShown = 40;

    /// <summary>The bench's baseline keeps its orders here (bench/Baseline/BaselineStore.cs).</summary>
    private const string BaselineTable = "baseline_orders";

    /// <summary>The baseline listens in the last gateway slot, which HAProxy keeps out of rotation.</summary>
    private const int BaselineSlot = ClusterLayout.MaxReplicas - 1;

    /// <summary>The writer's instance endpoint, with the schema (search path) of the run's connection string.</summary>
    private static async Task<string> WriterConnectionStringAsync(DatabaseFaultOptions db, string connectionString, CancellationToken cancellationToken)
    {
        var writer = await DatabasePair.WriterAsync(cancellationToken) ?? throw new ClusterException("chaos: the pair has no writer to verify on");
        var given = new NpgsqlConnectionStringBuilder(connectionString);
        return new NpgsqlConnectionStringBuilder(DatabasePair.InstanceConnectionString(writer)) { SearchPath = given.SearchPath }.ToString();
    }

    /// <summary>
    /// A node lost without a word (hardware, a spot reclaim, an AZ outage): gateway-2 and silo-2 go silent
    /// at once — nothing they send arrives, nothing sent to them arrives, no FIN, no RST — so peers learn
    /// only from timeouts. After <paramref name="silence"/> the pods are gone (SIGKILL; their last packets
    /// are dropped too), the rules go, and after a Deployment's delay replacements start.
    /// </summary>
    private async Task<IReadOnlyList<DatabaseStep>> LoseNodeAsync(LocalCluster cluster, ClusterSpec spec, NetworkFaults network, string membership,
        TimeSpan silence, CancellationToken cancellationToken)
    {
        const string fault = ChaosFaults.NodeLoss;
        string[] pods = ["gateway-2", "silo-2"];
        var generation = await MembershipWatch.ActiveGenerationAsync(membership, ClusterLayout.SiloPort(2), cancellationToken);
        var steps = new StepLog(output, "chaos");
        foreach (var pod in pods)
            await network.SilenceAsync(fault, pod, [], []);
        // Its kubelet is silent too: the silo stays in the gateways' list, as in the headless Service.
        SiloEndpoints.MarkUnreported(layout, "silo-2");
        await network.DropToAsync(fault, [ClusterLayout.GatewayPort(2), ClusterLayout.GatewayManagementPort(2),
            ClusterLayout.SiloPort(2), ClusterLayout.OrleansGatewayPort(2), ClusterLayout.SiloManagementPort(2)]);
        steps.Add(CutOff + ": gateway-2 and silo-2 silent");
        var watch = WatchForDeathAsync(steps, membership, generation, silence, cancellationToken);
        await Task.Delay(silence, cancellationToken);
        foreach (var pod in pods)
        {
            var process = cluster.Started[pod];
            process.Signal(UnixSignal.Kill);
            await process.WaitForExitAsync(TimeSpan.FromSeconds(10), cancellationToken);
            process.ForgetPidFile();
        }
        await watch;
        SiloEndpoints.ClearMarks(layout, "silo-2");
        // The ports are the replacements' now (a real replacement gets a new IP instead).
        await network.HealAsync(fault);
        steps.Add("pods gone (SIGKILL), rules removed");
        await Task.Delay(ReplacementDelay, cancellationToken);
        steps.Add("replacements starting");
        await cluster.StartSiloAsync(2, spec, cancellationToken);
        await cluster.StartGatewayAsync(2, spec, cancellationToken);
        steps.Add(ReplacementReady);
        return steps.All;
    }

    /// <summary>How long Postgres stays at max_connections.</summary>
    private static readonly TimeSpan ExhaustedFor = TimeSpan.FromSeconds(15);

    /// <summary>How long a Deployment's controller and the scheduler take to start a replacement pod, locally.</summary>
    private static readonly TimeSpan ReplacementDelay = TimeSpan.FromSeconds(5);

    /// <summary>
    /// silo-2 cut off from its peers and the gateways, but not from Postgres (nor from its kubelet's
    /// probes): Orleans must vote it dead, and it must stop itself on reading that. Healed after
    /// <paramref name="duration"/>; a silo that stopped is replaced, as a Deployment would.
    /// </summary>
    private async Task<IReadOnlyList<DatabaseStep>> PartitionSiloAsync(LocalCluster cluster, ClusterSpec spec, NetworkFaults network, string membership,
        IReadOnlyCollection<int> databasePorts, TimeSpan duration, CancellationToken cancellationToken)
    {
        const string fault = ChaosFaults.SiloPartition;
        var generation = await MembershipWatch.ActiveGenerationAsync(membership, ClusterLayout.SiloPort(2), cancellationToken);
        var steps = new StepLog(output, "chaos");
        await network.SilenceAsync(fault, "silo-2", exceptTo: databasePorts, exceptFrom: [ClusterLayout.SiloManagementPort(2)]);
        await network.DropToAsync(fault, [ClusterLayout.SiloPort(2), ClusterLayout.OrleansGatewayPort(2)]);
        steps.Add(CutOff + ": silo-2 from its peers and the gateways (not from Postgres)");
        var watch = WatchForDeathAsync(steps, membership, generation, duration, cancellationToken);
        await Task.Delay(duration, cancellationToken);
        await watch;
        await network.HealAsync(fault);
        steps.Add("healed");
        var process = cluster.Started["silo-2"];
        if (await process.WaitForExitAsync(TimeSpan.FromSeconds(20), cancellationToken))
        {
            steps.Add("silo-2 had stopped itself; replacement starting");
            process.ForgetPidFile();
            await cluster.StartSiloAsync(2, spec, cancellationToken);
            steps.Add(ReplacementReady);
        }
        return steps.All;
    }

    private const string CutOff = "cut off";
    private const string DeclaredDead = "declared dead in the membership table";
    private const string ReplacementReady = "replacement ready";

    /// <summary>Adds the <see cref="DeclaredDead"/> step when the silo's row turns Dead within <paramref name="limit"/>.</summary>
    private static async Task WatchForDeathAsync(StepLog steps, string membership, int? generation, TimeSpan limit, CancellationToken cancellationToken)
    {
        if (generation is { } g && await MembershipWatch.WaitForDeadAsync(membership, ClusterLayout.SiloPort(2), g, limit, cancellationToken))
            steps.Add(DeclaredDead);
    }

    private static double? Between(IReadOnlyList<DatabaseStep> steps, string from, string to) =>
        steps.FirstOrDefault(s => s.What.StartsWith(from, StringComparison.Ordinal)) is { } a && steps.FirstOrDefault(s => s.What.StartsWith(to, StringComparison.Ordinal)) is { } b
            ? Math.Round(b.AtSeconds - a.AtSeconds, 1) : null;

    /// <summary>HAProxy's log as written so far; empty when there is none.</summary>
    private async Task<string[]> ReadLoadBalancerLogAsync()
    {
        var log = layout.LogFile("haproxy");
        return File.Exists(log) ? await File.ReadAllLinesAsync(log, CancellationToken.None) : [];
    }

    /// <summary>
    /// What HAProxy's <paramref name="log"/> says it lost (ended itself, or lost on the gateway the fault took away) of the
    /// requests it accepted from <paramref name="startedAt"/> until <paramref name="until"/>. Until the end of the window,
    /// not the fault's: HAProxy keeps ending requests itself until its checks see the replacement.
    /// </summary>
    private static long LoadBalancerErrors(string[] log, string fault, DateTime startedAt, DateTime until) =>
        LostGatewayOf(fault) is { } lost ? HaproxyLog.FailedOn(log, lost, startedAt, until) : 0;

    /// <summary>The gateway a fault takes away, whose in-flight and newly sent requests are the load balancer's to lose.</summary>
    private static string? LostGatewayOf(string fault) => fault is ChaosFaults.NodeLoss or ChaosFaults.GatewayKill ? "gateway-2" : null;

    /// <summary>gateway-2 can no longer reach silo-2 (what it sends there vanishes); everyone else can. Healed after <paramref name="duration"/>.</summary>
    private static async Task PartitionGatewayFromSiloAsync(NetworkFaults network, TimeSpan duration, CancellationToken cancellationToken)
    {
        const string fault = ChaosFaults.GatewaySiloPartition;
        await network.DropFromToAsync(fault, "gateway-2", [ClusterLayout.OrleansGatewayPort(2)]);
        await Task.Delay(duration, cancellationToken);
        await network.HealAsync(fault);
    }

    /// <summary>
    /// Postgres at max_connections: the harness takes every connection slot left (as a runaway job or a
    /// connection leak elsewhere would) and holds them for <paramref name="duration"/>. Pools keep the
    /// connections they have; new ones are refused with 53300.
    /// </summary>
    private static async Task ExhaustConnectionsAsync(string connectionString, TimeSpan duration, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 3 };
        var held = new List<NpgsqlConnection>();
        try
        {
            while (held.Count < 2000)
            {
                var connection = new NpgsqlConnection(builder.ToString());
                try
                {
                    await connection.OpenAsync(cancellationToken);
                    held.Add(connection);
                }
                catch (PostgresException e) when (e.SqlState == "53300")
                {
                    await connection.DisposeAsync();
                    break;
                }
            }
            await Task.Delay(duration, cancellationToken);
        }
        finally
        {
            foreach (var connection in held)
                await connection.DisposeAsync();
        }
    }

    /// <summary>The one host and port of a connection string, or null when it names several.</summary>
    private static IPEndPoint? SingleEndpoint(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        if (b.Host is not { } host || host.Contains(',', StringComparison.Ordinal))
            return null;
        var address = IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host).First(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
        return new IPEndPoint(address, b.Port);
    }

    /// <summary>The ports the database is reached on (every host of the connection string), which a partitioned silo still reaches.</summary>
    public static IReadOnlyCollection<int> DatabasePorts(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        var ports = new HashSet<int>();
        foreach (var host in (b.Host ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = host.LastIndexOf(':');
            ports.Add(colon > 0 && int.TryParse(host.AsSpan(colon + 1), CultureInfo.InvariantCulture, out var p) ? p : b.Port);
        }
        // The cluster endpoint leads to the instances; a silo on it reaches them through it only.
        return ports;
    }

    /// <summary>A scale-down of one silo: SIGTERM (graceful stop), then a new pod in its place.</summary>
    private static async Task ScaleDownSiloAsync(LocalCluster cluster, ClusterSpec spec, string name, CancellationToken cancellationToken)
    {
        var process = cluster.Started[name];
        await process.StopAsync(LocalCluster.StopGrace);
        await cluster.StartSiloAsync(ClusterLayout.IndexOf(name), spec, cancellationToken);
    }

    private static FaultResult Summarize(string fault, int from, int to, RunMetrics metrics, IReadOnlyList<AcknowledgedOrder> acknowledged, HashSet<Guid> lost)
    {
        var seconds = Enumerable.Range(from, Math.Max(1, to - from)).Select(s => (Second: s, Bucket: metrics[s])).ToList();
        var lastFailure = seconds.LastOrDefault(s => s.Bucket.Failures > 0);
        return new FaultResult(fault,
            seconds.Sum(s => s.Bucket.Requests),
            seconds.Sum(s => s.Bucket.Failures),
            FailureKind.All.ToDictionary(k => k, k => seconds.Sum(s => s.Bucket.ByKind.GetValueOrDefault(k))),
            seconds.Sum(s => s.Bucket.Failures - s.Bucket.RetryAfter503),
            lastFailure.Bucket is null ? 0 : lastFailure.Second + 1 - from,
            acknowledged.Count(a => lost.Contains(a.Id) && a.AtSecond >= from && a.AtSecond < to),
            0) with
        {
            WorstSecondP99Ms = seconds.Count == 0 ? 0 : Math.Round(seconds.Max(x => x.Bucket.P99Ms), 0),
            FromLoadBalancer = seconds.Sum(s => s.Bucket.FromLoadBalancer),
        };
    }

    private static async Task KillAndReplaceAsync(LocalCluster cluster, ClusterSpec spec, string name, CancellationToken cancellationToken, StepLog? steps = null)
    {
        var process = cluster.Started[name];
        process.Signal(UnixSignal.Kill);
        await process.WaitForExitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        process.ForgetPidFile();
        steps?.Add("killed (SIGKILL); replacement starting");
        // Like a Deployment: a new pod replaces the dead one.
        var index = ClusterLayout.IndexOf(name);
        if (name.StartsWith("silo", StringComparison.Ordinal))
            await cluster.StartSiloAsync(index, spec, cancellationToken);
        else
            await cluster.StartGatewayAsync(index, spec, cancellationToken);
        steps?.Add(ReplacementReady);
    }

    private static async Task PauseSiloAsync(LocalCluster cluster, ClusterSpec spec, string name, CancellationToken cancellationToken)
    {
        var process = cluster.Started[name];
        process.Signal(UnixSignal.Stop);
        // Past the local failure detection (probes every 2 s, 2 missed, then votes) with room to spare.
        await Task.Delay(TimeSpan.FromSeconds(20), cancellationToken);
        process.Signal(UnixSignal.Cont);
        // Declared dead while frozen, the silo stops itself on waking; a replacement takes its place.
        if (await process.WaitForExitAsync(TimeSpan.FromSeconds(30), cancellationToken))
        {
            process.ForgetPidFile();
            await cluster.StartSiloAsync(ClusterLayout.IndexOf(name), spec, cancellationToken);
        }
    }

    /// <summary>Restarts the throwaway Postgres as its owner, the 'postgres' system user (it refuses to run as root).</summary>
    private async Task RestartPostgresAsync(string dataDir)
    {
        var pgCtl = PostgresBinaries.Find("pg_ctl");
        // The server writes to its log, not to our pipes, or the runner would wait for it to exit.
        string[] restart = [pgCtl, "-D", dataDir, "-l", layout.LogFile("postgres"), "-m", "fast", "-w", "restart"];
        var run = Environment.IsPrivilegedProcess
            ? await Tool.RunAsync("runuser", ["-u", "postgres", "--", .. restart], CancellationToken.None, timeout: TimeSpan.FromSeconds(90))
            : await Tool.RunAsync(pgCtl, restart[1..], CancellationToken.None, timeout: TimeSpan.FromSeconds(90));
        if (run.ExitCode != 0)
            throw new ClusterException($"Postgres restart failed: {run.Printed}");
    }

    public static string Table(IReadOnlyList<FaultResult> results)
    {
        var inv = CultureInfo.InvariantCulture;
        var table = new TextTable("fault", ">requests", ">failed", ">of them LB", "failures by kind", ">no Retry-After", ">declared dead", ">recovery", ">worst p99", ">lost", ">dup");
        foreach (var r in results)
        {
            var kinds = r.Failed == 0 ? "—" : string.Join(", ", r.FailuresByKind.Where(k => k.Value > 0).Select(k => $"{k.Key} {k.Value}"));
            table.Add(r.Fault, r.Requests.ToString("N0", inv), r.Failed.ToString(inv), r.LoadBalancerErrors == 0 ? "—" : r.LoadBalancerErrors.ToString(inv), kinds,
                r.FailuresWithoutRetryAfter.ToString(inv), r.DeclaredDeadSeconds is { } dead ? string.Create(inv, $"{dead:0.0}s") : "—",
                string.Create(inv, $"{r.RecoverySeconds:0}s"), string.Create(inv, $"{r.WorstSecondP99Ms:N0} ms"), r.Lost.ToString(inv), r.Fault == "whole run" ? r.Duplicated.ToString(inv) : "—");
        }
        return table.ToString();
    }
}
