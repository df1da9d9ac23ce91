using System.Globalization;
using k8s.Models;

namespace Orderly.Tests.Kubernetes;

/// <summary>
/// The timing numbers of the shutdown timeline (docs/shutdown.md) as an overlay actually sets them, with the ALB's
/// documented defaults where an annotation is absent (interval 15 s, timeout 5 s, healthy 5,
/// unhealthy 2, target type instance, path "/", deregistration delay 300 s, idle timeout 60 s).
/// </summary>
public sealed record DeployedTimings(
    int GatewayPreStop, int SiloPreStop, int Drain, int GatewayGrace, int SiloGrace, int StopTimeout,
    int Interval, int Timeout, int Healthy, int Unhealthy, string TargetType, string HealthPath,
    int DeregistrationDelay, int IdleTimeout, int AssumedLag, string Profile)
{
    public static DeployedTimings From(Manifests m)
    {
        var gateway = m.Get<V1Deployment>("gateway");
        var silo = m.Get<V1Deployment>("silo");
        var config = m.Get<V1ConfigMap>("orderly-config").Data;
        var a = m.Get<V1Ingress>("gateway").Metadata.Annotations ?? new Dictionary<string, string>();
        int Ann(string key, int @default) => a.TryGetValue("alb.ingress.kubernetes.io/" + key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : @default;
        int Attribute(string annotation, string key, int @default)
        {
            if (!a.TryGetValue("alb.ingress.kubernetes.io/" + annotation, out var attributes))
                return @default;
            var pair = attributes.Split(',').Select(p => p.Split('=')).FirstOrDefault(p => p[0].Trim() == key);
            return pair is null ? @default : int.Parse(pair[1], CultureInfo.InvariantCulture);
        }
        var profile = config.TryGetValue("Shutdown__Profile", out var p) ? p : "Graceful";
        return new DeployedTimings(
            PreStop(gateway), PreStop(silo),
            profile == "Naive" ? 0 : int.Parse(Env(gateway, "Shutdown__DrainSeconds") ?? "15", CultureInfo.InvariantCulture),
            Grace(gateway), Grace(silo),
            int.Parse(config.TryGetValue("Shutdown__StopTimeoutSeconds", out var st) ? st : "20", CultureInfo.InvariantCulture),
            Ann("healthcheck-interval-seconds", 15), Ann("healthcheck-timeout-seconds", 5),
            Ann("healthy-threshold-count", 5), Ann("unhealthy-threshold-count", 2),
            a.TryGetValue("alb.ingress.kubernetes.io/target-type", out var tt) ? tt : "instance",
            a.TryGetValue("alb.ingress.kubernetes.io/healthcheck-path", out var hp) ? hp : "/",
            Attribute("target-group-attributes", "deregistration_delay.timeout_seconds", 300),
            Attribute("load-balancer-attributes", "idle_timeout.timeout_seconds", 60),
            a.TryGetValue("orderly.dev/assumed-deregistration-lag-seconds", out var lag) ? int.Parse(lag, CultureInfo.InvariantCulture) : 0,
            profile);
    }

    public static int PreStop(V1Deployment d) => (int?)(d.Spec.Template.Spec.Containers[0].Lifecycle?.PreStop?.Sleep?.Seconds) ?? 0;

    /// <summary>terminationGracePeriodSeconds, or Kubernetes' default of 30.</summary>
    public static int Grace(V1Deployment d) => (int)(d.Spec.Template.Spec.TerminationGracePeriodSeconds ?? 30);

    public static string? Env(V1Deployment d, string name) =>
        d.Spec.Template.Spec.Containers[0].Env?.FirstOrDefault(e => e.Name == name)?.Value;
}
