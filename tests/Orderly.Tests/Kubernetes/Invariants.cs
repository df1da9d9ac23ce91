using System.Globalization;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace Orderly.Tests.Kubernetes;

/// <summary>
/// The invariants of docs/shutdown.md, checked on rendered manifests with their actual numbers. Returns every
/// violation found (an empty list means the overlay keeps them all).
/// </summary>
public static class Invariants
{
    /// <summary>Slack on top of P + X + stop timeout before kubelet's SIGKILL.</summary>
    public const int ShutdownMarginSeconds = 5;

    public static List<string> Check(Manifests m, ClusterLimits limits)
    {
        var v = new List<string>();
        void Require(bool ok, string rule) { if (!ok) v.Add(rule); }
        var t = DeployedTimings.From(m);

        // ALB health checks (limits from its documentation).
        Require(t.Interval is >= 5 and <= 300, $"health-check interval I={t.Interval} must be 5…300");
        Require(t.Timeout is >= 2 and <= 120, $"health-check timeout T={t.Timeout} must be 2…120");
        Require(t.Timeout < t.Interval, $"health-check timeout T={t.Timeout} must be below the interval I={t.Interval}");
        Require(t.Healthy is >= 2 and <= 10, $"healthy threshold {t.Healthy} must be 2…10");
        Require(t.Unhealthy is >= 2 and <= 10, $"unhealthy threshold U={t.Unhealthy} must be 2…10");
        Require(t.TargetType == "ip", $"target-type must be ip, is {t.TargetType}");
        var ns = m.Get<V1Namespace>("orderly");
        Require((ns.Metadata.Labels?.TryGetValue("elbv2.k8s.aws/pod-readiness-gate-inject", out var gate) == true && gate == "enabled"), "namespace lacks the readiness-gate injection label");

        // The shutdown timeline.
        Require(t.AssumedLag > 0, "the Ingress does not state the deregistration lag it plans for (orderly.dev/assumed-deregistration-lag-seconds)");
        Require(t.DeregistrationDelay >= t.AssumedLag + t.Drain, $"deregistration delay D={t.DeregistrationDelay} < L + X = {t.AssumedLag} + {t.Drain}");
        Require(t.GatewayPreStop >= t.Unhealthy * t.Interval + t.Timeout, $"gateway preStop P={t.GatewayPreStop} < U·I + T = {t.Unhealthy}·{t.Interval} + {t.Timeout}");
        // Past a slow controller's lag the health checks are what take a draining gateway out: they must do it before the drain ends.
        Require(t.Drain >= t.Unhealthy * t.Interval + t.Timeout, $"gateway drain X={t.Drain} < U·I + T = {t.Unhealthy}·{t.Interval} + {t.Timeout}");
        var needed = t.GatewayPreStop + t.Drain + t.StopTimeout + ShutdownMarginSeconds;
        Require(t.GatewayGrace >= needed, $"gateway grace G={t.GatewayGrace} < P + X + stop timeout + margin = {needed}");
        Require(t.SiloGrace >= t.SiloPreStop + t.StopTimeout + ShutdownMarginSeconds, $"silo grace G={t.SiloGrace} < P + stop timeout + margin");
        Require(t.Profile == "Graceful", $"Shutdown__Profile is {t.Profile}");

        foreach (var name in new[] { "gateway", "silo" })
        {
            var d = m.Get<V1Deployment>(name);
            var c = d.Spec.Template.Spec.Containers[0];
            var readiness = c.ReadinessProbe?.HttpGet?.Path;
            var liveness = c.LivenessProbe?.HttpGet?.Path;
            var failures = c.ReadinessProbe?.FailureThreshold ?? 3;
            Require(failures >= 2, $"{name} readiness failureThreshold {failures}: one slow probe takes the pod out");
            if (name == "gateway")
            {
                // Kubelet has seen the pod unready before SIGTERM too: F·period + timeout ≤ P.
                var kubeletSees = failures * (c.ReadinessProbe?.PeriodSeconds ?? 10) + (c.ReadinessProbe?.TimeoutSeconds ?? 1);
                Require(t.GatewayPreStop >= kubeletSees, $"gateway preStop P={t.GatewayPreStop} < readiness F·period + timeout = {kubeletSees}");
                Require(readiness == t.HealthPath, $"gateway readiness probe path {readiness ?? "none"} differs from the ALB health check path {t.HealthPath}");
                Require((c.ReadinessProbe?.PeriodSeconds ?? 10) <= t.Interval, $"gateway readiness period {c.ReadinessProbe?.PeriodSeconds ?? 10} exceeds the ALB interval {t.Interval}");
            }
            Require(readiness == "/health/ready", $"{name} readiness probe must be /health/ready, is {readiness ?? "none"}");
            Require(liveness == "/health/live", $"{name} liveness probe must be /health/live (never fails because of draining), is {liveness ?? "none"}");
            Require(c.StartupProbe is not null, $"{name} has no startup probe");
            Require(d.Spec.Strategy?.RollingUpdate?.MaxUnavailable?.Value == "0", $"{name} rolling update must have maxUnavailable: 0");
            Require(m.All<V1PodDisruptionBudget>().Any(p => p.Spec.Selector.MatchLabels?.TryGetValue("app.kubernetes.io/name", out var target) == true && target == name), $"{name} has no PodDisruptionBudget");
            var hpa = m.All<V2HorizontalPodAutoscaler>().FirstOrDefault(h => h.Spec.ScaleTargetRef.Name == name);
            Require(hpa is { Spec.MinReplicas: >= 2 }, $"{name} HPA minReplicas must be ≥ 2, is {hpa?.Spec.MinReplicas?.ToString(CultureInfo.InvariantCulture) ?? "no HPA"}");
            Require(d.Spec.Template.Metadata.Annotations?.ContainsKey("karpenter.sh/do-not-disrupt") != true, $"{name} pods carry karpenter.sh/do-not-disrupt");
            var grace = DeployedTimings.Grace(d);
            Require(grace <= limits.KarpenterDrainSeconds, $"{name} grace {grace}s exceeds Karpenter's node drain limit {limits.KarpenterDrainSeconds}s");
            Require(grace <= limits.ClusterAutoscalerDrainSeconds, $"{name} grace {grace}s exceeds the cluster autoscaler's {limits.ClusterAutoscalerDrainSeconds}s");
        }

        // Only the gateway is routed through the ALB (other backends may only be fixed-response actions),
        // and /metrics and /dashboard are answered by the ALB itself.
        foreach (var ingress in m.All<V1Ingress>())
        {
            var annotations = ingress.Metadata.Annotations ?? new Dictionary<string, string>();
            foreach (var path in ingress.Spec.Rules.SelectMany(r => r.Http.Paths))
            {
                var backend = path.Backend.Service;
                var isAction = backend.Port.Name == "use-annotation"
                    && annotations.TryGetValue($"alb.ingress.kubernetes.io/actions.{backend.Name}", out var action)
                    && action.Contains("fixed-response", StringComparison.Ordinal);
                Require(backend.Name == "gateway" || isAction, $"Ingress {ingress.Metadata.Name} routes {path.Path} to {backend.Name}");
                if (path.Path is "/metrics" or "/dashboard")
                    Require(isAction, $"Ingress {ingress.Metadata.Name} sends {path.Path} to a backend");
            }
            foreach (var hidden in new[] { "/metrics", "/dashboard" })
                Require(ingress.Spec.Rules.SelectMany(r => r.Http.Paths).Any(p => p.Path == hidden), $"Ingress {ingress.Metadata.Name} does not block {hidden}");
        }
        Require(!m.All<V1Service>().Any(s => s.Spec.Ports.Any(p => p.TargetPort?.Value is "management" or "5200" or "5300")),
            "a Service names a management port (gateway 5300, silo 5200)");
        return v;
    }

