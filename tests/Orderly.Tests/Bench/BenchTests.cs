using Npgsql;
using Orderly.Bench.Runner;
using Xunit.Abstractions;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Bench;

[Trait(Tiers.Name, Tiers.Full)]
public sealed class BenchTests(ShortBench run, ITestOutputHelper output) : IClassFixture<ShortBench>
{
    private BenchReport Report => run.Report;

    [Fact]
    public void Every_system_answered_every_operation_without_an_error()
    {
        output.WriteLine(run.Output);
        Assert.Equal(["baseline", "orderly-1+1", "orderly-2+2"], Report.Systems.Select(s => s.Name));
        Assert.NotNull(Report.Pgbench);
        Assert.True(Report.Pgbench.Throughput > 0 && Report.Pgbench.Errors == 0, $"pgbench: {Report.Pgbench}");
        foreach (var system in Report.Systems)
        {
            Assert.Equal(Operations.All, system.Operations.Select(o => o.Operation));
            Assert.All(system.Operations, o =>
            {
                Assert.Equal(0, o.Errors);
                Assert.True(o.Throughput > 0 && o.P50Ms > 0 && o.P99Ms >= o.P50Ms, $"{system.Name} {o}");
                Assert.InRange(Math.Abs(o.Requests / o.Seconds - o.Throughput), 0, 0.1);
            });
        }
    }

