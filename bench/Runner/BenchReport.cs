using System.Globalization;
using System.Text;
using System.Text.Json;
using Orderly.Harness.Emulation;
using Orderly.Harness.Experiment;
using Orderly.LoadClient.Reporting;
using Orderly.LoadClient.Verify;

namespace Orderly.Bench.Runner;

public static class Operations
{
    public const string Create = "create";
    public const string ReadHot = "read hot order";
    public const string Update = "update";
    public const string DayList = "day list";
    /// <summary>
    /// GET /health/live: a request no system does any work for. Its rate is the most any operation
    /// can reach through this load client, HAProxy and Kestrel on this machine — the ceiling the
    /// others are read against.
    /// </summary>
    public const string NoOp = "no-op (ceiling)";

    /// <summary>
    /// One order as orders live: placed, read, its address changed once or twice, read, packed,
    /// shipped and delivered by staff, read again by its customer — 8 or 9 requests.
    /// </summary>
    public const string Lifecycle = "order lifecycle";

    public static readonly string[] All = [Create, ReadHot, Update, DayList, NoOp];

    /// <summary>What runs again at the fixed rate for CPU per request.</summary>
    public static readonly string[] AtRate = [Create, ReadHot, Update, NoOp, Lifecycle];
}

/// <summary>One system under load: the baseline, or Orderly with N silos.</summary>
public sealed record SystemResult(string Name, string Description, IReadOnlyList<OperationResult> Operations)
{
    /// <summary>The operations again at a fixed offered rate below saturation, with the CPU they cost.</summary>
    public IReadOnlyList<OperationResult> AtRate { get; init; } = [];

    /// <summary>CPU spent with no request at all, by kind, over <see cref="IdleSeconds"/>.</summary>
    public IReadOnlyList<ProcessCpu> Idle { get; init; } = [];

    public double IdleSeconds { get; init; }

    /// <summary>The CPU limit every silo ran under (millicores); null: none, as the overlays ship.</summary>
    public int? SiloCpuLimitMillis { get; init; }

    /// <summary>What CFS counted for the silos over the measurement: periods, periods throttled, time waited.</summary>
    public Orderly.Harness.Cluster.CpuThrottling? SiloThrottling { get; init; }

    /// <summary>Every round's CPU figures (<see cref="BenchOptions.Rounds"/>); one entry for a bench of one round.</summary>
    public IReadOnlyList<CpuRound> Rounds { get; init; } = [];

    /// <summary>Percent of one core one process of <paramref name="kind"/> burnt while idle, on average; null when not measured.</summary>
    public double? IdleCorePercent(string kind) => IdlePercent(kind, c => c.Seconds);

    /// <summary>Of <see cref="IdleCorePercent"/>, what the tiered JIT spent still compiling (<see cref="TieredJitCpu"/>).</summary>
    public double? IdleJitCorePercent(string kind) => IdlePercent(kind, c => c.JitSeconds);

    /// <summary>
    /// <see cref="IdleCorePercent"/> without the tiered JIT: what the process does every second once it has
    /// compiled what its timers run, as a silo that has run for hours does.
    /// </summary>
    public double? IdleWarmCorePercent(string kind) => IdlePercent(kind, c => c.Seconds - c.JitSeconds);

    private double? IdlePercent(string kind, Func<ProcessCpu, double> seconds) =>
        Idle.FirstOrDefault(c => c.Kind == kind) is { Processes: > 0 } c && IdleSeconds > 0 ? Math.Round(100 * seconds(c) / c.Processes / IdleSeconds, 2) : null;

    public OperationResult? AtRateOf(string operation) => AtRate.FirstOrDefault(o => o.Operation == operation);

    public OperationResult? this[string operation] => Operations.FirstOrDefault(o => o.Operation == operation);
}

/// <summary>Orderly's throughput divided by the baseline's (and, for create, by pgbench's insert rate).</summary>
public sealed record Ratio(string System, string Operation, double VsBaseline, double? VsPgbench);

/// <summary>
/// A silo holding many active orders, told to stop (SIGTERM): how long until the process had exited,
/// and — when another silo stayed — how many orders arrived there warm (handed over with their state,
/// so their next call reads nothing from storage).
/// </summary>
public sealed record SiloShutdown(long Activations, double Seconds, int? ExitCode, long? ArrivedWarm = null)
{
    /// <summary>Share of the stopped silo's activations that arrived warm; null without a silo to take them.</summary>
    public double? WarmShare => ArrivedWarm is { } warm && Activations > 0 ? (double)warm / Activations : null;
}

