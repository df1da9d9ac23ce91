using System.Diagnostics;
using System.Text.Json;
using Orderly.Harness.Emulation;
using Orderly.Harness.Experiment;
using Orderly.LoadClient.Reporting;
using Orderly.LoadClient.Verify;
using Orderly.LoadClient.Load;
using Xunit.Abstractions;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Experiment;

[Trait(Tiers.Name, Tiers.Full)]
public sealed class ExperimentTests(ShortExperiment run, ITestOutputHelper output) : IClassFixture<ShortExperiment>
{
    private Summary Profile(string name) => run.Summaries.Single(s => s.Profile == name);

    [Fact]
    public void Graceful_fails_no_request_and_loses_or_duplicates_no_order()
    {
        output.WriteLine(run.Output);
        var graceful = Profile("graceful");
        Assert.True(graceful.Requests > 500, $"too little load to mean anything: {graceful.Requests}");
        Assert.Equal(0, graceful.Failed);
        Assert.Equal(0, graceful.OrdersLost);
        Assert.Equal(0, graceful.OrdersDuplicated);
        Assert.True(graceful.Anomalies.Total == 0, string.Join("; ", graceful.Anomalies.Examples));
        Assert.True(graceful.OrdersAcknowledged > 50);
        Assert.All(graceful.Events, e => Assert.Equal("exit 0", e.Outcome));
        // p99 inside the scale-down windows against the rest: both sides saw requests.
        Assert.True(graceful.ScaleDownLatencyMs.SteadyP99 > 0 && graceful.ScaleDownLatencyMs.WindowP99 > 0, $"{graceful.ScaleDownLatencyMs}");
    }

    [Fact]
    public void Graceful_holds_for_every_event_kind_and_both_client_kinds()
    {
        var graceful = Profile("graceful");
        Assert.Equal(EventKinds.All.Select(k => k.Name()), graceful.ByEventKind!.Select(k => k.Kind));
        Assert.All(graceful.ByEventKind!, k =>
        {
            Assert.Equal(1, k.Events);
            Assert.True(k.RequestsInWindows > 0, $"{k.Kind}: no request inside its window");
            Assert.Equal(0, k.FailedInWindows);
        });
        Assert.Equal([ConnectionModes.KeepAliveName, ConnectionModes.NewPerRequestName], graceful.ByClient!.Select(c => c.Client));
        Assert.All(graceful.ByClient!, c => Assert.True(c.Requests > 100 && c.Failed == 0, $"{c}"));
        // Both pods of the node drained went through the eviction path and left cleanly.
        var drain = graceful.Events.Single(e => e.Kind == "node-drain");
        Assert.Equal(2, drain.Pod.Split(',').Length);
        Assert.Contains("gateway-", drain.Pod, StringComparison.Ordinal);
        Assert.Contains("silo-", drain.Pod, StringComparison.Ordinal);
        // The rollout replaced every pod of its tier; the hpa-step removed two at once.
        Assert.Equal(ShortExperiment.Replicas, graceful.Events.Single(e => e.Kind == "rollout").Pod.Split(',').Length);
        Assert.Equal(2, graceful.Events.Single(e => e.Kind == "hpa-step").Pod.Split(',').Length);
    }

    [Fact]
    public void Naive_fails_requests_inside_the_scale_down_windows()
    {
        var naive = Profile("naive");
        Assert.True(naive.Failed > 0);
        Assert.True(naive.ScaleDownWindowErrorRate > 0);
        Assert.Equal(0, naive.OrdersLost); // failed requests are failures, never silently lost orders
        // Every kind in which a gateway leaves shows it.
        Assert.All(naive.ByEventKind!.Where(k => k.Kind is "pod" or "node-drain"), k => Assert.True(k.FailedInWindows > 0, $"{k.Kind}: naive failed nothing"));
    }

    [Fact]
    public void Both_profiles_ran_the_same_schedule()
    {
        var (naive, graceful) = (Profile("naive"), Profile("graceful"));
        Assert.Equal(ShortExperiment.Events, naive.ScaleDownEvents);
        Assert.Equal(naive.Events.Select(e => (e.Kind, e.Tier, e.DeregistrationLagSeconds, e.Description)), graceful.Events.Select(e => (e.Kind, e.Tier, e.DeregistrationLagSeconds, e.Description)));
        Assert.Contains(naive.Events, e => e.Tier == Tier.Gateway);
        Assert.Contains(naive.Events, e => e.Tier == Tier.Silo);
        Assert.Equal(naive.DurationSeconds, graceful.DurationSeconds);
    }