    [Fact]
    public void Every_system_is_charged_the_CPU_of_all_its_processes_at_the_fixed_rate()
    {
        Assert.NotNull(Report.Pgbench!.CpuMsPerRequest);
        Assert.Equal(["postgres"], Report.Pgbench.Cpu!.Select(c => c.Kind));
        foreach (var system in Report.Systems)
        {
            Assert.Equal(Operations.AtRate, system.AtRate.Select(o => o.Operation));
            var kinds = system.Name == BenchReport.Baseline ? new[] { "baseline", "haproxy", "postgres" } : ["gateway", "haproxy", "postgres", "silo"];
            Assert.All(system.AtRate, o =>
            {
                Assert.Equal(0, o.Errors);
                Assert.True(o.Sent > 0 && o.CpuMsPerRequest > 0, $"{system.Name} {o.Operation}: {o.Sent} sent, {o.CpuMsPerRequest} ms");
                Assert.Equal(kinds, o.Cpu!.Select(c => c.Kind));
                // The report rounds to 3 decimals; rounding both sides to 2 could split 2.745 and 2.7451 apart.
                Assert.Equal(o.Cpu!.Sum(c => c.Seconds) * 1000 / o.Sent, o.CpuMsPerRequest!.Value, 0.001);
                // The rate is offered, not hoped for: what was sent is what was due.
                Assert.InRange(o.Sent / o.RequestsPerUnit, 0.8 * ShortBench.Rate * ShortBench.RateSeconds / o.RequestsPerUnit, 1.2 * ShortBench.Rate * ShortBench.RateSeconds / o.RequestsPerUnit + 1);
            });
            Assert.NotNull(system.IdleCorePercent("postgres"));
            if (system.Name != BenchReport.Baseline)
            {
                Assert.Equal(system.Name == "orderly-2+2" ? 2 : 1, system.Idle.Single(c => c.Kind == "silo").Processes);
                Assert.Contains(Report.Targets, t => t.Name == $"idle silo, share of one core ({system.Name})");
            }
        }
        // The tiered JIT's share of idle is part of what each process spent, and it is really read: processes
        // this young, 2 s after a load, are still compiling what the load ran (a runtime that renamed its
        // compilation worker would read nothing here).
        Assert.All(Report.Systems, s => Assert.All(s.Idle, c => Assert.InRange(c.JitSeconds, 0, c.Seconds)));
        Assert.True(Report.Systems.Where(s => s.Name != BenchReport.Baseline).SelectMany(s => s.Idle).Where(c => c.Kind is "silo" or "gateway").Sum(c => c.JitSeconds) > 0,
            "no silo or gateway of the short bench spent anything in the tiered JIT while idle");
        // It is read during the fixed-rate runs too, where a process this young compiles what the load first runs.
        Assert.All(Report.Systems.SelectMany(s => s.AtRate), o =>
        {
            Assert.All(o.Cpu!, c => Assert.InRange(c.JitSeconds, 0, c.Seconds));
            Assert.InRange(o.WarmCpuMsPerRequest!.Value, 0, o.CpuMsPerRequest!.Value);
        });
        Assert.True(Report.Systems.SelectMany(s => s.AtRate).SelectMany(o => o.Cpu!).Sum(c => c.JitSeconds) > 0,
            "no process of the short bench spent anything in the tiered JIT during its fixed-rate runs");
        Assert.All(Report.Systems.SelectMany(s => s.AtRate).SelectMany(o => o.Cpu!).Where(c => c.Kind == "haproxy"), c => Assert.Equal(0, c.JitSeconds));
        // One round: every system's round holds what its fixed-rate runs measured, and the targets read it.
        Assert.All(Report.Systems, s => Assert.All(s.AtRate, o => Assert.Equal(o.CpuMsPerRequest, s.Rounds.Single().CpuMsPerRequest[o.Operation])));
        Assert.Contains(Report.Targets, t => t.Name == "CPU per create, 2 + 2 vs 1 + 1");
        Assert.Contains(Report.Targets, t => t.Name == "CPU per hot read vs baseline (orderly-1+1)");
        Assert.Contains("CPU per request at a fixed offered rate", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Ratios_are_orderly_over_baseline_and_create_over_pgbench()
    {
        var baseline = Report.Systems.Single(s => s.Name == BenchReport.Baseline);
        Assert.Equal(2 * Operations.All.Length, Report.Ratios.Count);
        foreach (var r in Report.Ratios)
        {
            var mine = Report.Systems.Single(s => s.Name == r.System)[r.Operation]!;
            Assert.Equal(mine.Throughput / baseline[r.Operation]!.Throughput, r.VsBaseline, 2);
            if (r.Operation == Operations.Create)
                Assert.Equal(mine.Throughput / Report.Pgbench!.Throughput, r.VsPgbench!.Value, 2);
            else
                Assert.Null(r.VsPgbench);
        }
    }

    [Fact]
    public void A_silo_full_of_active_orders_stops_gracefully_and_is_timed()
    {
        var shutdown = Report.SiloShutdown!;
        Assert.True(shutdown.Activations >= ShortBench.Activations, $"only {shutdown.Activations} activations");
        Assert.Equal(0, shutdown.ExitCode);
        Assert.InRange(shutdown.Seconds, 0.01, 30);
        // All systems ran, so the stop is timed with a second silo to take the orders.
        Assert.NotNull(shutdown.ArrivedWarm);
        Assert.Contains(Report.Targets, t => t.Name.Contains("silo shutdown", StringComparison.Ordinal)
            && t.Met == (shutdown.Seconds <= 10 && shutdown.WarmShare >= 0.95));
    }

    [Fact]
    public async Task Bench_json_and_html_hold_the_same_figures()
    {
        var read = await BenchReport.ReadAsync(run.OutDir);
        Assert.Equal(Report.Systems.SelectMany(s => s.Operations), read.Systems.SelectMany(s => s.Operations));
        Assert.Equal(Report.Ratios, read.Ratios);
        var html = await File.ReadAllTextAsync(Path.Combine(run.OutDir, "bench.html"));
        // CPU per request first (in all, then without the tiered JIT, which processes this young always run),
        // then database work (WAL, rows written), then throughput and p99: one chart each.
        Assert.Equal(6, html.Split("<svg").Length - 1);
        Assert.Contains("The same without the tiered JIT", html, StringComparison.Ordinal);
        Assert.True(html.IndexOf("CPU per request", StringComparison.Ordinal) < html.IndexOf("WAL bytes per request", StringComparison.Ordinal), "CPU comes first");
        Assert.True(html.IndexOf("WAL bytes per request", StringComparison.Ordinal) < html.IndexOf("Throughput", StringComparison.Ordinal),
            "database work is not the headline");
        foreach (var system in Report.Systems)
            Assert.Contains($"{system.Name} · {Operations.Create}: {system[Operations.Create]!.Throughput:0}", html, StringComparison.Ordinal);
        Assert.Contains("pgbench", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_baseline_writes_the_same_row_as_orderly()
    {
        await using var db = NpgsqlDataSource.Create(run.ConnectionString);
        async Task<string> KeysOf(string table)
        {
            await using var command = db.CreateCommand(
                $"SELECT string_agg(k, ',' ORDER BY k) FROM (SELECT doc FROM {table} WHERE customer_id LIKE 'bench-%' LIMIT 1) d, jsonb_object_keys(d.doc) k");
            return (string)(await command.ExecuteScalarAsync())!;
        }
        // The same table shape (baseline_orders is LIKE orders) and the same order in the document; Orderly's
        // document is its grain state, so it also holds what the grain needs to answer retries. The id is
        // the row's key column in both, and Orderly does not repeat it inside the document.
        var orderly = (await KeysOf("orders")).Split(',');
        var baseline = (await KeysOf("baseline_orders")).Split(',');
        Assert.Equal(["createdAt", "customerId", "deliveryAddress", "id", "items", "status", "updatedAt", "version"], baseline);
        Assert.Empty(baseline.Except(orderly).Except(["id"]));
        Assert.Empty(orderly.Except(baseline).Except(["idempotencyKey", "placedBy", "recentCommands"]));
        await using var count = db.CreateCommand("SELECT count(*) FROM bench_insert");
        Assert.True((long)(await count.ExecuteScalarAsync())! > 0, "pgbench inserted nothing");
    }
}
