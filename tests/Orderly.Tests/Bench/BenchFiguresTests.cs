using Orderly.Bench.Runner;
using Orderly.Harness.Emulation;
using Orderly.Harness.Experiment;
using Orderly.LoadClient.Reporting;
using Orderly.LoadClient.Verify;

namespace Orderly.Tests.Bench;

/// <summary>The arithmetic behind the bench's verdicts, on figures chosen to sit at the boundaries.</summary>
public sealed class BenchFiguresTests
{
    private static OperationResult Op(string operation, double throughput) => new(operation, (long)throughput * 10, 0, 10, throughput, 1, 2);

    private static SystemResult System(string name, double create, double read) =>
        new(name, name, [Op(Operations.Create, create), Op(Operations.ReadHot, read), Op(Operations.Update, 100), Op(Operations.DayList, 100)]);

    [Fact]
    public void Targets_are_met_exactly_at_their_thresholds_and_missed_just_below()
    {
        var pgbench = Op("insert", 1000);
        var systems = new[] { System("baseline", 500, 1000), System("orderly-1-silo", 600, 3000), System("orderly-2-silos", 590, 2990) };
        var ratios = BenchReport.RatiosOf(pgbench, systems);
        var targets = BenchReport.TargetsOf(ratios, new SiloShutdown(10_000, 5.0, 0), new ScaleDownLatency(10, 20), 10_000);

        bool Met(string name) => targets.Single(t => t.Name == name).Met;
        Assert.True(Met("create vs baseline (orderly-1-silo)"));       // 1.2×
        Assert.True(Met("create vs pgbench insert (orderly-1-silo)")); // 0.6×
        Assert.True(Met("hot-order read vs baseline (orderly-1-silo)")); // 3.0×
        Assert.False(Met("create vs pgbench insert (orderly-2-silos)")); // 0.59×
        Assert.False(Met("hot-order read vs baseline (orderly-2-silos)")); // 2.99×
        Assert.True(Met("p99 in scale-down windows vs steady p99")); // 2.0×
        Assert.True(Met("graceful silo shutdown with 10,000 active orders"));
    }

    [Fact]
    public void The_hot_read_target_shows_the_ceiling_the_baseline_no_op_sets()
    {
        var baseline = new SystemResult("baseline", "b", [Op(Operations.ReadHot, 1000), Op(Operations.NoOp, 1940)]);
        var orderly = new SystemResult("orderly-1-silo", "o", [Op(Operations.Create, 10), Op(Operations.ReadHot, 1060), Op(Operations.NoOp, 1900)]);
        var systems = new[] { baseline, orderly };
        Assert.Equal(1.94, BenchReport.ReadCeilingOf(systems)!.Value, 6);
        Assert.Null(BenchReport.ReadCeilingOf([orderly]));

        var targets = BenchReport.TargetsOf(BenchReport.RatiosOf(null, systems), null, null, 10_000, BenchReport.ReadCeilingOf(systems));
        var read = targets.Single(t => t.Name == "hot-order read vs baseline (orderly-1-silo)");
        Assert.Equal("1.06× (no-op ceiling 1.94×)", read.Measured);
        Assert.False(read.Met);
    }

    [Fact]
    public void A_slow_or_unclean_silo_stop_or_a_p99_spike_misses_its_target()
    {
        var none = Array.Empty<Ratio>();
        Assert.False(BenchReport.TargetsOf(none, new SiloShutdown(10_000, 5.01, 0), null, 10_000).Single().Met);
        Assert.False(BenchReport.TargetsOf(none, new SiloShutdown(10_000, 1, 137), null, 10_000).Single().Met);
        Assert.False(BenchReport.TargetsOf(none, new SiloShutdown(9_999, 1, 0), null, 10_000).Single().Met);
        Assert.False(BenchReport.TargetsOf(none, null, new ScaleDownLatency(10, 20.5), 10_000).Single().Met);
        Assert.Equal(0, new ScaleDownLatency(0, 20).Ratio);
    }