    [Theory]
    [InlineData("naive")]
    [InlineData("graceful")]
    public async Task Summary_and_timeline_parse_and_agree(string profile)
    {
        var dir = Path.Combine(run.OutDir, profile);
        using var raw = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir, "summary.json")));
        foreach (var field in new[] { "profile", "sessions", "durationSeconds", "requests", "succeeded", "failed", "failuresByKind", "errorRate",
                     "scaleDownEvents", "scaleDownWindowErrorRate", "latencyMs", "ordersAcknowledged", "ordersLost", "ordersDuplicated",
                     "byEventKind", "byClient", "machineCpu", "shape" })
            Assert.True(raw.RootElement.TryGetProperty(field, out _), $"summary.json lacks {field}");

        var (summary, timeline) = await Results.ReadAsync(dir);
        Assert.Equal(summary.Requests, timeline.Sum(r => r.Requests));
        Assert.Equal(summary.Failed, timeline.Sum(r => r.Failures));
        Assert.Equal(summary.Requests - summary.Failed, summary.Succeeded);
        foreach (var kind in FailureKind.All)
            Assert.Equal(summary.FailuresByKind[kind], timeline.Sum(r => r.ByKind[kind]));
        Assert.All(timeline, r => Assert.Equal(r.Failures, FailureKind.All.Sum(k => r.ByKind[k])));
        var windows = Results.WindowSeconds(summary.Events);
        var inWindows = timeline.Where(r => windows.Contains(r.Second)).ToList();
        var rate = inWindows.Sum(r => r.Requests) == 0 ? 0 : Math.Round((double)inWindows.Sum(r => r.Failures) / inWindows.Sum(r => r.Requests), 4);
        Assert.Equal(summary.ScaleDownWindowErrorRate, rate);
        Assert.Equal((int)Math.Ceiling(summary.DurationSeconds), timeline.Count);
        // Replicas dip during a scale-down (the hpa-step takes silos 4→2) and come back.
        Assert.Contains(timeline, r => r.Gateways == ShortExperiment.Replicas - 1);
        Assert.Contains(timeline, r => r.Silos == 2);
        Assert.Equal(ShortExperiment.Replicas, timeline[^1].Gateways);
        // Windows never overlap, so the kinds split the window requests between them; clients split all of them.
        Assert.Equal(inWindows.Sum(r => r.Requests), summary.ByEventKind!.Sum(k => k.RequestsInWindows));
        Assert.Equal(summary.Requests, summary.ByClient!.Sum(c => c.Requests));
        Assert.Equal(summary.Failed, summary.ByClient!.Sum(c => c.Failed));
        Assert.True(summary.MachineCpu!.Seconds > timeline.Count / 2, "CPU was not sampled every second");
        Assert.All(timeline.Where(r => r.CpuPercent is not null), r => Assert.InRange(r.CpuPercent!.Value, 0, 100));
    }

    [Fact]
    public async Task The_report_renders_offline_in_a_real_headless_browser()
    {
        var report = Path.Combine(run.OutDir, "report.html");
        var html = await File.ReadAllTextAsync(report);
        // Nothing to fetch: the only URL is the SVG namespace.
        var external = System.Text.RegularExpressions.Regex.Matches(html, @"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^""'\s]*")
            .Select(m => m.Value).Where(u => u != "http://www.w3.org/2000/svg").ToList();
        Assert.Empty(external);
        Assert.DoesNotContain("<script src", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<link", html, StringComparison.Ordinal);

        var screenshot = Path.Combine(run.OutDir, "report.png");
        var dom = await HeadlessChromium.RunAsync(report, $"--dump-dom");
        await HeadlessChromium.RunAsync(report, $"--screenshot={screenshot}", "--window-size=1280,1800");

        Assert.Contains("id=\"profile-naive\"", dom, StringComparison.Ordinal);
        Assert.Contains("id=\"profile-graceful\"", dom, StringComparison.Ordinal);
        Assert.True(dom.Split("<polyline").Length > 6, "charts did not render");
        Assert.True(new FileInfo(screenshot).Length > 20_000, "the screenshot is (nearly) blank");
    }
}
