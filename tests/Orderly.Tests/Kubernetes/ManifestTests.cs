using Orderly.LoadClient.Kubernetes;
using k8s;
using k8s.Models;
using Orderly.Harness.Emulation;
using Orderly.Harness.Experiment;
using Orderly.LoadClient.Reporting;
using Orderly.LoadClient.Verify;
using Xunit.Abstractions;

namespace Orderly.Tests.Kubernetes;

/// <summary>The manifests a platform team applies: rendered, parsed strictly, and held to the invariants of docs/shutdown.md.</summary>
public sealed class ManifestTests(ITestOutputHelper output)
{
    private static readonly ClusterLimits Limits = ClusterLimits.Read(Path.Combine(Manifests.K8sDir, "cluster"));

    [Theory]
    [InlineData("eks")]
    [InlineData("naive")]
    public async Task Both_overlays_render_and_parse_strictly_into_Kubernetes_models(string overlay)
    {
        var m = await Manifests.RenderAsync(overlay);
        Assert.NotNull(m.Find<V1Deployment>("gateway"));
        Assert.NotNull(m.Find<V1Deployment>("silo"));
        Assert.NotNull(m.Find<V1Ingress>("gateway"));
        // Cluster-scoped: the namespace itself and the admission policy that guards the gateways' readiness gate.
        static bool ClusterScoped(object o) => o is V1Namespace or V1ValidatingAdmissionPolicy or V1ValidatingAdmissionPolicyBinding;
        Assert.All(m.Objects.OfType<IKubernetesObject<V1ObjectMeta>>().Where(o => !ClusterScoped(o)), o => Assert.Equal("orderly", o.Metadata.NamespaceProperty));
        Assert.All(m.Objects.OfType<IKubernetesObject<V1ObjectMeta>>().Where(ClusterScoped).Where(o => o is not V1Namespace), o => Assert.Null(o.Metadata.NamespaceProperty));
        Assert.NotNull((await Manifests.RenderDirAsync("schema")).Find<V1Job>("schema"));
    }

