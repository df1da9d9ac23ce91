using System.Globalization;
using System.Text;
using Orderly.LoadClient.Reporting;

namespace Orderly.Bench.Runner;

/// <summary>
/// DIR/bench.html: throughput and p99 per operation, one bar per system (pgbench beside create), the
/// ratios and the targets. Self-contained (inline SVG and CSS), like the experiment's report.
/// </summary>
public static class BenchPage
{
    private const int Width = 620;
    private const int BarHeight = 16;
    private const int Label = 150;
    private const int Gap = 14;

    private static readonly string[] Colors = ["#8c959f", "#0969da", "#8250df", "#1b7c83"];

    public static string Render(BenchReport report)
    {
        var html = HtmlPage.Begin("Orderly bench", 1100, """
            th:nth-child(2),td:nth-child(2){text-align:left}
            .grid{grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:20px}
            .lbl{font-size:11px}
            """);
        var s = report.Settings;
        html.Append(CultureInfo.InvariantCulture,
            $"<div class=\"sub\">{report.At:yyyy-MM-dd HH:mm} UTC · {report.Machine.Cores} cores, {Enc(report.Machine.Os)}, {Enc(report.Machine.Runtime)} · {s.Concurrency} closed-loop callers, no think time · every operation warmed up for {s.WarmupSeconds} s first, then measured for {s.SecondsPerOperation} s · everything through HAProxy on one machine</div>");

        var systems = new List<(string Name, Func<string, OperationResult?> Op)>();
        if (report.Pgbench is { } pgbench)
            systems.Add(("pgbench", op => op == Operations.Create ? pgbench : null));
        // The lifecycle runs only at the fixed rate: its database work comes from there.
        systems.AddRange(report.Systems.Select(x => (x.Name, (Func<string, OperationResult?>)(op => x[op] ?? (op == Operations.Lifecycle ? x.AtRateOf(op) : null)))));
        if (report.Systems.Any(x => x.AtRate.Count > 0))
        {
            var atRate = new List<(string Name, Func<string, OperationResult?> Op)>();
            if (report.Pgbench is { Cpu: not null } insert)
                atRate.Add(("pgbench", op => op == Operations.Create ? insert : null));
            atRate.AddRange(report.Systems.Select(x => (x.Name, (Func<string, OperationResult?>)x.AtRateOf)));
            html.Append("<h2>CPU per request (ms of CPU, every process of the system; lower is better)</h2>");
            html.Append(CultureInfo.InvariantCulture, $"<div class=\"sub\">The headline: each operation offered at a fixed {s.Rate:0} requests per second for {s.RateSeconds} s (below saturation), CPU read from /proc for the gateways or the baseline, the silos, HAProxy and every Postgres process; the load client is not counted. pgbench's bar is its insert, under create.</div>");
            html.Append(Bars(atRate, o => o.CpuMsPerRequest ?? 0, "0.000", Operations.AtRate));
            if (report.Systems.SelectMany(x => x.AtRate).Any(o => o.WarmCpuMsPerRequest < o.CpuMsPerRequest))
            {
                html.Append("<h3>The same without the tiered JIT (what the targets judge)</h3>");
                html.Append("<div class=\"sub\">Minus the CPU of the runtime's tiered-compilation worker during each run: what a process minutes old still compiles and one that has run for hours no longer does.</div>");
                html.Append(Bars(atRate, o => o.WarmCpuMsPerRequest ?? o.CpuMsPerRequest ?? 0, "0.000", Operations.AtRate));
            }
            html.Append("<pre>").Append(Enc(report.CpuTable())).Append("</pre>");
        }
        html.Append("<h2>Database work per request, as Postgres counts it</h2>");
        html.Append("<div class=\"sub\">The headline: these figures do not depend on how busy the machine is. WAL: bytes of write-ahead log per request (records of transactions that touched the bench's tables, read with pg_walinspect; * = the whole server's WAL position). Statements: top-level statements (pg_stat_statements; n/a when not loaded). Page images: the part of the WAL that was full-page images (the first change to a page after a checkpoint; they follow the checkpoints' timing, so the targets compare WAL without them). HOT: the share of updated rows Postgres rewrote on the same page, writing no index entry. Write transactions, rows written (inserted/updated/deleted) and table scans per request.</div>");
        html.Append("<table><thead><tr><th>system</th><th>operation</th><th>WAL bytes</th><th>page images</th><th>HOT</th><th>statements</th><th>write transactions</th><th>rows written</th><th>table scans</th></tr></thead><tbody>");
        foreach (var (name, op) in systems)
        {
            foreach (var operation in Operations.All.Append(Operations.Lifecycle).Append("insert"))
            {
                if (op(operation == "insert" ? Operations.Create : operation) is not { Database: { } w } || (operation == "insert") != (name == "pgbench"))
                    continue;
                html.Append(CultureInfo.InvariantCulture,
                    $"<tr><td>{Enc(name)}</td><td>{Enc(operation)}</td><td>{w.WalBytes:N0}{(w.WalScope == "schema" ? "" : "*")}</td><td>{w.PageImageBytes:N0}</td><td>{w.HotUpdateShare:P0}</td><td>{Figure(w.Statements)}</td><td>{Figure(w.WriteTransactions)}</td><td>{Figure(w.RowsWritten)}</td><td>{Figure(w.TableScans)}</td></tr>");
            }
        }
        html.Append("</tbody></table>");
        html.Append("<div>");
        for (var i = 0; i < systems.Count; i++)
            html.Append(CultureInfo.InvariantCulture, $"<span class=\"sw\" style=\"background:{Colors[i % Colors.Length]}\"></span>{Enc(systems[i].Name)}");
        html.Append("</div><div class=\"grid\">");
        html.Append("<div><h2>WAL bytes per request (lower is better)</h2>").Append(Bars(systems, o => o.Database?.WalBytes ?? 0, "0")).Append("</div>");
        html.Append("<div><h2>Rows written per request (lower is better)</h2>").Append(Bars(systems, o => o.Database?.RowsWritten ?? 0, "0.##")).Append("</div>");
        html.Append("</div><div class=\"grid\">");
        html.Append("<div><h2>Throughput (requests/s, higher is better)</h2>").Append(Bars(systems, o => o.Throughput, "0")).Append("</div>");
        html.Append("<div><h2>p99 latency (ms, lower is better)</h2>").Append(Bars(systems, o => o.P99Ms, "0.0")).Append("</div>");
        html.Append("</div>");

        html.Append("<h2>Figures</h2><table><thead><tr><th>system</th><th>operation</th><th>req/s</th><th>p50 ms</th><th>p99 ms</th><th>errors</th><th>× baseline</th><th>× pgbench</th></tr></thead><tbody>");
        if (report.Pgbench is { } pg)
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>pgbench</td><td>insert</td><td>{pg.Throughput:N0}</td><td>{pg.P50Ms:0.00}</td><td>{pg.P99Ms:0.00}</td><td>{pg.Errors}</td><td></td><td></td></tr>");
        foreach (var system in report.Systems)
        {
            foreach (var o in system.Operations)
            {
                var r = report.RatioOf(system.Name, o.Operation);
                html.Append(CultureInfo.InvariantCulture,
                    $"<tr><td title=\"{Enc(system.Description)}\">{Enc(system.Name)}</td><td>{Enc(o.Operation)}</td><td>{o.Throughput:N0}</td><td>{o.P50Ms:0.00}</td><td>{o.P99Ms:0.00}</td><td>{o.Errors}</td><td>{(r is null ? "" : $"{r.VsBaseline:0.00}×")}</td><td>{(r?.VsPgbench is { } p ? $"{p:0.00}×" : "")}</td></tr>");
            }
        }
        html.Append("</tbody></table>");

        html.Append("<h2>Targets</h2><table><thead><tr><th>target</th><th>goal</th><th>measured</th><th></th></tr></thead><tbody>");
        foreach (var t in report.Targets)
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{Enc(t.Name)}</td><td>{Enc(t.Goal)}</td><td>{Enc(t.Measured)}</td><td class=\"{(t.Met ? "good" : "bad")}\">{Enc(t.Verdict)}</td></tr>");
        html.Append("</tbody></table>");
        html.Append("<h2>Systems</h2><ul>");
        foreach (var system in report.Systems)
            html.Append(CultureInfo.InvariantCulture, $"<li><b>{Enc(system.Name)}</b>: {Enc(system.Description)}</li>");
        html.Append("</ul>");
        return HtmlPage.End(html);
    }

    /// <summary>Horizontal bars, grouped by operation, one bar per system that ran it.</summary>
    private static string Bars(List<(string Name, Func<string, OperationResult?> Op)> systems, Func<OperationResult, double> value, string format, string[]? operations = null)
    {
        var all = operations ?? Operations.All;
        var max = Math.Max(1e-9, all.SelectMany(op => systems.Select(s => s.Op(op))).OfType<OperationResult>().Select(value).DefaultIfEmpty(0).Max());
        var rows = all.Sum(op => systems.Count(s => s.Op(op) is not null));
        var height = rows * (BarHeight + 2) + all.Length * Gap + 4;
        var svg = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"<svg viewBox=\"0 0 {Width} {height}\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">"));
        var y = 2.0;
        foreach (var op in all)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"lbl\" x=\"0\" y=\"{y + BarHeight - 4:0.#}\">{Enc(op)}</text>");
            for (var i = 0; i < systems.Count; i++)
            {
                if (systems[i].Op(op) is not { } result)
                    continue;
                var v = value(result);
                var w = Math.Max(1, v / max * (Width - Label - 70));
                svg.Append(CultureInfo.InvariantCulture,
                    $"<rect x=\"{Label}\" y=\"{y:0.#}\" width=\"{w:0.#}\" height=\"{BarHeight}\" fill=\"{Colors[i % Colors.Length]}\"><title>{Enc(systems[i].Name)} · {Enc(op)}: {v.ToString(format, CultureInfo.InvariantCulture)}</title></rect>");
                svg.Append(CultureInfo.InvariantCulture, $"<text class=\"val\" x=\"{Label + w + 4:0.#}\" y=\"{y + BarHeight - 4:0.#}\">{v.ToString(format, CultureInfo.InvariantCulture)}</text>");
                y += BarHeight + 2;
            }
            y += Gap;
        }
        return svg.Append("</svg>").ToString();
    }

    private static string Figure(double? value) => value?.ToString("0.##", CultureInfo.InvariantCulture) ?? "n/a";

    private static string Enc(string text) => HtmlPage.Enc(text);
}
