using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Orderly.Harness.Cluster;
using Orderly.Harness.Monitoring;
using Orderly.Tests.Kubernetes;
using Xunit.Abstractions;

namespace Orderly.Tests.Monitoring;

/// <summary>
/// Alerts as code: the PrometheusRule of k8s/monitoring checked by the real promtool (check rules, and the
/// unit tests in orderly-rules.test.yml), against the Prometheus Operator's CRD schema, and against its runbook.
/// </summary>
public sealed partial class AlertRulesTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_rules_pass_promtool_check_and_every_unit_test()
    {
        using var dir = new RuleTestDir();
        var check = await Promtool(dir.Path, "check", "rules", RuleTestDir.RulesName);
        Assert.True(check.ExitCode == 0, check.Printed);
        var test = await Promtool(dir.Path, "test", "rules", RuleTestDir.TestsName);
        output.WriteLine(test.Printed);
        Assert.True(test.ExitCode == 0, test.Printed);
    }

    [Fact]
    public async Task Promtool_fails_the_unit_tests_when_a_rule_stops_firing()
    {
        // The same tests against rules whose silo alert can no longer fire: promtool must say so.
        using var dir = new RuleTestDir(rules => rules.Replace("orderly:silos_in_ring:min < max_over_time", "orderly:silos_in_ring:min > max_over_time", StringComparison.Ordinal));
        var test = await Promtool(dir.Path, "test", "rules", RuleTestDir.TestsName);
        Assert.NotEqual(0, test.ExitCode);
        Assert.Contains("OrderlySiloLeft", test.Printed, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_alert_has_a_unit_test_where_it_fires_and_one_where_it_does_not()
    {
        var tests = StrictSchema.LoadYaml(File.ReadAllText(MonitoringObjects.RuleTestsFile))[0]["tests"]!.AsArray()
            .SelectMany(t => t!["alert_rule_test"]?.AsArray() ?? []).Select(t => t!).ToList();
        foreach (var alert in MonitoringObjects.Alerts.Select(a => a["alert"]!.GetValue<string>()))
        {
            var mine = tests.Where(t => t["alertname"]!.GetValue<string>() == alert).ToList();
            Assert.True(mine.Any(t => t["exp_alerts"]!.AsArray().Count > 0), $"{alert}: no unit test where it fires");
            Assert.True(mine.Any(t => t["exp_alerts"]!.AsArray().Count == 0), $"{alert}: no unit test where it stays quiet");
        }
    }

    [Fact]
    public void Every_alert_has_a_severity_a_summary_a_description_and_a_runbook_section_in_docs()
    {
        var runbook = File.ReadAllText(Path.Combine(MonitoringObjects.Root, "docs", "alerts.md"));
        var anchors = Heading().Matches(runbook).Select(m => m.Groups[1].Value.Trim().ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(MonitoringObjects.Alerts);
        foreach (var alert in MonitoringObjects.Alerts)
        {
            var name = alert["alert"]!.GetValue<string>();
            Assert.Matches("^(critical|warning|info)$", alert["labels"]?["severity"]?.GetValue<string>() ?? "");
            foreach (var key in new[] { "summary", "description", "runbook" })
                Assert.False(string.IsNullOrWhiteSpace(alert["annotations"]?[key]?.GetValue<string>()), $"{name}: no {key}");
            Assert.Equal($"docs/alerts.md#{name.ToLowerInvariant()}", alert["annotations"]!["runbook"]!.GetValue<string>());
            Assert.Contains(name.ToLowerInvariant(), anchors);
        }
    }

    [Fact]
    public async Task The_monitoring_objects_are_valid_for_the_Prometheus_Operator_CRD_and_Kubernetes()
    {
        var docs = StrictSchema.LoadYaml(await Manifests.KustomizeAsync(MonitoringObjects.Dir));
        var (crd, root) = StrictSchema.FromFile("monitoring.coreos.com_v1_PrometheusRule.json");
        var rule = docs.Single(d => (string?)d["kind"] == "PrometheusRule");
        Assert.Equal("monitoring.coreos.com/v1", (string?)rule["apiVersion"]);
        Assert.Equal("orderly", (string?)rule["metadata"]!["namespace"]);
        Assert.Empty(crd.Validate(rule, root));
        // The rules file Prometheus reads locally is the PrometheusRule's spec, nothing else.
        Assert.True(JsonNode.DeepEquals(rule["spec"], MonitoringObjects.Rules));

        var kubernetes = StrictSchema.Kubernetes("1.35");
        var dashboard = docs.Single(d => (string?)d["kind"] == "ConfigMap");
        Assert.Empty(kubernetes.Validate(dashboard));
        Assert.Equal("orderly-dashboard", (string?)dashboard["metadata"]!["name"]);
        Assert.Equal("orderly", (string?)dashboard["metadata"]!["namespace"]);
        Assert.Equal("1", (string?)dashboard["metadata"]!["labels"]!["grafana_dashboard"]);
        Assert.Equal(File.ReadAllText(MonitoringObjects.DashboardFile), (string?)dashboard["data"]!["orderly-dashboard.json"]);
        Assert.Equal(2, docs.Count);
    }

    [Fact]
    public void The_CRD_schema_refuses_a_rule_the_API_server_would_refuse()
    {
        var (crd, root) = StrictSchema.FromFile("monitoring.coreos.com_v1_PrometheusRule.json");
        var rule = StrictSchema.LoadYaml(File.ReadAllText(Path.Combine(MonitoringObjects.Dir, "prometheus-rule.yaml")))[0];
        var first = rule["spec"]!["groups"]![1]!["rules"]![0]!.AsObject();
        first["for"] = "two minutes";
        first["severity"] = "critical";
        var errors = crd.Validate(rule, root);
        Assert.Contains(errors, e => e.Contains(".for", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains(".severity: unknown field", StringComparison.Ordinal));
    }

    [Fact]
    public void The_dashboard_has_the_three_views_and_every_panel_queries_Prometheus()
    {
        var dashboard = JsonNode.Parse(File.ReadAllText(MonitoringObjects.DashboardFile))!;
        var panels = dashboard["panels"]!.AsArray().Select(p => p!).ToList();
        Assert.Equal(["Scale-down", "Orleans", "Database"], panels.Where(p => (string?)p["type"] == "row").Select(p => (string)p["title"]!));
        Assert.All(panels.Where(p => (string?)p["type"] != "row"), p => Assert.NotEmpty(p["targets"]!.AsArray()));
        Assert.Equal(panels.Count, panels.Select(p => (int)p["id"]!).Distinct().Count());
        var used = MonitoringObjects.UsedSeries();
        foreach (var name in new[] { "kube_deployment_status_replicas", "kube_pod_deletion_timestamp", "orderly_orders_storage_reads_total", "orderly_orders_arrived_warm_total", "orderly_db_connections_refused_total" })
            Assert.Contains(name, used);
    }

    [Fact]
    public void Kubernetes_series_are_only_those_kube_state_metrics_exports()
    {
        var kube = MonitoringObjects.UsedSeries().Where(n => n.StartsWith("kube_", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(kube);
        Assert.All(kube, n => Assert.Contains(n, MonitoringObjects.KubeStateMetrics));
    }

    [Fact]
    public void Series_names_are_read_from_PromQL_without_functions_labels_keywords_or_durations()
    {
        var names = PromQl.SeriesNames("""
            histogram_quantile(0.99, sum by (namespace, le) (rate(http_server_request_duration_seconds_bucket{app="gateway", http_route!~"/health/.*"}[5m])))
              and on (namespace) count by (namespace) ((x_total unless x_total offset 5m) > 0) or vector(0) or orderly:rec:rate1m
            """);
        Assert.Equal(["http_server_request_duration_seconds_bucket", "orderly:rec:rate1m", "x_total"], names.Order(StringComparer.Ordinal));
    }

    private static Task<Tool.Result> Promtool(string dir, params string[] args) =>
        Tool.RunAsync("promtool", args, CancellationToken.None, workingDirectory: dir, timeout: TimeSpan.FromMinutes(1));

    [GeneratedRegex(@"^##\s+(.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    /// <summary>A temporary folder with the extracted rules and the unit tests side by side, as the tests' rule_files expects.</summary>
    private sealed class RuleTestDir : IDisposable
    {
        public const string RulesName = "orderly-rules.yml";
        public const string TestsName = "orderly-rules.test.yml";
        private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("orderly-rules-");

        public RuleTestDir(Func<string, string>? change = null)
        {
            var rules = RulesFile.Extract(RulesFile.Source(MonitoringObjects.Root));
            File.WriteAllText(System.IO.Path.Combine(_dir.FullName, RulesName), change is null ? rules : change(rules));
            File.Copy(MonitoringObjects.RuleTestsFile, System.IO.Path.Combine(_dir.FullName, TestsName));
        }

        public string Path => _dir.FullName;

        public void Dispose() => _dir.Delete(recursive: true);
    }
}
