using System.Net.Http.Headers;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Orderly.Harness.Cluster;
using Orderly.LoadClient.Load;
using Orderly.Harness.Emulation;
using Orderly.Harness.Experiment;
using Orderly.LoadClient.Reporting;
using Orderly.LoadClient.Verify;

namespace Orderly.Bench.Runner;

public sealed record BenchOptions
{
    public required string ConnectionString { get; init; }
    public required string OutDir { get; init; }
    /// <summary>Closed-loop callers for every system, and pgbench clients.</summary>
    public int Concurrency { get; init; } = 16;
    /// <summary>Unrecorded load per operation before anything is measured.</summary>
    public int WarmupSeconds { get; init; } = 3;
    public int SecondsPerOperation { get; init; } = 8;
    /// <summary>Active orders on the silo whose graceful shutdown is timed; 0 skips that step.</summary>
    public int Activations { get; init; } = 10_000;
    /// <summary>Scale-down events in the short graceful experiment that measures p99 while pods leave; 0 skips it.</summary>
    public int ScaleDownEvents { get; init; } = 2;
    /// <summary>Which of pgbench, baseline, orderly-1, orderly-2, orderly-3 (N gateways + N silos) to run (all by default; ratios need baseline and pgbench).</summary>
    public IReadOnlySet<string> Systems { get; init; } = AllSystems;

    /// <summary>Requests per second offered at a fixed rate, below every system's saturation, for the CPU-per-request figures; 0 skips them.</summary>
    public double Rate { get; init; } = 150;

    public int RateSeconds { get; init; } = 8;

    /// <summary>Seconds with no request at all, after the load, over which idle CPU is measured.</summary>
    public int IdleSeconds { get; init; } = 10;

    /// <summary>
    /// How long after the last request idle CPU starts to be measured. For a minute or more after a load a
    /// silo still works down what it touched (its timer thread, thread-pool workers and sockets took 80–100 s
    /// to settle in a per-thread profile of a 2 + 2 silo after 20 s of creates, docs/performance.md); idle is
    /// what it burns once that is over, as a silo with no traffic for the night does. In the rounds after the
    /// first, <see cref="IdleAge"/> already waits about as long.
    /// </summary>
    public TimeSpan IdleAfter { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>
    /// How old the system must be before idle CPU is measured. The tiered JIT compiles a 1-s timer's
    /// callback again after 30 calls and once more after 30 more, so a process keeps compiling what its
    /// timers run for its first minutes; on EKS a silo lives for hours.
    /// </summary>
    public TimeSpan IdleAge { get; init; } = TimeSpan.FromSeconds(150);

    /// <summary>
    /// How long each database sample waits for Postgres' table counters (<see cref="DatabaseWorkProbe.DefaultStatsSettle"/>).
    /// The tests' short bench, which reads no table counter, waits 1 s: 8 samples a system cost 88 s each otherwise.
    /// </summary>
    public TimeSpan StatsSettle { get; init; } = DatabaseWorkProbe.DefaultStatsSettle;

    /// <summary>A CPU limit on every Orderly silo, in millicores (a CFS quota, as kubelet sets one); null: none, as the overlays ship.</summary>
    public int? SiloCpuLimitMillis { get; init; }

    /// <summary>
    /// How many times the systems' CPU runs (fixed rate, then idle) are played, in alternating order
    /// (A B, then B A, …) so that the machine's drift in speed during a run falls on every system alike.
    /// The first round measures everything; later ones play the same loads and record only the CPU runs. Each figure
    /// reported is the median round's; a ratio between two systems is the median of their per-round ratios.
    /// </summary>
    public int Rounds { get; init; } = 1;

    public static readonly IReadOnlySet<string> AllSystems = new HashSet<string> { "pgbench", "baseline", "orderly-1", "orderly-2", "orderly-3" };

    /// <summary>The Orderly systems the bench knows: N gateways and N silos.</summary>
    public static readonly IReadOnlyList<int> OrderlySizes = [1, 2, 3];
}

/// <summary>
/// ./orderly bench: pgbench's single-row insert rate (the ceiling), the stateless baseline, and
/// Orderly with one and two silos, all through the same HAProxy on the same Postgres, the same
/// operations at the same concurrency; then a silo's graceful shutdown with many active orders, and
/// p99 during scale-down from a short graceful experiment. Writes bench.json and bench.html.
/// </summary>
public sealed partial class BenchRunner(ClusterLayout layout, TextWriter output)
{
    /// <summary>When the last fixed-rate run's load ended: idle is measured from <see cref="BenchOptions.IdleAfter"/> after it.</summary>
    private long _loadEnded;