    /// <summary>Security settings every workload must carry.</summary>
    public static List<string> CheckSecurity(Manifests m)
    {
        var v = new List<string>();
        var pods = m.All<V1Deployment>().Select(d => (d.Metadata.Name, d.Spec.Template.Spec))
            .Concat(m.All<V1Job>().Select(j => (j.Metadata.Name, j.Spec.Template.Spec)));
        foreach (var (name, spec) in pods)
        {
            if (spec.SecurityContext?.RunAsNonRoot != true)
                v.Add($"{name}: runAsNonRoot is not set");
            foreach (var c in spec.Containers)
            {
                var s = c.SecurityContext;
                if (s?.ReadOnlyRootFilesystem != true) v.Add($"{name}/{c.Name}: root filesystem is writable");
                if (s?.AllowPrivilegeEscalation != false) v.Add($"{name}/{c.Name}: privilege escalation allowed");
                if (s?.Capabilities?.Drop?.Contains("ALL") != true) v.Add($"{name}/{c.Name}: capabilities not dropped");
                if (c.Resources?.Requests is null || c.Resources.Limits is null) v.Add($"{name}/{c.Name}: no resource requests/limits");
                if (c.Env?.Any(e => e.Name.Contains("Connection", StringComparison.Ordinal) && e.Value is not null) == true)
                    v.Add($"{name}/{c.Name}: a connection string is written in the manifest");
            }
        }
        return v;
    }
}

/// <summary>How long the node-level drainers wait for pods: Karpenter's NodePool and the cluster autoscaler.</summary>
public sealed record ClusterLimits(int KarpenterDrainSeconds, int ClusterAutoscalerDrainSeconds)
{
    public static ClusterLimits Read(string clusterDir)
    {
        var karpenter = new YamlStream();
        karpenter.Load(new StringReader(File.ReadAllText(Path.Combine(clusterDir, "karpenter.yaml"))));
        var nodePool = karpenter.Documents.Select(d => (YamlMappingNode)d.RootNode)
            .Single(n => ((YamlScalarNode)n["kind"]).Value == "NodePool");
        var grace = ((YamlScalarNode)((YamlMappingNode)((YamlMappingNode)nodePool["spec"])["template"])["spec"]["terminationGracePeriod"]).Value!;
        var ca = new YamlStream();
        ca.Load(new StringReader(File.ReadAllText(Path.Combine(clusterDir, "cluster-autoscaler-values.yaml"))));
        var caSeconds = ((YamlScalarNode)((YamlMappingNode)((YamlMappingNode)ca.Documents[0].RootNode)["extraArgs"])["max-graceful-termination-sec"]).Value!;
        return new ClusterLimits((int)ParseDuration(grace).TotalSeconds, int.Parse(caSeconds, CultureInfo.InvariantCulture));
    }

    /// <summary>Go-style durations as Karpenter writes them: 90s, 10m, 1h30m.</summary>
    public static TimeSpan ParseDuration(string text)
    {
        var total = TimeSpan.Zero;
        var number = "";
        foreach (var ch in text)
        {
            if (char.IsDigit(ch)) { number += ch; continue; }
            var n = int.Parse(number, CultureInfo.InvariantCulture);
            total += ch switch { 'h' => TimeSpan.FromHours(n), 'm' => TimeSpan.FromMinutes(n), 's' => TimeSpan.FromSeconds(n), _ => throw new FormatException(text) };
            number = "";
        }
        return total;
    }
}