    [Fact]
    public void Database_targets_read_wal_against_the_baseline_and_fall_back_to_rows_and_transactions_without_statement_counts()
    {
        static OperationResult Work(string operation, double wal, double? statements, double rows, double scans = 0) =>
            Op(operation, 100) with { Database = new DatabaseWork(wal, "schema", rows == 0 ? 0 : 1, rows, scans, statements) };
        var baseline = new SystemResult("baseline", "b", [Work(Operations.Create, 1000, 1, 1), Work(Operations.Update, 800, 1, 1)]);
        var counted = new SystemResult("orderly-1-silo", "o", [Work(Operations.Create, 1200, 1, 1), Work(Operations.Update, 970, 2, 1), Work(Operations.ReadHot, 0, 0, 0)]);
        var uncounted = new SystemResult("orderly-2-silos", "o", [Work(Operations.Create, 1100, null, 2), Work(Operations.ReadHot, 0, null, 0, scans: 0.5)]);
        var targets = BenchReport.DatabaseTargetsOf([baseline, counted, uncounted]);

        bool Met(string name) => targets.Single(t => t.Name == name).Met;
        Assert.True(Met("create WAL per request vs baseline (orderly-1-silo)"));    // 1.20×
        Assert.False(Met("update WAL per request vs baseline (orderly-1-silo)"));   // 1.21×
        Assert.True(Met("create: statements per request (orderly-1-silo)"));
        Assert.False(Met("update: statements per request (orderly-1-silo)"));
        Assert.True(Met("hot read: statements per request (orderly-1-silo)"));
        Assert.False(Met("create: rows and write transactions per request (orderly-2-silos)"));
        Assert.Equal("2 / 1 (statements n/a)", targets.Single(t => t.Name == "create: rows and write transactions per request (orderly-2-silos)").Measured);
        Assert.False(Met("hot read: table scans and rows written per request (orderly-2-silos)"));
    }

    [Fact]
    public void Wal_targets_leave_full_page_images_out_and_judge_the_whole_lifecycle_too()
    {
        static OperationResult Work(string operation, double wal, double? pageImages) =>
            Op(operation, 100) with { Database = new DatabaseWork(wal, "schema", 1, 1, 0, 1, pageImages) };
        // The update's WAL is 1.5× the baseline's with page images, 1.2× without: only the second counts.
        var baseline = new SystemResult("baseline", "b", [Work(Operations.Update, 500, 0)]) { AtRate = [Work(Operations.Lifecycle, 300, 0)] };
        var orderly = new SystemResult("orderly-1+1", "o", [Work(Operations.Update, 750, 150)]) { AtRate = [Work(Operations.Lifecycle, 400, 36)] };
        var targets = BenchReport.DatabaseTargetsOf([baseline, orderly]);

        var update = targets.Single(t => t.Name == "update WAL per request vs baseline (orderly-1+1)");
        Assert.True(update.Met);
        Assert.Equal("1.20× (600 / 500 B, page images apart)", update.Measured);
        var lifecycle = targets.Single(t => t.Name == "order lifecycle WAL per request vs baseline (orderly-1+1)");
        Assert.False(lifecycle.Met); // 364 / 300 = 1.21×
        Assert.Equal(364, orderly.AtRateOf(Operations.Lifecycle)!.Database!.RecordBytes);

        // Where one side has no page-image count, both are compared whole.
        var old = new SystemResult("baseline", "b", [Work(Operations.Update, 500, null)]);
        Assert.Equal("1.50× (750 / 500 B)", BenchReport.DatabaseTargetsOf([old, orderly]).Single(t => t.Name.StartsWith("update WAL", StringComparison.Ordinal)).Measured);
    }

    [Fact]
    public void A_silo_stop_with_a_survivor_is_judged_on_orders_handed_over_warm_and_ten_seconds()
    {
        var none = Array.Empty<Ratio>();
        Target Judge(long warm, double seconds) => BenchReport.TargetsOf(none, new SiloShutdown(10_000, seconds, 0, warm), null, 10_000).Single();
        Assert.True(Judge(9_500, 10).Met);
        Assert.False(Judge(9_499, 1).Met);
        Assert.False(Judge(10_000, 10.01).Met);
        Assert.Equal("95.0% warm (9,500 of 10,000), 10.00 s", Judge(9_500, 10).Measured);
    }

    private static SystemResult Round(string name, int round, double create, double read, double idleSiloSeconds, double idleJitSeconds = 0)
    {
        var result = new SystemResult(name, name, round == 1 ? [Op(Operations.Create, 100)] : [])
        {
            AtRate = [Op(Operations.Create, 100) with { Sent = 1000, CpuMsPerRequest = create }, Op(Operations.ReadHot, 100) with { Sent = 1000, CpuMsPerRequest = read }],
            Idle = [new ProcessCpu(name == BenchReport.Baseline ? BenchReport.Baseline : "silo", 1, idleSiloSeconds, idleJitSeconds)],
            IdleSeconds = 10,
        };
        return result with { Rounds = [CpuRound.Of(round, result)] };
    }

