using System.Globalization;
using System.Text;

using Orderly.LoadClient.Verify;

namespace Orderly.LoadClient.Reporting;

/// <summary>
/// DIR/report.html: both profiles side by side — requests and failures per second with the
/// scale-down windows marked, replicas, p99 latency, and the table of figures. One self-contained
/// file with inline SVG and CSS: it opens offline, in any browser, with nothing to fetch.
/// </summary>
public static class ReportPage
{
    private const int Width = 560;
    private const int Height = 170;
    private const int Left = 44;
    private const int Bottom = 22;
    private const int Top = 10;
    private const int Right = 10;

    public static async Task<string> WriteAsync(string dir)
    {
        var runs = new List<(Summary Summary, IReadOnlyList<TimelineRow> Timeline)>();
        foreach (var profile in new[] { "naive", "graceful" })
        {
            if (File.Exists(Path.Combine(dir, profile, "summary.json")))
                runs.Add(await Results.ReadAsync(Path.Combine(dir, profile)));
        }
        if (runs.Count == 0)
            throw new InvalidOperationException($"no profile results under {dir}");
        var path = Path.Combine(dir, "report.html");
        await File.WriteAllTextAsync(path, Render(runs, DateTimeOffset.UtcNow));
        return path;
    }

    public static string Render(IReadOnlyList<(Summary Summary, IReadOnlyList<TimelineRow> Timeline)> runs, DateTimeOffset at)
    {
        var maxSecond = runs.Max(r => r.Timeline.Count);
        var maxRequests = Math.Max(1, runs.Max(r => r.Timeline.Count == 0 ? 0 : r.Timeline.Max(t => t.Requests)));
        var maxReplicas = Math.Max(1, runs.Max(r => r.Timeline.Count == 0 ? 0 : r.Timeline.Max(t => Math.Max(t.Gateways, t.Silos))));
        var maxP99 = Math.Max(1, runs.Max(r => r.Timeline.Count == 0 ? 0 : r.Timeline.Max(t => t.P99Ms)));

        var html = HtmlPage.Begin("Orderly scale-down experiment", 1220, """
            table{min-width:520px}
            .grid{grid-template-columns:repeat(auto-fit,minmax(560px,1fr))}
            ul.events{margin:6px 0 0;padding-left:18px;color:#444;font-size:12px}
            """);
        html.Append(CultureInfo.InvariantCulture, $"<div class=\"sub\">Generated {at:yyyy-MM-dd HH:mm} UTC · same load, same scale-down schedule and seed for every profile · the load client never retries</div>");

        html.Append("<h2>Figures</h2><table><thead><tr><th></th>");
        foreach (var (s, _) in runs)
            html.Append(CultureInfo.InvariantCulture, $"<th>{Enc(s.Profile)}</th>");
        html.Append("</tr></thead><tbody>");
        Row(html, "requests", runs, s => s.Requests.ToString("N0", CultureInfo.InvariantCulture));
        Row(html, "failed", runs, s => Verdict(s.Failed == 0, s.Failed.ToString("N0", CultureInfo.InvariantCulture)));
        Row(html, "error rate", runs, s => Verdict(s.Failed == 0, Pct(s.ErrorRate)));
        Row(html, "scale-down events", runs, s => s.ScaleDownEvents.ToString(CultureInfo.InvariantCulture));
        Row(html, "error rate inside scale-down windows", runs, s => Verdict(s.ScaleDownWindowErrorRate == 0, Pct(s.ScaleDownWindowErrorRate)));
        Row(html, "failures by kind", runs, s => s.Failed == 0 ? "—" : string.Join(", ", s.FailuresByKind.Where(k => k.Value > 0).Select(k => $"{k.Key} {k.Value}")));
        Row(html, "latency p50 / p90 / p99 / max (ms)", runs, s => $"{s.LatencyMs.P50:0.#} / {s.LatencyMs.P90:0.#} / {s.LatencyMs.P99:0.#} / {s.LatencyMs.Max:0}");
        Row(html, "p99 steady / inside scale-down windows (ms)", runs, s => $"{s.ScaleDownLatencyMs.SteadyP99:0.#} / {s.ScaleDownLatencyMs.WindowP99:0.#} (×{s.ScaleDownLatencyMs.Ratio:0.##})");
        Row(html, "orders acknowledged", runs, s => s.OrdersAcknowledged.ToString("N0", CultureInfo.InvariantCulture));
        Row(html, "orders lost", runs, s => Verdict(s.OrdersLost == 0, s.OrdersLost.ToString(CultureInfo.InvariantCulture)));
        Row(html, "orders duplicated", runs, s => Verdict(s.OrdersDuplicated == 0, s.OrdersDuplicated.ToString(CultureInfo.InvariantCulture)));
        Row(html, "consistency anomalies", runs, s => Verdict(s.Anomalies.Total == 0, s.Anomalies.Total.ToString(CultureInfo.InvariantCulture)));
        Row(html, "peak sessions · duration", runs, s => $"{s.Sessions} · {s.DurationSeconds:0} s");
        Row(html, "gateways · silos · clients · lag median / p99", runs, s => s.Shape is { } r
            ? Enc(string.Create(CultureInfo.InvariantCulture, $"{r.Gateways} · {r.Silos} · {r.Clients} · {r.LagMedianSeconds:0.#} s / {r.LagP99Seconds:0.#} s"))
            : "—");
        Row(html, "machine CPU mean / p95 / max (all cores)", runs, s => s.MachineCpu is { } c
            ? Verdict(!c.Saturated, string.Create(CultureInfo.InvariantCulture, $"{c.MeanPercent:0}% / {c.P95Percent:0}% / {c.MaxPercent:0}%{(c.Saturated ? $" — saturated {c.SaturatedSeconds} of {c.Seconds} s" : "")}"))
            : "—");
        html.Append("</tbody></table>");

        ProfileTable(html, "By event kind", "kind", runs, s => s.ByEventKind?.Select(k => k.Kind) ?? [],
            ["events", "requests in windows", "failed (by kind)", "p99 in windows / steady (ms)"],
            (s, kind) => s.ByEventKind?.FirstOrDefault(x => x.Kind == kind) is not { } k ? null :
            [
                string.Create(CultureInfo.InvariantCulture, $"{k.Events}{(k.EvictionsRefused > 0 ? $" ({k.EvictionsRefused} evictions refused)" : "")}"),
                k.RequestsInWindows.ToString("N0", CultureInfo.InvariantCulture),
                Verdict(k.FailedInWindows == 0, string.Create(CultureInfo.InvariantCulture, $"{k.FailedInWindows:N0}{Kinds(k.FailuresByKind)}")),
                Verdict(k.P99Ratio <= 2, string.Create(CultureInfo.InvariantCulture, $"{k.WindowP99:0.#} / {k.SteadyP99:0.#} (×{k.P99Ratio:0.##})")),
            ]);
        ProfileTable(html, "By client kind", "client", runs, s => s.ByClient?.Select(c => c.Client) ?? [],
            ["requests", "failed (by kind)"],
            (s, client) => s.ByClient?.FirstOrDefault(x => x.Client == client) is not { } c ? null :
            [
                c.Requests.ToString("N0", CultureInfo.InvariantCulture),
                Verdict(c.Failed == 0, string.Create(CultureInfo.InvariantCulture, $"{c.Failed:N0} ({c.ErrorRate:0.00%}){Kinds(c.FailuresByKind)}")),
            ]);

        if (runs.Any(r => r.Summary.LagSweep is { Count: > 0 }))
            html.Append(SweepChart(runs));

        html.Append("<div class=\"grid\">");
        foreach (var (s, timeline) in runs)
        {
            html.Append(CultureInfo.InvariantCulture, $"<div class=\"card\" id=\"profile-{Enc(s.Profile)}\"><h2>{Enc(s.Profile)}</h2>");
            html.Append("<h3>Requests and failures per second</h3>");
            html.Append(Chart(timeline, s.Events, maxSecond, maxRequests,
                [("#0969da", t => t.Requests, false), ("#cf222e", t => t.Failures, true)]));
            html.Append("<div class=\"legend\"><span class=\"sw\" style=\"background:#0969da\"></span>requests/s<span class=\"sw\" style=\"background:#cf222e\"></span>failures/s<span class=\"sw\" style=\"background:#ffd8b5\"></span>scale-down window</div>");
            html.Append("<h3>Replicas in service</h3>");
            html.Append(Chart(timeline, s.Events, maxSecond, maxReplicas + 1,
                [("#8250df", t => t.Gateways, false), ("#1b7c83", t => t.Silos, false)]));
            html.Append("<div class=\"legend\"><span class=\"sw\" style=\"background:#8250df\"></span>gateways<span class=\"sw\" style=\"background:#1b7c83\"></span>silos</div>");
            html.Append("<h3>p99 latency per second (ms)</h3>");
            html.Append(Chart(timeline, s.Events, maxSecond, maxP99, [("#9a6700", t => t.P99Ms, false)]));
            if (timeline.Any(t => t.CpuPercent is not null))
            {
                html.Append("<h3>Machine CPU per second (% of all cores; ≥ 95 % is saturated)</h3>");
                html.Append(Chart(timeline, s.Events, maxSecond, 100, [("#57606a", t => t.CpuPercent ?? 0, false)]));
            }
            html.Append("<ul class=\"events\">");
            foreach (var e in s.Events)
                html.Append(CultureInfo.InvariantCulture, $"<li>#{e.Number} {Enc(e.Description.Length > 0 ? e.Description : e.Kind)} — {Enc(e.Pod)} terminating from {e.StartSeconds:0.0}s, gone at {e.EndSeconds:0.0}s ({Enc(e.Outcome)}{(e.Lags is { Count: > 0 } lags ? string.Create(CultureInfo.InvariantCulture, $", deregistered after {string.Join(" / ", lags.Select(l => l.ToString("0.0", CultureInfo.InvariantCulture)))} s") : e.Tier == Tier.Gateway ? string.Create(CultureInfo.InvariantCulture, $", deregistered after {e.DeregistrationLagSeconds:0.0}s") : ", not behind the load balancer")}{(e.EvictionsRefused > 0 ? $", {e.EvictionsRefused} evictions refused by the budget and retried" : "")}{(e.ReadBack is { } readBack ? string.Create(CultureInfo.InvariantCulture, $"; {readBack:N0} orders read back from storage by the silos that stayed") : "")})</li>");
            html.Append("</ul></div>");
        }
        html.Append("</div>");
        return HtmlPage.End(html);
    }