    [Fact]
    public void Strict_parsing_rejects_a_field_Kubernetes_does_not_know()
    {
        const string yaml = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: x
            spec:
              replicas: 1
              terminationGracePeriod: 30
            """;
        Assert.ThrowsAny<Exception>(() => KubernetesYaml.LoadAllFromString(yaml, strict: true));
    }

    [Fact]
    public async Task The_eks_overlay_keeps_every_invariant_with_its_actual_numbers()
    {
        var m = await Manifests.RenderAsync("eks");
        var t = DeployedTimings.From(m);
        output.WriteLine(t.ToString());
        Assert.Empty(Invariants.Check(m, Limits));
        Assert.Empty(Invariants.CheckSecurity(m));
        // The arithmetic, spelled out with the numbers that are deployed.
        Assert.True(t.GatewayPreStop >= t.Unhealthy * t.Interval + t.Timeout);
        var readiness = m.Get<V1Deployment>("gateway").Spec.Template.Spec.Containers[0].ReadinessProbe;
        Assert.True(t.GatewayPreStop >= readiness.FailureThreshold * readiness.PeriodSeconds + readiness.TimeoutSeconds);
        Assert.True(t.GatewayGrace >= t.GatewayPreStop + t.Drain + t.StopTimeout + Invariants.ShutdownMarginSeconds);
        Assert.True(t.DeregistrationDelay >= t.AssumedLag + t.Drain);
        Assert.True(t.Timeout < t.Interval && t.Interval >= 5);
    }

    [Fact]
    public async Task The_naive_overlay_is_reported_with_its_violations()
    {
        var violations = Invariants.Check(await Manifests.RenderAsync("naive"), Limits);
        foreach (var v in violations)
            output.WriteLine(v);
        Assert.Contains(violations, v => v.StartsWith("target-type must be ip", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("namespace lacks the readiness-gate", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("gateway preStop P=0 < U·I + T = 2·15 + 5", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("gateway drain X=0 < U·I + T = 2·15 + 5", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("gateway readiness probe must be /health/ready", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("gateway rolling update must have maxUnavailable: 0", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("silo has no PodDisruptionBudget", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("gateway HPA minReplicas must be ≥ 2, is 1", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("Shutdown__Profile is Naive", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("graceful", "eks")]
    [InlineData("naive", "naive")]
    public async Task The_local_experiment_uses_the_timings_that_are_deployed(string profile, string overlay)
    {
        var local = PodTimings.For(profile);
        var deployed = DeployedTimings.From(await Manifests.RenderAsync(overlay));
        Assert.Equal(deployed.GatewayPreStop, local.GatewayPreStopSeconds);
        Assert.Equal(deployed.SiloPreStop, local.SiloPreStopSeconds);
        Assert.Equal(deployed.Drain, local.GatewayDrainSeconds);
        Assert.Equal(deployed.GatewayGrace, local.GraceSeconds);
        Assert.Equal(deployed.SiloGrace, local.GraceSeconds);
        Assert.Equal(deployed.Interval, local.HealthCheckIntervalSeconds);
        Assert.Equal(deployed.Timeout, local.HealthCheckTimeoutSeconds);
        Assert.Equal(deployed.Healthy, local.HealthyThreshold);
        Assert.Equal(deployed.Unhealthy, local.UnhealthyThreshold);
        // The typical lag the experiment draws is what the manifests plan for; its tail goes past it on purpose.
        Assert.True(local.DeregistrationLagMedianSeconds <= deployed.AssumedLag);
        Assert.Equal(Orderly.Harness.Cluster.HaproxyConfig.IdleTimeoutSeconds, deployed.IdleTimeout);
    }

    [Theory]
    [InlineData("graceful", "eks")]
    [InlineData("naive", "naive")]
    public async Task The_local_experiment_rolls_out_and_evicts_with_the_strategy_and_budgets_that_are_deployed(string profile, string overlay)
    {
        var local = PodTimings.For(profile);
        var m = await Manifests.RenderAsync(overlay);
        foreach (var name in new[] { "gateway", "silo" })
        {
            var deployment = m.Get<V1Deployment>(name);
            // An absent rollingUpdate means Kubernetes' defaults, 25 % and 25 %.
            var rolling = deployment.Spec.Strategy?.RollingUpdate;
            Assert.Equal(rolling?.MaxSurge?.Value ?? "25%", local.RollingMaxSurge);
            Assert.Equal(rolling?.MaxUnavailable?.Value ?? "25%", local.RollingMaxUnavailable);
            Assert.Equal(deployment.Spec.MinReadySeconds ?? 0, local.MinReadySeconds);
            var budget = m.All<V1PodDisruptionBudget>().SingleOrDefault(p => p.Spec.Selector.MatchLabels is { } labels && labels.TryGetValue("app.kubernetes.io/name", out var target) && target == name);
            Assert.Equal(budget?.Spec.MaxUnavailable is { } max ? int.Parse(max.Value, System.Globalization.CultureInfo.InvariantCulture) : null, local.DisruptionMaxUnavailable);
        }
    }

    [Fact]
    public async Task Workloads_run_as_non_root_on_read_only_filesystems_with_no_secret_in_the_manifests()
    {
        var m = await Manifests.RenderAsync("eks");
        Assert.Empty(Invariants.CheckSecurity(m));
        Assert.Empty(Invariants.CheckSecurity(await Manifests.RenderAsync("eks/loadclient")));
        Assert.Empty(Invariants.CheckSecurity(await Manifests.RenderDirAsync("schema")));
        Assert.DoesNotContain(m.All<V1Secret>(), s => true);
        var rendered = await Manifests.KustomizeAsync(Path.Combine(Manifests.K8sDir, "overlays", "eks"));
        Assert.DoesNotContain("Password=", rendered, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Gateways_reach_silos_and_only_silos_and_the_schema_job_reach_the_database()
    {
        var m = await Manifests.RenderAsync("eks");
        static bool AllowsPort(V1NetworkPolicy p, int port) =>
            p.Spec.Egress?.Any(e => e.Ports?.Any(x => x.Port?.Value == port.ToString(System.Globalization.CultureInfo.InvariantCulture)) == true) == true;
        Assert.Contains(m.All<V1NetworkPolicy>(), p => p.Metadata.Name == "default-deny" && p.Spec.PodSelector.MatchLabels is null);
        var dbAllowed = m.All<V1NetworkPolicy>().Where(p => AllowsPort(p, 5432)).Select(p => p.Metadata.Name).Order().ToList();
        Assert.Equal(["schema", "silo"], dbAllowed);
        var siloIngress = m.Get<V1NetworkPolicy>("silo").Spec.Ingress!;
        var gatewayPort = siloIngress.Single(r => r.Ports.Any(p => p.Port.Value == "30000"));
        Assert.Equal("gateway", gatewayPort.FromProperty.Single().PodSelector.MatchLabels["app.kubernetes.io/name"]);
        // Gateways find silos by DNS, so they are given no database connection string at all.
        Assert.Null(m.Get<V1Deployment>("gateway").Spec.Template.Spec.Containers[0].Env.FirstOrDefault(e => e.Name.StartsWith("ConnectionStrings", StringComparison.Ordinal)));
        Assert.Equal("None", m.Get<V1Service>("orleans-gateway").Spec.ClusterIP);
    }

    [Fact]
    public async Task The_load_client_may_only_pin_the_two_HPAs_and_read_the_two_deployments()
    {
        var m = await Manifests.RenderAsync("eks");
        var role = m.Get<V1Role>("loadclient");
        Assert.All(role.Rules, r => Assert.Equal(["gateway", "silo"], r.ResourceNames.Order()));
        Assert.Equal(["get", "patch"], role.Rules.Single(r => r.Resources.Contains("horizontalpodautoscalers")).Verbs.Order());
        Assert.Equal(["get"], role.Rules.Single(r => r.Resources.Contains("deployments")).Verbs);
        Assert.Equal(2, role.Rules.Count);
    }

    /// <summary>
    /// The GC mode was chosen by measurement (docs/performance.md, "GC mode"): the pods run the mode
    /// the projects are built with, so what ./orderly bench measured locally is what EKS runs, and an
    /// image cannot quietly switch it back.
    /// </summary>
    [Theory]
    [InlineData("eks")]
    [InlineData("naive")]
    public async Task Pods_run_the_GC_mode_the_projects_are_built_with(string overlay)
    {
        var m = await Manifests.RenderAsync(overlay);
        foreach (var project in new[] { "Silo", "Gateway" })
        {
            var csproj = System.Xml.Linq.XDocument.Load(Path.Combine(Manifests.K8sDir, "..", project, project + ".csproj"));
            var built = csproj.Descendants("ServerGarbageCollection").Select(e => e.Value).SingleOrDefault();
            Assert.Equal("false", built);
            Assert.Equal("0", DeployedTimings.Env(m.Find<V1Deployment>(project.ToLowerInvariant())!, "DOTNET_gcServer"));
            Assert.DoesNotContain(File.ReadAllLines(Path.Combine(Manifests.K8sDir, "..", project, "Dockerfile")),
                l => l.StartsWith("ENV", StringComparison.Ordinal) && l.Contains("gcServer", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("Silo")]
    [InlineData("Gateway")]
    [InlineData("LoadClient")]
    public void Dockerfiles_are_multi_stage_non_root_and_chiseled(string project)
    {
        var lines = File.ReadAllLines(Path.Combine(Manifests.K8sDir, "..", project, "Dockerfile"));
        var froms = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, froms.Count);
        Assert.Contains("sdk:10.0", froms[0], StringComparison.Ordinal);
        Assert.Contains("-chiseled", froms[1], StringComparison.Ordinal);
        Assert.Contains("USER 1654", lines);
        Assert.Contains(lines, l => l.StartsWith("COPY --from=build", StringComparison.Ordinal));
    }
}