public sealed record Target(string Name, string Goal, string Measured, bool Met)
{
    /// <summary>
    /// False when the same run measured a floor above the goal: the least the figure could be while the
    /// parts it is counted over stay (a request through HAProxy and the gateway that does no work at all,
    /// plus what Postgres must do), so no change inside Orderly's code reaches the goal. Null when the bench
    /// bounds nothing for this target.
    /// </summary>
    public bool? Reachable { get; init; }

    /// <summary>The verdict a table prints: met, missed, or missed with the goal below the measured floor.</summary>
    public string Verdict => Met ? "met" : Reachable == false ? "missed (goal below the floor)" : "missed";
}

public sealed record BenchSettings(int Concurrency, int WarmupSeconds, int SecondsPerOperation, int Activations, int ScaleDownEvents)
{
    /// <summary>Requests per second offered in the CPU runs; 0 when they were skipped.</summary>
    public double Rate { get; init; }

    public int RateSeconds { get; init; }

    public int IdleSeconds { get; init; }

    /// <summary>How many times the CPU runs were played (<see cref="BenchOptions.Rounds"/>).</summary>
    public int Rounds { get; init; } = 1;
}

public sealed record Machine(int Cores, string Os, string Runtime);

/// <summary>DIR/bench.json.</summary>
public sealed record BenchReport(
    DateTimeOffset At,
    Machine Machine,
    BenchSettings Settings,
    OperationResult? Pgbench,
    IReadOnlyList<SystemResult> Systems,
    IReadOnlyList<Ratio> Ratios,
    SiloShutdown? SiloShutdown,
    ScaleDownLatency? ScaleDown,
    IReadOnlyList<Target> Targets)
{
    public const string Baseline = "baseline";

    public Ratio? RatioOf(string system, string operation) =>
        Ratios.FirstOrDefault(r => r.System == system && r.Operation == operation);

    public static IReadOnlyList<Ratio> RatiosOf(OperationResult? pgbench, IReadOnlyList<SystemResult> systems)
    {
        if (systems.SingleOrDefault(s => s.Name == Baseline) is not { } baseline)
            return [];
        return
        [
            .. from s in systems
               where s.Name != Baseline
               from o in s.Operations
               let b = baseline[o.Operation]
               select new Ratio(s.Name, o.Operation, Divide(o.Throughput, b?.Throughput ?? 0),
                   o.Operation == Operations.Create && pgbench is not null ? Divide(o.Throughput, pgbench.Throughput) : null),
        ];
    }

    /// <summary>
    /// The most a read could gain over the baseline's on this machine: the baseline's no-op rate over
    /// its hot-read rate. Null without both figures.
    /// </summary>
    public static double? ReadCeilingOf(IReadOnlyList<SystemResult> systems) =>
        systems.SingleOrDefault(s => s.Name == Baseline) is { } b && b[Operations.NoOp] is { } noOp && b[Operations.ReadHot] is { Throughput: > 0 } read
            ? noOp.Throughput / read.Throughput
            : null;

    /// <summary>The issue's targets for this 2-core machine, each with what was measured.</summary>
    /// <param name="readCeiling">From <see cref="ReadCeilingOf"/>: shown beside the hot-read ratio so a reader sees what was reachable.</param>
    public static IReadOnlyList<Target> TargetsOf(IReadOnlyList<Ratio> ratios, SiloShutdown? shutdown, ScaleDownLatency? scaleDown, int activationsWanted, double? readCeiling = null)
    {
        var targets = new List<Target>();
        foreach (var system in ratios.Select(r => r.System).Distinct())
        {
            var create = ratios.Single(r => r.System == system && r.Operation == Operations.Create);
            var read = ratios.Single(r => r.System == system && r.Operation == Operations.ReadHot);
            targets.Add(new($"create vs baseline ({system})", "≥ 1.0×", $"{create.VsBaseline:0.00}×", create.VsBaseline >= 1.0));
            if (create.VsPgbench is { } vsPgbench)
                targets.Add(new($"create vs pgbench insert ({system})", "≥ 0.6×", $"{vsPgbench:0.00}×", vsPgbench >= 0.6));
            var ceiling = readCeiling is { } c ? $" (no-op ceiling {c:0.00}×)" : "";
            targets.Add(new($"hot-order read vs baseline ({system})", "≥ 3×", $"{read.VsBaseline:0.00}×{ceiling}", read.VsBaseline >= 3.0));
        }
        if (scaleDown is not null)
            targets.Add(new("p99 in scale-down windows vs steady p99", "≤ 2×",
                $"{scaleDown.Ratio:0.00}× ({scaleDown.WindowP99:0.#} / {scaleDown.SteadyP99:0.#} ms)", scaleDown.Ratio is > 0 and <= 2.0));
        if (shutdown is { WarmShare: { } warmShare })
            targets.Add(new($"graceful silo shutdown with {activationsWanted:N0} active orders, handed over warm", "≥ 95%, ≤ 10 s",
                string.Create(CultureInfo.InvariantCulture, $"{warmShare * 100:0.0}% warm ({shutdown.ArrivedWarm:N0} of {shutdown.Activations:N0}), {shutdown.Seconds:0.00} s"),
                warmShare >= 0.95 && shutdown.Seconds is >= 0 and <= 10 && shutdown.Activations >= activationsWanted && shutdown.ExitCode == 0));
        else if (shutdown is not null)
            targets.Add(new($"graceful silo shutdown with {activationsWanted:N0} active orders", "≤ 5 s",
                $"{shutdown.Seconds:0.00} s ({shutdown.Activations:N0} activations)", shutdown.Seconds <= 5 && shutdown.Activations >= activationsWanted && shutdown.ExitCode == 0));
        return targets;
    }

    /// <summary>
    /// Targets on the database work per request (the headline: it does not depend on how busy the
    /// machine is): create, update and a whole order lifecycle write no more WAL than 1.2× the
    /// baseline, in one statement (or, without pg_stat_statements, one row in one write transaction);
    /// a hot read does no database work. WAL is compared without full-page images where both sides
    /// have them counted apart: those fall on whichever requests first touch a page after a
    /// checkpoint, so they measure the checkpoint's timing, not the request.
    /// </summary>
    public static IReadOnlyList<Target> DatabaseTargetsOf(IReadOnlyList<SystemResult> systems)
    {
        var baseline = systems.SingleOrDefault(s => s.Name == Baseline);
        var targets = new List<Target>();
        static DatabaseWork? Lifecycle(SystemResult? s) => s?.AtRateOf(Operations.Lifecycle)?.Database;
        void Wal(string operation, string system, DatabaseWork work, DatabaseWork? b)
        {
            if (b is not { WalBytes: > 0 } || work.WalScope != b.WalScope)
                return;
            var apart = work.PageImageBytes is not null && b.PageImageBytes is not null;
            var (mine, theirs) = apart ? (work.RecordBytes, b.RecordBytes) : (work.WalBytes, b.WalBytes);
            if (theirs <= 0)
                return;
            var ratio = Math.Round(mine / theirs, 2);
            targets.Add(new($"{operation} WAL per request vs baseline ({system})", "≤ 1.2×",
                string.Create(CultureInfo.InvariantCulture, $"{ratio:0.00}× ({mine:N0} / {theirs:N0} B{(apart ? ", page images apart" : "")})"), ratio <= 1.2));
        }
        foreach (var system in systems.Where(s => s.Name != Baseline))
        {
            foreach (var operation in new[] { Operations.Create, Operations.Update })
            {
                if (system[operation]?.Database is not { } work)
                    continue;
                Wal(operation, system.Name, work, baseline?[operation]?.Database);
                targets.Add(work.Statements is { } statements
                    ? new($"{operation}: statements per request ({system.Name})", "1", Figure(statements), statements <= 1.0)
                    : new($"{operation}: rows and write transactions per request ({system.Name})", "1 / 1",
                        $"{Figure(work.RowsWritten)} / {Figure(work.WriteTransactions)} (statements n/a)",
                        work.RowsWritten <= 1.0 && work.WriteTransactions is <= 1.0));
            }
            if (Lifecycle(system) is { } life)
                Wal(Operations.Lifecycle, system.Name, life, Lifecycle(baseline));
            if (system[Operations.ReadHot]?.Database is { } read)
            {
                targets.Add(read.Statements is { } statements
                    ? new($"hot read: statements per request ({system.Name})", "0", Figure(statements), statements == 0)
                    : new($"hot read: table scans and rows written per request ({system.Name})", "0 / 0",
                        $"{Figure(read.TableScans)} / {Figure(read.RowsWritten)} (statements n/a)", read.TableScans == 0 && read.RowsWritten == 0));
            }
        }
        return targets;
    }

    private static string Figure(double? value) => value?.ToString("0.##", CultureInfo.InvariantCulture) ?? "n/a";

    /// <summary>
    /// Targets on CPU per request at the fixed rate (issue 26): an idle silo burns at most 1% of a core;
    /// a create at 2 + 2 costs at most 1.3× one at 1 + 1; at 1 + 1 a create costs no more than the
    /// baseline's, and a hot read at most 0.3× the baseline's read.
    /// </summary>
    public static IReadOnlyList<Target> CpuTargetsOf(IReadOnlyList<SystemResult> systems)
    {
        var targets = new List<Target>();
        var inv = CultureInfo.InvariantCulture;
        SystemResult? Of(string name) => systems.FirstOrDefault(s => s.Name == name);
        double? Cpu(string system, string operation) => Of(system)?.AtRateOf(operation)?.CpuMsPerRequest;
        double? WarmCpu(string system, string operation) => Of(system)?.AtRateOf(operation)?.WarmCpuMsPerRequest;
        foreach (var system in systems.Where(s => s.Name != Baseline && s.IdleCorePercent("silo") is not null))
        {
            // Judged without the tiered JIT, which a silo minutes old still runs and one hours old does not;
            // the whole figure is shown beside it when the JIT took any of it.
            var all = BenchRounds.Idle(system, "silo")!;
            var warm = BenchRounds.Idle(system, "silo", warm: true) ?? all;
            targets.Add(new($"idle silo, share of one core ({system.Name})", "≤ 1%", RoundSpread.DescribeBoth(warm, all, "0.##", "%"), warm.Median <= 1.0));
        }
        // Each ratio is read round by round (the systems of one round ran minutes apart) and its median judged,
        // without the tiered JIT as the idle silo is: the JIT's compiling is what a young process pays once.
        void Ratio(string name, string goal, string system, string versus, string operation, double limit, bool withFloor = false)
        {
            if (Of(system) is not { } a || Of(versus) is not { } b || BenchRounds.CpuRatio(a, b, operation) is not { } all)
                return;
            var warm = BenchRounds.CpuRatio(a, b, operation, warm: true) ?? all;
            var isWarm = warm != all;
            Func<string, string, double?> judged = isWarm ? WarmCpu : Cpu;
            if (judged(system, operation) is not { } mine || judged(versus, operation) is not { } theirs)
                return;
            var figures = string.Create(inv, $"{mine:0.000} / {theirs:0.000} ms{(isWarm ? " without it" : "")}{(all.Rounds > 1 ? " in their median rounds" : "")}");
            var floor = withFloor && theirs > 0 ? FloorOf(a, b, operation, isWarm) : null;
            var floorRatio = floor?.Ms / theirs;
            var floorText = floor is { } f ? string.Create(inv, $"; floor {floorRatio:0.00}× ({f.What})") : "";
            targets.Add(new(name, goal, $"{RoundSpread.DescribeBoth(warm, all, "0.00", "×")} ({figures}){floorText}", warm.Median <= limit)
            {
                Reachable = floorRatio is { } r ? r <= limit : null,
            });
        }
        Ratio("CPU per create, 2 + 2 vs 1 + 1", "≤ 1.3×", "orderly-2+2", "orderly-1+1", Operations.Create, 1.3);
        Ratio("CPU per create vs baseline (orderly-1+1)", "≤ 1.0×", "orderly-1+1", Baseline, Operations.Create, 1.0, withFloor: true);
        Ratio("CPU per hot read vs baseline (orderly-1+1)", "≤ 0.3×", "orderly-1+1", Baseline, Operations.ReadHot, 0.3, withFloor: true);
        return targets;
    }

    /// <summary>
    /// The least a request of <paramref name="operation"/> can cost <paramref name="system"/> while its parts
    /// stay: its no-op (a request through HAProxy and the gateway that does no work, with every process's
    /// background share) plus, for an operation that writes, the least Postgres spent on that request's row
    /// (<paramref name="system"/>'s share or <paramref name="versus"/>'s, whichever is lower: the baseline
    /// writes the same row with one plain statement). What the gateway and the silos do for the request on top
    /// of that is what a change in Orderly could remove; this is not. Read from the median rounds' runs,
    /// without the tiered JIT when <paramref name="warm"/>; null when the no-op was not measured.
    /// </summary>
    public static (double Ms, string What)? FloorOf(SystemResult system, SystemResult? versus, string operation, bool warm)
    {
        var inv = CultureInfo.InvariantCulture;
        if (system.AtRateOf(Operations.NoOp) is not { } noOp || (warm ? noOp.WarmCpuMsPerRequest : noOp.CpuMsPerRequest) is not { } idle)
            return null;
        if (operation == Operations.ReadHot)
            return (idle, string.Create(inv, $"the no-op through HAProxy and the gateway, {idle:0.000} ms"));
        static double? Database(SystemResult? s, string operation) =>
            s?.AtRateOf(operation)?.CpuMsOf("postgres") is { } ms ? Math.Round(ms, 3) : null;
        if (Database(system, operation) is not { } own)
            return null;
        var (database, whose) = Database(versus, operation) is { } theirs && theirs < own
            ? (theirs, $"the {versus!.Name}'s Postgres share of a {operation}, {theirs.ToString("0.000", inv)} ms, lower than its own")
            : (own, $"its own Postgres share of a {operation}, {own.ToString("0.000", inv)} ms");
        return (idle + database, string.Create(inv, $"the no-op, {idle:0.000} ms, plus {whose}"));
    }

    private static readonly string[] CpuColumns = ["system", "operation", ">CPU ms/req", ">without JIT", ">× baseline"];

    /// <summary>The CPU table: every system's operations at the fixed rate, CPU per request in total and by kind of process.</summary>
    public string CpuTable()
    {
        var inv = CultureInfo.InvariantCulture;
        var kinds = Systems.SelectMany(s => s.AtRate).Concat(Pgbench is null ? [] : [Pgbench]).SelectMany(o => o.Cpu ?? []).Select(c => c.Kind).Distinct().Order(StringComparer.Ordinal).ToList();
        var table = new TextTable([.. CpuColumns, .. kinds.Select(k => ">" + k), ">ok/s", ">p99 ms", ">errors"]);
        void Row(string system, OperationResult o)
        {
            var b = Systems.FirstOrDefault(s => s.Name == Baseline)?.AtRateOf(o.Operation)?.CpuMsPerRequest;
            var perKind = kinds.Select(k => o.CpuMsOf(k)?.ToString("0.000", inv) ?? "");
            table.Add([system, o.Operation, o.CpuMsPerRequest?.ToString("0.000", inv) ?? "n/a", o.WarmCpuMsPerRequest?.ToString("0.000", inv) ?? "",
                b is > 0 && o.CpuMsPerRequest is { } c && system != Baseline ? (c / b.Value).ToString("0.00", inv) + "×" : "",
                .. perKind, o.Throughput.ToString("N0", inv), o.P99Ms.ToString("0.00", inv), o.Errors.ToString(inv)]);
        }
        if (Pgbench is { Cpu: not null } pg)
            Row("pgbench", pg with { Operation = "insert" });
        foreach (var s in Systems)
            foreach (var o in s.AtRate)
                Row(s.Name, o);
        var idle = new TextTable("system", "process", ">count", ">idle % of a core each", ">of it, the tiered JIT");
        foreach (var s in Systems)
            foreach (var c in s.Idle)
                idle.Add(s.Name, c.Kind, c.Processes.ToString(inv), s.IdleCorePercent(c.Kind)?.ToString("0.##", inv) ?? "", s.IdleJitCorePercent(c.Kind)?.ToString("0.##", inv) ?? "");
        var head = $"CPU per request at a fixed offered rate ({Settings.Rate:0} req/s, {Settings.RateSeconds} s each; ms of CPU summed over every process of the system = CPU-s per 1,000 requests)";
        return Settings.Rounds <= 1
            ? $"{head}:\n{table}\nIdle ({Settings.IdleSeconds} s without a request, after the load):\n{idle}"
            : $"{head}, each row its median round's run:\n{table}\nIdle ({Settings.IdleSeconds} s without a request, after the load), the median round's:\n{idle}\nEvery round (played in alternating order; the targets' ratios are the medians of per-round ratios):\n{RoundsTable()}";
    }

    /// <summary>CPU ms per request of each system's operations, and its idle silo, round by round.</summary>
    public string RoundsTable()
    {
        var inv = CultureInfo.InvariantCulture;
        var rounds = Enumerable.Range(1, Settings.Rounds).ToList();
        var table = new TextTable(["system", "figure", .. rounds.Select(r => $">round {r}")]);
        foreach (var s in Systems)
        {
            string Cell(int round, Func<CpuRound, double?> figure) =>
                s.Rounds.FirstOrDefault(r => r.Round == round) is { } r && figure(r) is { } v ? v.ToString("0.000", inv) : "";
            foreach (var o in s.AtRate)
            {
                table.Add([s.Name, o.Operation + ", CPU ms", .. rounds.Select(r => Cell(r, x => x.CpuMsOf(o.Operation)))]);
                table.Add([s.Name, o.Operation + ", without the JIT", .. rounds.Select(r => Cell(r, x => x.CpuMsOf(o.Operation, warm: true)))]);
            }
            var kind = s.Name == Baseline ? Baseline : "silo";
            table.Add([s.Name, $"idle {kind}, % of a core", .. rounds.Select(r => Cell(r, x => x.IdleCorePercent.TryGetValue(kind, out var v) ? v : null))]);
            table.Add([s.Name, $"idle {kind} without the tiered JIT", .. rounds.Select(r => Cell(r, x => x.IdleWarmCorePercent.TryGetValue(kind, out var v) ? v : null))]);
        }
        return table.ToString();
    }

    public string Table()
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine("Database work per request (Postgres' own count), then throughput and latency:");
        var figures = new TextTable("system", "operation", ">WAL B", ">page img B", ">HOT", ">stmts", ">wr xacts", ">rows", ">scans",
            ">req/s", ">p50 ms", ">p99 ms", ">errors", ">×baseline", ">×pgbench");
        void Row(string system, string operation, OperationResult o, Ratio? r)
        {
            var w = o.Database;
            var wal = w is null ? "" : w.WalScope == "schema" ? w.WalBytes.ToString("N0", inv) : w.WalBytes.ToString("N0", inv) + "*";
            figures.Add(system, operation, wal, w?.PageImageBytes?.ToString("N0", inv) ?? "", w?.HotUpdateShare?.ToString("P0", inv) ?? "", Figure(w?.Statements), Figure(w?.WriteTransactions), Figure(w?.RowsWritten), Figure(w?.TableScans),
                o.Throughput.ToString("N0", inv), o.P50Ms.ToString("0.00", inv), o.P99Ms.ToString("0.00", inv), o.Errors.ToString(inv),
                r is null ? "" : r.VsBaseline.ToString("0.00", inv) + "×", r?.VsPgbench is { } p ? p.ToString("0.00", inv) + "×" : "");
        }
        if (Pgbench is { } pg)
            Row("pgbench", "insert", pg, null);
        foreach (var s in Systems)
        {
            foreach (var o in s.Operations)
                Row(s.Name, o.Operation, o, RatioOf(s.Name, o.Operation));
            // The lifecycle runs only at the fixed rate; its database work is per request of it.
            foreach (var o in s.AtRate.Where(o => o.Database is not null))
                Row(s.Name, o.Operation + " (at rate)", o, null);
        }
        text.Append(figures);
        if (Systems.Any(x => x.AtRate.Count > 0))
            text.AppendLine().Append(CpuTable());
        if (Systems.Concat(Pgbench is null ? [] : [new SystemResult("pgbench", "", [Pgbench])]).SelectMany(s => s.Operations).Any(o => o.Database?.WalScope == "cluster"))
            text.AppendLine("* WAL of the whole server (pg_walinspect unavailable): other databases' writes count too.");
        text.AppendLine();
        var targets = new TextTable("target", "goal", "measured", "");
        foreach (var t in Targets)
            targets.Add(t.Name, t.Goal, t.Measured, t.Verdict.Replace("missed", "MISSED", StringComparison.Ordinal));
        return text.Append(targets).ToString();
    }

    public async Task WriteAsync(string dir)
    {
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "bench.json"), JsonSerializer.Serialize(this, Results.Json));
        await File.WriteAllTextAsync(Path.Combine(dir, "bench.html"), BenchPage.Render(this));
    }

    public static async Task<BenchReport> ReadAsync(string dir) =>
        JsonSerializer.Deserialize<BenchReport>(await File.ReadAllTextAsync(Path.Combine(dir, "bench.json")), Results.Json)
            ?? throw new InvalidDataException($"{dir}/bench.json is empty");

    private static double Divide(double a, double b) => b <= 0 ? 0 : Math.Round(a / b, 2);
}