    [Fact]
    public void Rounds_fold_into_each_figure_s_median_round_and_ratios_are_read_round_by_round()
    {
        // The machine slowed down over the run: every figure doubles from round to round, both systems alike.
        var one = new[] { Round("orderly-1+1", 1, 2, 1, 0.05), Round("orderly-1+1", 2, 4, 2, 0.20), Round("orderly-1+1", 3, 8, 4, 0.10) };
        var two = new[] { Round("orderly-2+2", 1, 2.4, 1, 0.08), Round("orderly-2+2", 2, 5.2, 2, 0.09), Round("orderly-2+2", 3, 9.6, 4, 0.30) };
        var combined = BenchRounds.Combine(one);
        Assert.Equal(4, combined.AtRateOf(Operations.Create)!.CpuMsPerRequest);
        Assert.Equal(1.0, combined.IdleCorePercent("silo")); // the median round's idle: 0.10 s of 10 s
        Assert.Equal([1, 2, 3], combined.Rounds.Select(r => r.Round));
        Assert.Single(combined.Operations); // the saturation runs are the first round's

        // Per round 1.2×, 1.3×, 1.2×: the median is 1.2×, though the medians' ratio (5.2 / 4) is 1.3×.
        var ratio = BenchRounds.CpuRatio(BenchRounds.Combine(two), combined, Operations.Create)!;
        Assert.Equal((1.2, 1.2, 1.3, 3), (Math.Round(ratio.Median, 6), Math.Round(ratio.Min, 6), Math.Round(ratio.Max, 6), ratio.Rounds));

        var targets = BenchReport.CpuTargetsOf([combined, BenchRounds.Combine(two)]);
        var scaleOut = targets.Single(t => t.Name == "CPU per create, 2 + 2 vs 1 + 1");
        Assert.True(scaleOut.Met);
        Assert.Null(scaleOut.Reachable); // no floor is read for the scale-out ratio
        Assert.Equal("1.20×, median of 3 rounds (1.20–1.30×) (5.200 / 4.000 ms in their median rounds)", scaleOut.Measured);
        var idle = targets.Single(t => t.Name == "idle silo, share of one core (orderly-2+2)");
        Assert.Equal("0.9%, median of 3 rounds (0.8–3%)", idle.Measured);
        Assert.True(idle.Met);
        Assert.Equal("1%, median of 3 rounds (0.5–2%)", targets.Single(t => t.Name == "idle silo, share of one core (orderly-1+1)").Measured);
    }

    [Fact]
    public void One_round_reads_as_it_always_did()
    {
        var one = BenchRounds.Combine([Round("orderly-1+1", 1, 4, 1, 0.1)]);
        var baseline = BenchRounds.Combine([Round(BenchReport.Baseline, 1, 2, 2, 0.1)]);
        var targets = BenchReport.CpuTargetsOf([baseline, one]);
        Assert.Equal("2.00× (4.000 / 2.000 ms)", targets.Single(t => t.Name == "CPU per create vs baseline (orderly-1+1)").Measured);
        Assert.Equal("0.50× (1.000 / 2.000 ms)", targets.Single(t => t.Name == "CPU per hot read vs baseline (orderly-1+1)").Measured);
        Assert.Equal("1%", targets.Single(t => t.Name == "idle silo, share of one core (orderly-1+1)").Measured);
        Assert.True(targets.Single(t => t.Name == "idle silo, share of one core (orderly-1+1)").Met);
        Assert.Null(RoundSpread.Of([]));
    }

    [Fact]
    public void The_idle_target_judges_a_silo_without_what_its_tiered_jit_still_compiles_and_shows_both()
    {
        // Of 10 s idle: 0.14 s in all, 0.05 s of it compiling (1.4%, 0.9% without); then 0.12 s, 0.01 s compiling (1.2%, 1.1%).
        static Target Idle(params (double All, double Jit)[] rounds)
        {
            var system = BenchRounds.Combine([.. rounds.Select((r, i) => Round("orderly-1+1", i + 1, 4, 1, r.All, r.Jit))]);
            return BenchReport.CpuTargetsOf([system]).Single(t => t.Name == "idle silo, share of one core (orderly-1+1)");
        }
        Assert.True(Idle((0.14, 0.05)).Met);
        Assert.Equal("0.9% without the tiered JIT; 1.4% with it", Idle((0.14, 0.05)).Measured);
        Assert.False(Idle((0.12, 0.01)).Met);
        Assert.Equal("1%", Idle((0.10, 0)).Measured);

        // Over rounds, the median round without the JIT decides: 0.9, 1.1, 0.8 → 0.9%.
        var three = Idle((0.14, 0.05), (0.12, 0.01), (0.30, 0.22));
        Assert.True(three.Met);
        Assert.Equal("0.9%, median of 3 rounds (0.8–1.1%) without the tiered JIT; 1.4%, median of 3 rounds (1.2–3%) with it", three.Measured);
        var combined = BenchRounds.Combine([Round("orderly-1+1", 1, 4, 1, 0.14, 0.05), Round("orderly-1+1", 2, 4, 1, 0.12, 0.01), Round("orderly-1+1", 3, 4, 1, 0.30, 0.22)]);
        Assert.Equal((1.4, 0.5, 0.9), (combined.IdleCorePercent("silo"), combined.IdleJitCorePercent("silo"), combined.IdleWarmCorePercent("silo")));
    }