    /// <summary>When the system under test had started: idle is measured once it is <see cref="BenchOptions.IdleAge"/> old.</summary>
    private long _started;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>Unrecorded time at the start of each measured run, so one operation's tail does not bleed into the next.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    private const string OrderBody = """{"customerId":"{0}","items":[{"sku":"SKU-17","quantity":2}],"deliveryAddress":"221 Main St"}""";

    public async Task<BenchReport> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        var cluster = new LocalCluster(layout, TextWriter.Null);
        if (cluster.Running().Any(p => p.Name != "postgres"))
            throw new ClusterException("a cluster is already running; run ./orderly down first (the bench needs the machine to itself)");
        var runId = DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture);
        var measured = options.Systems.Count(s => s != "pgbench");
        var steps = (options.Systems.Contains("pgbench") ? 1 : 0) + measured * RoundsOf(options) + (options.ScaleDownEvents > 0 ? 1 : 0);
        var step = 0;
        string Step(string what) => $"[{++step}/{steps}] {what}";

        options = options with { ConnectionString = await OwnSchemaAsync(options.ConnectionString, cancellationToken) };
        var one = new ClusterSpec(1, 1, "graceful", options.ConnectionString);
        await cluster.MigrateAsync(one, cancellationToken);
        await using var probe = await DatabaseWorkProbe.CreateAsync(options.ConnectionString, options.StatsSettle, cancellationToken);

        OperationResult? pgbench = null;
        if (options.Systems.Contains("pgbench"))
        {
            output.WriteLine(Step($"pgbench: single-row insert into a copy of orders, {options.Concurrency} clients, {options.SecondsPerOperation} s"));
            var before = await probe.SampleAsync(cancellationToken);
            pgbench = await PgBench.RunAsync(options.ConnectionString, options.Concurrency, TimeSpan.FromSeconds(options.SecondsPerOperation),
                Path.Combine(options.OutDir, "pgbench"), cancellationToken);
            pgbench = pgbench with { Sent = pgbench.Requests, Database = await probe.WorkAsync(before, await probe.SampleAsync(cancellationToken), pgbench.Requests, cancellationToken) };
            output.WriteLine($"    insert {pgbench.Throughput,10:N0} tx/s   p50 {pgbench.P50Ms:0.00} ms   p99 {pgbench.P99Ms:0.00} ms   {Work(pgbench.Database)}");
            if (options.Rate > 0)
            {
                var cpu = await SystemCpu.OfAsync(cluster, options.ConnectionString, cancellationToken);
                var (atRate, spent) = await cpu.DuringAsync(() => PgBench.RunAsync(options.ConnectionString, options.Concurrency, TimeSpan.FromSeconds(options.RateSeconds),
                    Path.Combine(options.OutDir, "pgbench-rate"), cancellationToken, options.Rate), cancellationToken);
                atRate = (atRate with { Sent = atRate.Requests }).WithCpu(spent);
                output.WriteLine($"    insert at {options.Rate:0} tx/s: {Cpu(atRate)}");
                pgbench = pgbench with { Cpu = atRate.Cpu, CpuMsPerRequest = atRate.CpuMsPerRequest };
            }
        }