    /// <summary>A table with one row per key (event kind, client kind) and the same columns for every profile, side by side.</summary>
    private static void ProfileTable(StringBuilder html, string title, string keyHeader, IReadOnlyList<(Summary Summary, IReadOnlyList<TimelineRow> Timeline)> runs,
        Func<Summary, IEnumerable<string>> keys, string[] columns, Func<Summary, string, string[]?> cells)
    {
        var rows = runs.SelectMany(r => keys(r.Summary)).Distinct().ToList();
        if (rows.Count == 0)
            return;
        html.Append(CultureInfo.InvariantCulture, $"<h2>{Enc(title)}</h2><table><thead><tr><th>{Enc(keyHeader)}</th>");
        foreach (var (s, _) in runs)
            html.Append(string.Concat(columns.Select((c, i) => $"<th>{(i == 0 ? Enc(s.Profile) + ": " : "")}{Enc(c)}</th>")));
        html.Append("</tr></thead><tbody>");
        foreach (var row in rows)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{Enc(row)}</td>");
            foreach (var (s, _) in runs)
                html.Append(string.Concat((cells(s, row) ?? ["—", .. Enumerable.Repeat("", columns.Length - 1)]).Select(c => $"<td>{c}</td>")));
            html.Append("</tr>");
        }
        html.Append("</tbody></table>");
    }

    private static string Kinds(IReadOnlyDictionary<string, long> byKind) =>
        byKind.Values.Sum() == 0 ? "" : " — " + string.Join(", ", byKind.Where(k => k.Value > 0).Select(k => $"{k.Key} {k.Value}"));

    /// <summary>The lag sweep: error rate inside each event's window against its deregistration lag, one line per profile, the budget marked.</summary>
    private static string SweepChart(IReadOnlyList<(Summary Summary, IReadOnlyList<TimelineRow> Timeline)> runs)
    {
        var points = runs.Where(r => r.Summary.LagSweep is { Count: > 0 }).Select(r => (r.Summary.Profile, Points: r.Summary.LagSweep!)).ToList();
        var maxLag = points.Max(p => p.Points.Max(x => x.LagSeconds));
        var maxRate = Math.Max(0.01, points.Max(p => p.Points.Max(x => x.ErrorRate)));
        var budget = points.SelectMany(p => p.Points).Where(x => x.WithinBudget).Select(x => x.LagSeconds).DefaultIfEmpty(0).Max();
        double X(double lag) => Left + lag / maxLag * (Width - Left - Right);
        double Y(double v) => Height - Bottom - v / maxRate * (Height - Bottom - Top);
        var svg = new StringBuilder("<h2>Lag sweep: error rate inside the window against the deregistration lag</h2><div class=\"card\">");
        svg.Append(CultureInfo.InvariantCulture, $"<svg viewBox=\"0 0 {Width} {Height}\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">");
        for (var i = 0; i <= 4; i++)
        {
            var v = maxRate * i / 4;
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"gridline\" x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Y(v):0.#}\" y2=\"{Y(v):0.#}\"/><text class=\"lbl\" x=\"{Left - 4}\" y=\"{Y(v) + 3:0.#}\" text-anchor=\"end\">{v:0.#%}</text>");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(budget):0.#}\" x2=\"{X(budget):0.#}\" y1=\"{Top}\" y2=\"{Height - Bottom}\" stroke=\"#cf222e\" stroke-dasharray=\"4 3\"/><text class=\"lbl\" x=\"{X(budget) + 3:0.#}\" y=\"{Top + 9}\">budget P + X = {budget:0} s</text>");
        var colors = new Dictionary<string, string> { ["naive"] = "#cf222e", ["graceful"] = "#1a7f37" };
        foreach (var (profile, list) in points)
        {
            var color = colors.GetValueOrDefault(profile, "#0969da");
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.6\" points=\"{string.Join(' ', list.Select(x => string.Create(CultureInfo.InvariantCulture, $"{X(x.LagSeconds):0.#},{Y(x.ErrorRate):0.#}")))}\"/>");
            foreach (var x in list)
                svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{X(x.LagSeconds):0.#}\" cy=\"{Y(x.ErrorRate):0.#}\" r=\"3\" fill=\"{color}\"><title>{Enc(profile)}: lag {x.LagSeconds:0.#} s, {x.Failed} of {x.Requests} failed</title></circle>");
        }
        foreach (var x in points[0].Points)
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"lbl\" x=\"{X(x.LagSeconds):0.#}\" y=\"{Height - 6}\" text-anchor=\"middle\">{x.LagSeconds:0.#}s</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Height - Bottom}\" y2=\"{Height - Bottom}\"/></svg>");
        svg.Append("<div class=\"legend\">");
        foreach (var (profile, _) in points)
            svg.Append(CultureInfo.InvariantCulture, $"<span class=\"sw\" style=\"background:{colors.GetValueOrDefault(profile, "#0969da")}\"></span>{Enc(profile)}");
        svg.Append(" · each point: one gateway leaving with the controller deregistering it after that lag; the rate counts requests sent inside its window</div>");
        svg.Append("<table><thead><tr><th>lag (s)</th>");
        foreach (var (profile, _) in points)
            svg.Append(CultureInfo.InvariantCulture, $"<th>{Enc(profile)}: failed / requests</th>");
        svg.Append("</tr></thead><tbody>");
        for (var i = 0; i < points[0].Points.Count; i++)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<tr><td>{points[0].Points[i].LagSeconds:0.#}{(points[0].Points[i].WithinBudget ? "" : " (past the budget)")}</td>");
            foreach (var (_, list) in points)
                svg.Append(i < list.Count ? string.Create(CultureInfo.InvariantCulture, $"<td>{Verdict(list[i].Failed == 0, $"{list[i].Failed} / {list[i].Requests} ({list[i].ErrorRate:0.00%})")}</td>") : "<td>—</td>");
            svg.Append("</tr>");
        }
        return svg.Append("</tbody></table></div>").ToString();
    }

    private static string Chart(IReadOnlyList<TimelineRow> timeline, IReadOnlyList<EventWindow> events, int maxX, double maxY,
        (string Color, Func<TimelineRow, double> Value, bool Bars)[] series)
    {
        double X(double second) => Left + second / Math.Max(1, maxX) * (Width - Left - Right);
        double Y(double v) => Height - Bottom - v / maxY * (Height - Bottom - Top);
        var svg = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"<svg viewBox=\"0 0 {Width} {Height}\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">"));
        foreach (var e in events)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{X(e.StartSeconds):0.#}\" y=\"{Top}\" width=\"{Math.Max(1, X(e.EndSeconds) - X(e.StartSeconds)):0.#}\" height=\"{Height - Bottom - Top}\" fill=\"#ffd8b5\" opacity=\"0.6\"><title>#{e.Number} {Enc(e.Pod)} terminating</title></rect>");
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"lbl\" x=\"{X(e.StartSeconds) + 2:0.#}\" y=\"{Top + 9}\">↓{Enc(e.Kind == "pod" ? e.Pod : e.Kind)}</text>");
        }
        for (var i = 0; i <= 4; i++)
        {
            var v = maxY * i / 4;
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"gridline\" x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Y(v):0.#}\" y2=\"{Y(v):0.#}\"/><text class=\"lbl\" x=\"{Left - 4}\" y=\"{Y(v) + 3:0.#}\" text-anchor=\"end\">{v:0.#}</text>");
        }
        for (var s = 0; s <= maxX; s += maxX > 150 ? 30 : 15)
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"lbl\" x=\"{X(s):0.#}\" y=\"{Height - 6}\" text-anchor=\"middle\">{s}s</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Height - Bottom}\" y2=\"{Height - Bottom}\"/>");
        var barWidth = Math.Max(1, (Width - Left - Right) / (double)Math.Max(1, maxX) * 0.8);
        foreach (var (color, value, bars) in series)
        {
            if (bars)
            {
                foreach (var t in timeline.Where(t => value(t) > 0))
                    svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{X(t.Second):0.#}\" y=\"{Y(value(t)):0.#}\" width=\"{barWidth:0.##}\" height=\"{Height - Bottom - Y(value(t)):0.#}\" fill=\"{color}\"><title>{t.Second}s: {value(t)}</title></rect>");
                continue;
            }
            var points = string.Join(' ', timeline.Select(t => string.Create(CultureInfo.InvariantCulture, $"{X(t.Second + 0.5):0.#},{Y(value(t)):0.#}")));
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.6\" points=\"{points}\"/>");
        }
        return svg.Append("</svg>").ToString();
    }

    private static void Row(StringBuilder html, string label, IReadOnlyList<(Summary Summary, IReadOnlyList<TimelineRow> Timeline)> runs, Func<Summary, string> cell)
    {
        html.Append(CultureInfo.InvariantCulture, $"<tr><td>{Enc(label)}</td>");
        foreach (var (s, _) in runs)
            html.Append(CultureInfo.InvariantCulture, $"<td>{cell(s)}</td>");
        html.Append("</tr>");
    }

    private static string Pct(double rate) => rate.ToString("0.00%", CultureInfo.InvariantCulture);

    private static string Enc(string text) => HtmlPage.Enc(text);

    private static string Verdict(bool good, string text) => HtmlPage.Verdict(good, text);
}