    [Fact]
    public void Cpu_per_request_is_judged_without_what_the_tiered_jit_compiled_during_the_run_and_shows_both()
    {
        // 1,000 requests each run: 1 + 1 spends 2 s (0.1 s compiling); 2 + 2 spends 2.8 s, 0.43 s of it compiling.
        static SystemResult Sized(string name, double seconds, double jit)
        {
            var result = new SystemResult(name, name, [Op(Operations.Create, 100)])
            {
                AtRate = [(Op(Operations.Create, 100) with { Sent = 1000 }).WithCpu([new ProcessCpu("silo", 1, seconds - 0.5, jit), new ProcessCpu("haproxy", 1, 0.5)])],
            };
            return result with { Rounds = [CpuRound.Of(1, result)] };
        }
        var one = Sized("orderly-1+1", 2, 0.1);
        Assert.Equal((2.0, 1.9), (one.AtRate[0].CpuMsPerRequest, one.AtRate[0].WarmCpuMsPerRequest));
        var scaleOut = BenchReport.CpuTargetsOf([one, Sized("orderly-2+2", 2.8, 0.43)]).Single(t => t.Name == "CPU per create, 2 + 2 vs 1 + 1");
        Assert.True(scaleOut.Met); // 2.37 / 1.9 = 1.25×; with the JIT, 2.8 / 2 = 1.4×
        Assert.Equal("1.25× without the tiered JIT; 1.40× with it (2.370 / 1.900 ms without it)", scaleOut.Measured);
        Assert.False(BenchReport.CpuTargetsOf([one, Sized("orderly-2+2", 2.8, 0.1)]).Single(t => t.Name == "CPU per create, 2 + 2 vs 1 + 1").Met);

        // Over rounds the median round without the JIT is the one reported: 2.6, 2.2, 2.4 → round 3's 2.4 ms (2.5 ms with it).
        var rounds = BenchRounds.Combine([.. new[] { (2.8, 0.2), (2.9, 0.7), (2.5, 0.1) }.Select((r, i) =>
        {
            var round = Sized("orderly-2+2", r.Item1, r.Item2);
            return round with { Rounds = [CpuRound.Of(i + 1, round)] };
        })]);
        Assert.Equal((2.5, 2.4), (rounds.AtRate[0].CpuMsPerRequest, rounds.AtRate[0].WarmCpuMsPerRequest));
        Assert.Equal([2.6, 2.2, 2.4], rounds.Rounds.Select(r => r.CpuMsOf(Operations.Create, warm: true)));
    }