        // Orderly's requests carry bearer tokens from the cluster's issuer; the baseline takes none.
        using var tokens = new BearerTokens(new Uri(ClusterLayout.IssuerUrl));
        SiloShutdown? shutdown = null;
        var sizes = BenchOptions.OrderlySizes.Where(n => options.Systems.Contains($"orderly-{n}")).ToList();
        var order = (options.Systems.Contains("baseline") ? [0] : Array.Empty<int>()).Concat(sizes).ToList();
        var rounds = RoundsOf(options);
        var played = order.ToDictionary(n => n, _ => new List<SystemResult>());
        for (var round = 1; round <= rounds; round++)
        {
            // A B C, then C B A: a drift in the machine's speed over the run falls on every system alike.
            foreach (var n in round % 2 == 1 ? order : Enumerable.Reverse(order))
            {
                var first = round == 1;
                var of = rounds > 1 ? $" (round {round} of {rounds}{(first ? "" : ": only the CPU runs recorded")})" : "";
                SystemResult result;
                if (n == 0)
                {
                    output.WriteLine(Step("baseline: stateless ASP.NET Core + Npgsql, one process behind HAProxy" + of));
                    result = await WithProcessesAsync(cluster, async () =>
                    {
                        await cluster.StartBaselineAsync(0, one, cancellationToken);
                        await cluster.StartHaproxyAsync(one, cancellationToken);
                    }, () => MeasureAsync(BenchReport.Baseline, "ASP.NET Core minimal API + Npgsql, one SQL statement per request (bench/Baseline)", options, probe, runId, round, null, cluster, cancellationToken));
                }
                else
                {
                    output.WriteLine(Step($"orderly, {n} gateway(s) + {n} silo(s) behind HAProxy" + of));
                    // The silo stop is timed once, on the smallest cluster with somewhere for its orders to go.
                    var timeShutdown = first && options.Activations > 0 && (n == 2 || n == sizes[^1] && shutdown is null);
                    (result, var stopped) = await MeasureOrderlyAsync(n, cluster, options, probe, runId, round, timeShutdown, tokens, cancellationToken);
                    shutdown = stopped ?? shutdown;
                }
                played[n].Add(result);
            }
        }
        var systems = order.Select(n => BenchRounds.Combine(played[n])).ToList();

        ScaleDownLatency? scaleDown = null;
        if (options.ScaleDownEvents > 0)
        {
            output.WriteLine(Step($"p99 while pods leave: the graceful experiment with {options.ScaleDownEvents} scale-down event(s)"));
            var summaries = await new ExperimentRunner(layout, new IndentedWriter(output)).RunAsync(new ExperimentOptions
            {
                Profiles = ["graceful"],
                ConnectionString = options.ConnectionString,
                OutDir = Path.Combine(options.OutDir, "scale-down"),
                Events = options.ScaleDownEvents,
            }, cancellationToken);
            scaleDown = summaries[0].ScaleDownLatencyMs;
        }

