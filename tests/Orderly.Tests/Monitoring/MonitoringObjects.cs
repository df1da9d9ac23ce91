using System.Text.Json.Nodes;
using Orderly.Harness.Monitoring;
using Orderly.Tests.Infrastructure;
using Orderly.Tests.Kubernetes;

namespace Orderly.Tests.Monitoring;

/// <summary>k8s/monitoring: the PrometheusRule (the rules' one source) and the Grafana dashboard, as the tests read them.</summary>
public static class MonitoringObjects
{
    public static string Root => TestDatabase.Layout.Root;
    public static string Dir => Path.Combine(Root, "k8s", "monitoring");
    public static string DashboardFile => Path.Combine(Dir, "orderly-dashboard.json");
    public static string RuleTestsFile => Path.Combine(Root, "tests", "Orderly.Tests", "Monitoring", "orderly-rules.test.yml");

    /// <summary>
    /// The kube-state-metrics series the rules and the dashboard may use (kube-state-metrics' docs/metrics
    /// pod and deployment tables); a local cluster has no kube-state-metrics, so these are checked against this list.
    /// </summary>
    public static readonly IReadOnlySet<string> KubeStateMetrics = new HashSet<string>(StringComparer.Ordinal)
    {
        "kube_deployment_spec_replicas",
        "kube_deployment_status_replicas",
        "kube_pod_deletion_timestamp",
        "kube_pod_container_status_ready",
        "kube_pod_status_ready",
    };

    /// <summary>The rules file the PrometheusRule carries, parsed.</summary>
    public static JsonNode Rules => StrictSchema.LoadYaml(RulesFile.Extract(RulesFile.Source(Root)))[0];

    public static IEnumerable<JsonNode> AllRules => Rules["groups"]!.AsArray().SelectMany(g => g!["rules"]!.AsArray()).Select(r => r!);

    public static IEnumerable<JsonNode> Alerts => AllRules.Where(r => r["alert"] is not null);

    public static IEnumerable<string> RuleExpressions => AllRules.Select(r => r["expr"]!.ToString());

    public static IEnumerable<string> DashboardExpressions =>
        JsonNode.Parse(File.ReadAllText(DashboardFile))!["panels"]!.AsArray()
            .SelectMany(p => p!["targets"]?.AsArray() ?? [])
            .Select(t => t!["expr"]!.GetValue<string>());

    /// <summary>Every series name the rules and the dashboard read, recording rules' own names left out.</summary>
    public static IReadOnlySet<string> UsedSeries()
    {
        var recorded = AllRules.Where(r => r["record"] is not null).Select(r => r["record"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        return RuleExpressions.Concat(DashboardExpressions).SelectMany(PromQl.SeriesNames).Where(n => !recorded.Contains(n)).ToHashSet(StringComparer.Ordinal);
    }
}