    [Fact]
    public void A_ratio_to_the_baseline_shows_the_floor_the_no_op_and_postgres_set_and_says_when_the_goal_is_under_it()
    {
        // 1,000 requests each run. Orderly's no-op costs 0.9 ms (HAProxy 0.3, gateway 0.5, silo 0.1), 0.1 ms of it
        // compiling; its create 3.6 ms, 0.5 ms of it in Postgres; its hot read 1.8 ms. The baseline: create 1.2 ms,
        // 0.4 of it in Postgres; read 1.0.
        static OperationResult Run(string operation, params ProcessCpu[] cpu) => (Op(operation, 100) with { Sent = 1000 }).WithCpu(cpu);
        static SystemResult Sized(string name, params OperationResult[] runs)
        {
            var result = new SystemResult(name, name, [Op(Operations.Create, 100)]) { AtRate = runs };
            return result with { Rounds = [CpuRound.Of(1, result)] };
        }
        var orderly = Sized("orderly-1+1",
            Run(Operations.NoOp, new("haproxy", 1, 0.3), new("gateway", 1, 0.5, 0.1), new("silo", 1, 0.1)),
            Run(Operations.Create, new("haproxy", 1, 0.3), new("gateway", 1, 1.4), new("silo", 1, 1.4), new("postgres", 1, 0.5)),
            Run(Operations.ReadHot, new("haproxy", 1, 0.3), new("gateway", 1, 0.9), new("silo", 1, 0.6)));
        var baseline = Sized(BenchReport.Baseline,
            Run(Operations.Create, new("haproxy", 1, 0.3), new("baseline", 1, 0.5), new("postgres", 1, 0.4)),
            Run(Operations.ReadHot, new("haproxy", 1, 0.3), new("baseline", 1, 0.4), new("postgres", 1, 0.3)));

        // The least Postgres spent on the row: the baseline's 0.4 ms, not Orderly's 0.5.
        Assert.Equal(1.3, BenchReport.FloorOf(orderly, baseline, Operations.Create, warm: false)!.Value.Ms, 6);
        Assert.Equal(1.4, BenchReport.FloorOf(orderly, null, Operations.Create, warm: false)!.Value.Ms, 6);
        Assert.Equal(0.8, BenchReport.FloorOf(orderly, baseline, Operations.ReadHot, warm: true)!.Value.Ms, 6);
        Assert.Null(BenchReport.FloorOf(baseline, null, Operations.ReadHot, warm: false)); // no no-op measured

        var targets = BenchReport.CpuTargetsOf([baseline, orderly]);
        var create = targets.Single(t => t.Name == "CPU per create vs baseline (orderly-1+1)");
        Assert.Equal("3.00× (3.600 / 1.200 ms); floor 1.08× (the no-op, 0.900 ms, plus the baseline's Postgres share of a create, 0.400 ms, lower than its own)", create.Measured);
        Assert.Equal((false, false, "missed (goal below the floor)"), (create.Met, create.Reachable, create.Verdict));
        var read = targets.Single(t => t.Name == "CPU per hot read vs baseline (orderly-1+1)");
        Assert.Equal("1.80× (1.800 / 1.000 ms); floor 0.90× (the no-op through HAProxy and the gateway, 0.900 ms)", read.Measured);
        Assert.False(read.Reachable);

        // A cheaper no-op puts the goal within reach: the verdict is a plain miss.
        var lean = Sized("orderly-1+1",
            Run(Operations.NoOp, new("haproxy", 1, 0.1), new("gateway", 1, 0.1)),
            Run(Operations.Create, new("haproxy", 1, 0.3), new("gateway", 1, 1.4), new("silo", 1, 1.4), new("postgres", 1, 0.5)),
            Run(Operations.ReadHot, new("haproxy", 1, 0.3), new("gateway", 1, 0.9), new("silo", 1, 0.6)));
        var reachable = BenchReport.CpuTargetsOf([baseline, lean]).Single(t => t.Name == "CPU per create vs baseline (orderly-1+1)");
        Assert.Equal((false, true, "missed"), (reachable.Met, reachable.Reachable, reachable.Verdict));
    }

    [Fact]
    public void Without_a_baseline_there_are_no_ratios()
    {
        Assert.Empty(BenchReport.RatiosOf(Op("insert", 1000), [System("orderly-1-silo", 1, 1)]));
    }

    [Theory]
    [InlineData("3 41 1843 0 1764000000 123456", 1843L)]
    [InlineData("0 7 failed 0 1764000000 123456", null)]
    [InlineData("0 7 skipped 0 1764000000 123456", null)]
    [InlineData("garbage", null)]
    public void Pgbench_log_lines_give_latency_in_microseconds_or_nothing(string line, long? expected) =>
        Assert.Equal(expected, PgBench.ParseLogLine(line));
}

public sealed class BenchCommandTests
{
    [Theory]
    [InlineData("--seconds", "0", "--seconds must be from 1 to 300")]
    [InlineData("--concurrency", "0", "--concurrency must be from 1 to 256")]
    [InlineData("--activations", "-1", "--activations must be from 0 to 1000000")]
    [InlineData("--rounds", "0", "--rounds must be from 1 to 9")]
    [InlineData("--systems", "django", "django")]
    public async Task Bad_options_stop_the_bench_before_it_starts_anything(string option, string value, string message)
    {
        var result = await Infrastructure.Processes.RunAsync("dotnet", [Infrastructure.Processes.BenchRunnerDll, option, value], new Dictionary<string, string?>());
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }
}
