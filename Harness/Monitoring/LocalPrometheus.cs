using System.Globalization;
using System.Text;
using Orderly.Harness.Cluster;

namespace Orderly.Harness.Monitoring;

/// <summary>
/// A real Prometheus (Debian's package) for the local cluster: it scrapes every management port with
/// the labels the rules expect on EKS (app, namespace, pod) and evaluates the same rules file
/// (<see cref="RulesFile"/>), every 2 s so alerts show within seconds. Its data lives in
/// .orderly/prometheus/data; it is a process like the others (pid file, log, stopped by down).
/// </summary>
public static class LocalPrometheus
{
    public const string Name = "prometheus";
    public const int IntervalSeconds = 2;
    /// <summary>The namespace label locally, the one the manifests deploy to.</summary>
    public const string Namespace = "orderly";

    public static string Dir(ClusterLayout layout) => Path.Combine(layout.State, "prometheus");
    public static string ConfigFile(ClusterLayout layout) => Path.Combine(Dir(layout), "prometheus.yml");
    public static string RulesPath(ClusterLayout layout) => Path.Combine(Dir(layout), "rules.yml");
    public static string DataDir(ClusterLayout layout) => Path.Combine(Dir(layout), "data");

    /// <summary>The configuration: one scrape job, a static target per gateway and silo management port.</summary>
    public static string RenderConfig(ClusterLayout layout, int silos, int gateways)
    {
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"""
            # Written by ./orderly up (Harness/Monitoring/LocalPrometheus.cs); rewritten at every start.
            global:
              scrape_interval: {IntervalSeconds}s
              scrape_timeout: {IntervalSeconds}s
              evaluation_interval: {IntervalSeconds}s
            rule_files:
              - {RulesPath(layout)}
            scrape_configs:
              - job_name: orderly
                metrics_path: /metrics
                static_configs:
            """);
        void Target(string app, string pod, int port) => s.AppendLine(CultureInfo.InvariantCulture, $"""
                  - targets: ["127.0.0.1:{port}"]
                    labels: {"{"}app: {app}, pod: {pod}, namespace: {Namespace}{"}"}
            """);
        for (var i = 0; i < gateways; i++)
            Target("gateway", ClusterLayout.GatewayName(i), ClusterLayout.GatewayManagementPort(i));
        for (var i = 0; i < silos; i++)
            Target("silo", ClusterLayout.SiloName(i), ClusterLayout.SiloManagementPort(i));
        return s.ToString();
    }

    /// <summary>Writes the rules and the configuration, checks both with promtool, and starts Prometheus.</summary>
    public static async Task<ManagedProcess> StartAsync(ClusterLayout layout, int silos, int gateways, CancellationToken cancellationToken)
    {
        RulesFile.WriteTo(layout.Root, RulesPath(layout));
        await File.WriteAllTextAsync(ConfigFile(layout), RenderConfig(layout, silos, gateways), cancellationToken);
        var check = await Tool.RunAsync("promtool", ["check", "config", ConfigFile(layout)], cancellationToken);
        if (check.ExitCode != 0)
            throw new ClusterException($"promtool rejected {ConfigFile(layout)}: {check.Printed}");
        Directory.CreateDirectory(DataDir(layout));
        return ManagedProcess.Start(layout, Name, "prometheus",
        [
            $"--config.file={ConfigFile(layout)}",
            $"--storage.tsdb.path={DataDir(layout)}",
            "--storage.tsdb.retention.time=1d",
            $"--web.listen-address=127.0.0.1:{ClusterLayout.PrometheusPort}",
        ]);
    }
}
