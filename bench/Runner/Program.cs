// ./orderly bench: pgbench, the stateless baseline and Orderly side by side, on this machine, in one run.
using System.CommandLine;
using Orderly.Bench.Runner;
using Orderly.Harness.Cluster;
using Orderly.LoadClient.Cli;

var outDir = new Option<string?>("--out") { Description = "results folder (default .orderly/results/bench-<utc-timestamp>)" };
var concurrency = new Option<int>("--concurrency") { Description = "closed-loop callers per system (and pgbench clients)", DefaultValueFactory = _ => 16 }.Within(1, 256);
var seconds = new Option<int>("--seconds") { Description = "measured seconds per operation (after a 3 s warm-up)", DefaultValueFactory = _ => 8 }.Within(1, 300);
var activations = new Option<int>("--activations") { Description = "active orders on the silo whose graceful shutdown is timed (0 skips)", DefaultValueFactory = _ => 10_000 }.Within(0, 1_000_000);
var events = new Option<int>("--events") { Description = "scale-down events for the p99-while-pods-leave measurement (0 skips)", DefaultValueFactory = _ => 2 }.Within(0, 10);
var rate = new Option<double>("--rate") { Description = "requests per second offered at a fixed rate for CPU per request (0 skips)", DefaultValueFactory = _ => 150 };
rate.Validators.Add(r => { if (r.GetValueOrDefault<double>() is < 0 or > 5000) r.AddError("--rate must be from 0 to 5000"); });
var rateSeconds = new Option<int>("--rate-seconds") { Description = "seconds per operation at the fixed rate", DefaultValueFactory = _ => 8 }.Within(1, 300);
var idleSeconds = new Option<int>("--idle-seconds") { Description = "seconds without a request over which idle CPU is measured", DefaultValueFactory = _ => 10 }.Within(1, 300);
var rounds = new Option<int>("--rounds") { Description = "times the CPU runs are played, in alternating order; figures are the median round's, ratios the median of per-round ratios", DefaultValueFactory = _ => 3 }.Within(1, 9);
var strict = new Option<bool>("--strict") { Description = "exit 1 when a target is missed" };
var siloCpuLimit = new Option<int>("--silo-cpu-limit-millis") { Description = "a CPU limit on every Orderly silo in millicores, as kubelet sets one (0: none, as the overlays ship)" }.Within(0, 64_000);
var systems = new Option<string[]>("--systems") { Description = "which to run: pgbench, baseline, orderly-1, orderly-2, orderly-3 (N gateways + N silos; default all)", AllowMultipleArgumentsPerToken = true };
systems.AcceptOnlyFromAmong([.. BenchOptions.AllSystems]);

var bench = new RootCommand("pgbench, the stateless baseline and Orderly (1+1, 2+2, 3+3) side by side: CPU per request at a fixed rate, database work, throughput; bench.json, bench.html")
{
    outDir, concurrency, seconds, activations, events, rate, rateSeconds, idleSeconds, rounds, strict, systems, siloCpuLimit,
};
bench.SetAction(async (parse, ct) => await Cli.RunAsync(async () =>
{
    var layout = ClusterLayout.FromEnvironment();
    var dir = parse.GetValue(outDir) ?? Cli.TimestampedFolder(Path.Combine(layout.State, "results"), "bench-");
    var report = await new BenchRunner(layout, Console.Out).RunAsync(new BenchOptions
    {
        ConnectionString = Cli.ConnectionString(),
        OutDir = Path.GetFullPath(dir),
        Concurrency = parse.GetValue(concurrency),
        SecondsPerOperation = parse.GetValue(seconds),
        Activations = parse.GetValue(activations),
        ScaleDownEvents = parse.GetValue(events),
        Rate = parse.GetValue(rate),
        RateSeconds = parse.GetValue(rateSeconds),
        IdleSeconds = parse.GetValue(idleSeconds),
        Rounds = parse.GetValue(rounds),
        SiloCpuLimitMillis = parse.GetValue(siloCpuLimit) is > 0 and var m ? m : null,
        Systems = parse.GetValue(systems) is { Length: > 0 } chosen ? chosen.ToHashSet() : BenchOptions.AllSystems,
    }, ct);
    var missed = report.Targets.Where(t => !t.Met).Select(t => t.Name).ToList();
    if (missed.Count > 0 && parse.GetValue(strict))
        throw new UsageException($"{missed.Count} target(s) missed: {string.Join("; ", missed)}");
}));
return await bench.Parse(args).InvokeAsync();