        var ratios = BenchReport.RatiosOf(pgbench, systems);
        var report = new BenchReport(
            DateTimeOffset.UtcNow,
            new Machine(Environment.ProcessorCount, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription),
            new BenchSettings(options.Concurrency, options.WarmupSeconds, options.SecondsPerOperation, options.Activations, options.ScaleDownEvents)
            {
                Rate = options.Rate, RateSeconds = options.RateSeconds, IdleSeconds = options.IdleSeconds, Rounds = RoundsOf(options),
            },
            pgbench, systems, ratios, shutdown, scaleDown,
            [.. BenchReport.CpuTargetsOf(systems), .. BenchReport.DatabaseTargetsOf(systems), .. BenchReport.TargetsOf(ratios, shutdown, scaleDown, options.Activations, BenchReport.ReadCeilingOf(systems))]);
        await report.WriteAsync(options.OutDir);
        output.WriteLine();
        output.WriteLine(report.Table());
        output.WriteLine($"written: {Path.Combine(options.OutDir, "bench.json")}, {Path.Combine(options.OutDir, "bench.html")}");
        return report;
    }

    /// <summary>
    /// The bench works in a schema of its own (orderly_bench, unless the connection string names one),
    /// so the per-request database figures count its own tables only, whatever else uses the database.
    /// </summary>
    private static async Task<string> OwnSchemaAsync(string connectionString, CancellationToken cancellationToken)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!string.IsNullOrEmpty(builder.SearchPath))
            return connectionString;
        await using (var db = Npgsql.NpgsqlDataSource.Create(connectionString))
        await using (var create = db.CreateCommand("CREATE SCHEMA IF NOT EXISTS orderly_bench"))
            await create.ExecuteNonQueryAsync(cancellationToken);
        builder.SearchPath = "orderly_bench";
        return builder.ConnectionString;
    }

    /// <summary>CFS's counts summed over <paramref name="silos"/>; null without the cpu controller.</summary>
    private static CpuThrottling? SiloThrottling(IEnumerable<string> silos) =>
        silos.Select(PodCgroups.Throttling).Aggregate((CpuThrottling?)new CpuThrottling(0, 0, 0), (sum, t) => sum is null || t is null ? null : sum + t);

    /// <summary>Rounds repeat the CPU runs; without them (no fixed rate) there is nothing to repeat.</summary>
    private static int RoundsOf(BenchOptions options) => options.Rate > 0 ? options.Rounds : 1;

    /// <summary>N gateways and N silos as a cluster runs them.</summary>
    private static ClusterSpec OrderlySpec(int n, BenchOptions options) => new(n, n, "graceful", options.ConnectionString)
    {
        SiloCpuLimitMillis = options.SiloCpuLimitMillis,
        // No dashboard, and the product's failure detection (the local runner's quicker I-am-alive
        // writes are for start-ups, not the product).
        Dashboard = false,
        SiloSettings = [],
    };

    /// <summary>N + N under load; then, when <paramref name="timeShutdown"/>, silo-0's graceful stop on the same cluster.</summary>
    private async Task<(SystemResult, SiloShutdown?)> MeasureOrderlyAsync(int n, LocalCluster cluster, BenchOptions options, DatabaseWorkProbe probe, string runId, int round,
        bool timeShutdown, BearerTokens tokens, CancellationToken cancellationToken)
    {
        var limit = options.SiloCpuLimitMillis is { } m ? $", each silo limited to {m}m of CPU" : "";
        return await WithProcessesAsync(cluster, () => cluster.UpAsync(OrderlySpec(n, options), cancellationToken), async () =>
        {
            var silos = Enumerable.Range(0, n).Select(ClusterLayout.SiloName).ToList();
            var before = SiloThrottling(silos);
            var result = await MeasureAsync(OrderlyName(n), $"{n} gateway(s), {n} silo(s) (graceful profile{limit})", options, probe, runId, round, tokens, cluster, cancellationToken);
            if (options.SiloCpuLimitMillis is not null && before is not null && SiloThrottling(silos) is { } after)
            {
                var throttling = after - before;
                result = result with { SiloCpuLimitMillis = options.SiloCpuLimitMillis, SiloThrottling = throttling };
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"    silos' CPU{limit}: throttled in {throttling.Throttled:N0} of {throttling.Periods:N0} 100-ms periods, {throttling.ThrottledSeconds:0.###} s waited"));
            }
            var shutdown = timeShutdown ? await TimeSiloShutdownAsync(cluster, options, runId, survivor: n > 1 ? 1 : null, tokens, cancellationToken) : null;
            return (result, shutdown);
        });
    }

    private async Task<T> WithProcessesAsync<T>(LocalCluster cluster, Func<Task> start, Func<Task<T>> measure)
    {
        try
        {
            await start();
            _started = Stopwatch.GetTimestamp();
            return await measure();
        }
        finally
        {
            await cluster.DownAsync();
        }
    }

    /// <summary>The operations, one after another, against whatever listens behind HAProxy.</summary>
    /// <param name="tokens">Where Orderly's callers get their tokens; null for a system that takes none.</param>
    /// <param name="round">1 measures everything; a later round (<see cref="BenchOptions.Rounds"/>) warms up and runs only the CPU runs.</param>
    private async Task<SystemResult> MeasureAsync(string name, string description, BenchOptions options, DatabaseWorkProbe probe, string runId, int round,
        BearerTokens? tokens, LocalCluster cluster, CancellationToken cancellationToken)
    {
        using var http = Client(options.Concurrency);
        var prefix = round == 1 ? $"bench-{runId}-{name}" : $"bench-{runId}-{name}-r{round}";
        // Each caller w places as customer prefix-w and updates its own order as prefix-own-w; the
        // hot order is prefix-own-0's, and the day's list is staff's. One token each, fetched up front.
        var creators = await HeadersAsync(tokens, Enumerable.Range(0, options.Concurrency).Select(w => $"{prefix}-{w}"), cancellationToken);
        var owners = await HeadersAsync(tokens, Enumerable.Range(0, options.Concurrency).Select(w => $"{prefix}-own-{w}"), cancellationToken);
        var staff = tokens is null ? null : await tokens.HeaderAsync(null, cancellationToken);
        // One open order per caller to update, and one hot order everybody reads.
        var own = new string[options.Concurrency];
        for (var w = 0; w < own.Length; w++)
            own[w] = await PlaceAsync(http, $"{prefix}-own-{w}", owners[w], cancellationToken);
        var hot = own[0];
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

        var plan = new (string Operation, Func<int, long, HttpRequestMessage> Request)[]
        {
            (Operations.Create, (w, _) => As(creators[w], Json(HttpMethod.Post, "/orders", OrderBody.Replace("{0}", $"{prefix}-{w}", StringComparison.Ordinal)))),
            (Operations.ReadHot, (_, _) => As(owners[0], new HttpRequestMessage(HttpMethod.Get, $"/orders/{hot}"))),
            (Operations.Update, (w, n) => As(owners[w], Json(HttpMethod.Patch, $"/orders/{own[w]}", $$"""{"deliveryAddress":"{{n % 997 + 1}} High St"}"""))),
            (Operations.DayList, (_, _) => As(staff, new HttpRequestMessage(HttpMethod.Get, $"/orders?date={today}&limit=20"))),
            (Operations.NoOp, (_, _) => new HttpRequestMessage(HttpMethod.Get, "/health/live")),
        };
        // A freshly started .NET process spends its first seconds under load compiling hot methods
        // again (tiered JIT). Every operation runs once unrecorded first, so the first one measured
        // does not pay for everybody's warm-up.
        foreach (var (operation, request) in plan)
            await ClosedLoop.RunAsync(operation, http, options.Concurrency, TimeSpan.FromSeconds(options.WarmupSeconds), TimeSpan.Zero, request, cancellationToken);
        var results = new List<OperationResult>();
        // The samples bracket each whole run, settle time included, and so does the request count;
        // one operation's closing sample opens the next.
        // Later rounds run the same loads so that every process has the same history when the CPU runs
        // start (a younger process still compiles and grows its pools), but measure none of them.
        var before = round == 1 ? await probe.SampleAsync(cancellationToken) : null;
        foreach (var (operation, request) in plan)
        {
            var result = await ClosedLoop.RunAsync(operation, http, options.Concurrency,
                Settle, TimeSpan.FromSeconds(options.SecondsPerOperation), request, cancellationToken);
            if (before is null)
                continue;
            var after = await probe.SampleAsync(cancellationToken);
            result = result with { Database = await probe.WorkAsync(before, after, result.Sent, cancellationToken) };
            before = after;
            output.WriteLine($"    {operation,-15} {result.Throughput,10:N0} req/s   p50 {result.P50Ms,6:0.00} ms   p99 {result.P99Ms,6:0.00} ms   errors {result.Errors}   {Work(result.Database)}");
            results.Add(result);
        }
        if (options.Rate <= 0)
            return new SystemResult(name, description, results);

        // CPU per request at a fixed offered rate, then with no request at all.
        var cpu = await SystemCpu.OfAsync(cluster, options.ConnectionString, cancellationToken);
        var lifecycle = await HeadersAsync(tokens, Enumerable.Range(0, options.Concurrency).Select(w => $"{prefix}-life-{w}"), cancellationToken);
        var atRate = new List<OperationResult>();
        var single = plan.Where(p => p.Operation is Operations.Create or Operations.ReadHot or Operations.Update or Operations.NoOp).ToList();
        foreach (var (operation, request) in single)
            atRate.Add(await AtRateAsync(operation, options, round == 1 ? probe : null, cpu, 1, async (n, ct) =>
            {
                using var message = request((int)(n % options.Concurrency), n);
                using var response = await http.SendAsync(message, ct);
                return (1, response.IsSuccessStatusCode ? 0 : 1);
            }, cancellationToken));
        atRate.Add(await AtRateAsync(Operations.Lifecycle, options, round == 1 ? probe : null, cpu, LifecycleRequests,
            (n, ct) => LifecycleAsync(http, n, $"{prefix}-life-{n % options.Concurrency}", lifecycle[n % options.Concurrency], staff, ct), cancellationToken));

        // Idle starts as long after the last request in every round (the first round's database sample
        // would otherwise give it 11 s more to settle than the others get).
        var quiet = Max(options.IdleAfter - Stopwatch.GetElapsedTime(_loadEnded), options.IdleAge - Stopwatch.GetElapsedTime(_started));
        if (quiet > TimeSpan.Zero)
            await Task.Delay(quiet, cancellationToken);
        var idle = await cpu.OverAsync(TimeSpan.FromSeconds(options.IdleSeconds), cancellationToken);
        var result2 = new SystemResult(name, description, results) { AtRate = atRate, Idle = idle, IdleSeconds = options.IdleSeconds };
        result2 = result2 with { Rounds = [CpuRound.Of(round, result2)] };
        output.WriteLine("    idle: " + string.Join(", ", idle.Select(c => string.Create(CultureInfo.InvariantCulture,
            $"{c.Kind} {result2.IdleCorePercent(c.Kind):0.##}% of a core each ({c.Processes}{(c.JitSeconds > 0 ? $"; the tiered JIT {result2.IdleJitCorePercent(c.Kind):0.##}% of it" : "")})"))));
        return result2;
    }

    /// <summary>A lifecycle sends 8 or 9 requests (one or two address changes): 8.5 on average.</summary>
    private const double LifecycleRequests = 8.5;

    /// <param name="probe">Null in later rounds: the database work is a count, the first round's holds.</param>
    private async Task<OperationResult> AtRateAsync(string operation, BenchOptions options, DatabaseWorkProbe? probe, SystemCpu cpu, double requestsPerUnit,
        Func<long, CancellationToken, Task<(int Requests, int Errors)>> unit, CancellationToken cancellationToken)
    {
        // The single operations' database work is the closed loop's; a lifecycle's is its own (a sample waits 10 s).
        var lifecycle = operation == Operations.Lifecycle;
        var before = lifecycle && probe is not null ? await probe.SampleAsync(cancellationToken) : null;
        var (result, spent) = await cpu.DuringAsync(() => FixedRate.RunAsync(operation, options.Rate / requestsPerUnit, TimeSpan.FromSeconds(options.RateSeconds),
            maxInFlight: 256, unit, cancellationToken), cancellationToken);
        _loadEnded = Stopwatch.GetTimestamp();
        result = result.WithCpu(spent) with { RequestsPerUnit = requestsPerUnit };
        if (before is not null)
            result = result with { Database = await probe!.WorkAsync(before, await probe.SampleAsync(cancellationToken), result.Sent, cancellationToken) };
        output.WriteLine($"    {operation,-15} at {options.Rate:0} req/s: {result.Throughput,6:N0} ok/s   p99 {result.P99Ms,6:0.00} ms   errors {result.Errors}   {Cpu(result)}");
        return result;
    }

    /// <summary>One order, placed by its customer and seen through to delivery by staff; stops at the first failure.</summary>
    private static async Task<(int Requests, int Errors)> LifecycleAsync(HttpClient http, long n, string customer, AuthenticationHeaderValue? owner,
        AuthenticationHeaderValue? staff, CancellationToken cancellationToken)
    {
        var sent = 0;
        async Task<string?> Send(AuthenticationHeaderValue? token, HttpRequestMessage request)
        {
            sent++;
            using (request)
            {
                As(token, request);
                using var response = await http.SendAsync(request, cancellationToken);
                return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync(cancellationToken) : null;
            }
        }
        var placed = await Send(owner, Json(HttpMethod.Post, "/orders", OrderBody.Replace("{0}", customer, StringComparison.Ordinal)));
        if (placed is null)
            return (sent, 1);
        using var doc = System.Text.Json.JsonDocument.Parse(placed);
        var order = $"/orders/{doc.RootElement.GetProperty("id").GetString()}";
        var steps = new List<(AuthenticationHeaderValue?, Func<HttpRequestMessage>)>
        {
            (owner, () => new HttpRequestMessage(HttpMethod.Get, order)),
            (owner, () => Json(HttpMethod.Patch, order, """{"deliveryAddress":"9 Side St"}""")),
        };
        if (n % 2 == 0)
            steps.Add((owner, () => Json(HttpMethod.Patch, order, """{"deliveryAddress":"10 Side St"}""")));
        steps.Add((owner, () => new HttpRequestMessage(HttpMethod.Get, order)));
        foreach (var status in new[] { "packed", "shipped", "delivered" })
            steps.Add((staff, () => Json(HttpMethod.Post, order + "/status", $$"""{"status":"{{status}}"}""")));
        steps.Add((owner, () => new HttpRequestMessage(HttpMethod.Get, order)));
        foreach (var (token, request) in steps)
            if (await Send(token, request()) is null)
                return (sent, 1);
        return (sent, 0);
    }

    private static string OrderlyName(int n) => $"orderly-{n}+{n}";

    private static string Cpu(OperationResult result) => result.Cpu is not { } cpu ? "" :
        string.Create(CultureInfo.InvariantCulture, $"CPU {result.CpuMsPerRequest:0.000} ms per request (")
        + string.Join(", ", cpu.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Kind} {c.Seconds * 1000 / Math.Max(1, result.Sent):0.000}")))
        + (result.WarmCpuMsPerRequest is { } warm && warm < result.CpuMsPerRequest ? string.Create(CultureInfo.InvariantCulture, $"; {warm:0.000} without the tiered JIT)") : ")");

    /// <summary>
    /// Fills silo-0 up to the wanted number of activations (orders it holds in memory), then sends
    /// SIGTERM and times the graceful stop until the process has exited. With a <paramref name="survivor"/>
    /// silo, counts the orders that arrived there warm (its orderly_orders_arrived_warm_total).
    /// </summary>
    private async Task<SiloShutdown> TimeSiloShutdownAsync(LocalCluster cluster, BenchOptions options, string runId, int? survivor,
        BearerTokens tokens, CancellationToken cancellationToken)
    {
        using var http = Client(options.Concurrency);
        var filler = $"bench-{runId}-fill";
        var fillerToken = await tokens.HeaderAsync(filler, cancellationToken);
        var metricsUrl = new Uri(ClusterLayout.SiloManagementUrl(0), "/metrics");
        Uri? survivorMetrics = survivor is { } s ? new Uri(ClusterLayout.SiloManagementUrl(s), "/metrics") : null;
        var activations = await ActivationsAsync(http, metricsUrl, cancellationToken);
        var placed = 0;
        while (activations < options.Activations)
        {
            // With two silos about half of each batch lands on silo-0.
            var batch = (int)Math.Clamp(options.Activations - activations, 200, 1000);
            await Parallel.ForEachAsync(Enumerable.Range(placed, batch), new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency, CancellationToken = cancellationToken },
                async (_, ct) => await PlaceAsync(http, filler, fillerToken, ct));
            placed += batch;
            activations = await ActivationsAsync(http, metricsUrl, cancellationToken);
            output.WriteLine($"    filling silo-0: {activations:N0} / {options.Activations:N0} activations");
        }
        var warmBefore = survivorMetrics is null ? 0 : await CounterAsync(http, survivorMetrics, ArrivedWarmCounter(), cancellationToken);
        var silo = cluster.Started[ClusterLayout.SiloName(0)];
        var clock = Stopwatch.StartNew();
        silo.Signal(UnixSignal.Term);
        var exited = await silo.WaitForExitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        var seconds = Math.Round(clock.Elapsed.TotalSeconds, 2);
        if (exited)
            silo.ForgetPidFile();
        long? warm = survivorMetrics is null ? null : await CounterAsync(http, survivorMetrics, ArrivedWarmCounter(), cancellationToken) - warmBefore;
        output.WriteLine($"    silo-0 with {activations:N0} activations: SIGTERM to exit in {seconds:0.00} s{(exited ? $" (exit {silo.ExitCode})" : ", still running after 60 s")}"
            + (warm is { } w ? $"; {w:N0} arrived warm on silo-{survivor}" : ""));
        return new SiloShutdown(activations, exited ? seconds : -1, exited ? silo.ExitCode : null, warm);
    }

    private static async Task<long> CounterAsync(HttpClient http, Uri metricsUrl, Regex counter, CancellationToken cancellationToken)
    {
        var match = counter.Match(await http.GetStringAsync(metricsUrl, cancellationToken));
        return match.Success ? (long)double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    [GeneratedRegex(@"^orderly_orders_arrived_warm_total(?:\{[^}]*\})?\s+([0-9.eE+]+)", RegexOptions.Multiline)]
    private static partial Regex ArrivedWarmCounter();

    /// <summary>Grain activations the silo reports on /metrics (Orleans' catalog gauge).</summary>
    private static async Task<long> ActivationsAsync(HttpClient http, Uri metricsUrl, CancellationToken cancellationToken)
    {
        var text = await http.GetStringAsync(metricsUrl, cancellationToken);
        var match = ActivationGauge().Match(text);
        if (!match.Success)
            throw new ClusterException($"{metricsUrl} has no activation count (orleans_catalog_activations)");
        return (long)double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"^orleans_catalog_activations\S*(?:\{[^}]*\})?\s+([0-9.eE+]+)", RegexOptions.Multiline)]
    private static partial Regex ActivationGauge();

    private static async Task<string> PlaceAsync(HttpClient http, string customer, AuthenticationHeaderValue? token, CancellationToken cancellationToken)
    {
        using var request = As(token, Json(HttpMethod.Post, "/orders", OrderBody.Replace("{0}", customer, StringComparison.Ordinal)));
        using var response = await http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new ClusterException($"placing a bench order failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        using var doc = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return doc.RootElement.GetProperty("id").GetString()!;
    }

    private static string Work(DatabaseWork? work) => work is null ? "" :
        string.Create(CultureInfo.InvariantCulture, $"WAL {work.WalBytes:N0} B ({work.WalScope})   rows {work.RowsWritten:0.##}   write xacts {work.WriteTransactions?.ToString("0.##", CultureInfo.InvariantCulture) ?? "n/a"}   statements {work.Statements?.ToString("0.##", CultureInfo.InvariantCulture) ?? "n/a"}   scans {work.TableScans:0.##} per request");

    private static HttpRequestMessage As(AuthenticationHeaderValue? token, HttpRequestMessage request)
    {
        request.Headers.Authorization = token;
        return request;
    }

    private static async Task<AuthenticationHeaderValue?[]> HeadersAsync(BearerTokens? tokens, IEnumerable<string> customers, CancellationToken cancellationToken)
    {
        var headers = new List<AuthenticationHeaderValue?>();
        foreach (var customer in customers)
            headers.Add(tokens is null ? null : await tokens.HeaderAsync(customer, cancellationToken));
        return [.. headers];
    }

    private static HttpRequestMessage Json(HttpMethod method, string path, string body) =>
        new(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    private static HttpClient Client(int connections) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = connections,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(50),
        ConnectTimeout = TimeSpan.FromSeconds(5),
    })
    {
        BaseAddress = ClusterLayout.FrontEndUrl,
        Timeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>Indents the nested experiment's output under the bench's step line.</summary>
    private sealed class IndentedWriter(TextWriter inner) : TextWriter
    {
        public override Encoding Encoding => inner.Encoding;
        public override void Write(char value) => inner.Write(value);
        public override void WriteLine(string? value) => inner.WriteLine("    " + value);
    }
}
