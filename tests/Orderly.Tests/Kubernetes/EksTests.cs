using Orderly.LoadClient.Kubernetes;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Orderly.LoadClient.Reporting;
using Xunit.Abstractions;

namespace Orderly.Tests.Kubernetes;

/// <summary>
/// What the real controllers would say about k8s/: every rendered object against the API schema of the
/// Kubernetes version eksctl creates, Karpenter's and eksctl's own schemas, the ALB annotations the AWS
/// Load Balancer Controller knows, and the cluster files agreeing with each other (names, roles,
/// versions, interruption handling, capacity). Each test names the finding of issue 15 it guards.
/// </summary>
public sealed partial class EksTests(ITestOutputHelper output)
{
    /// <summary>Everything a person applies or creates: both overlays, their load-client Jobs and the schema Job.</summary>
    public static readonly TheoryData<string> Renderings = new("overlays/eks", "overlays/naive", "overlays/eks/loadclient", "overlays/naive/loadclient", "schema");

    public static readonly TheoryData<string> Overlays = new("eks", "naive");

    private static string ClusterFile(string name) => Path.Combine(Manifests.K8sDir, "cluster", name);

    private static JsonNode Yaml(string path) => StrictSchema.LoadYaml(File.ReadAllText(path))[0];

    private static JsonNode Eksctl => Yaml(ClusterFile("eksctl.yaml"));

    private static string ClusterName => Eksctl["metadata"]!["name"]!.GetValue<string>();

    private static async Task<List<JsonNode>> RenderAsync(string dir) =>
        StrictSchema.LoadYaml(await Manifests.KustomizeAsync(Path.Combine(Manifests.K8sDir, dir)));

    private static IEnumerable<JsonNode> OfKind(IEnumerable<JsonNode> docs, string kind) => docs.Where(d => (string?)d["kind"] == kind);

    private static string Name(JsonNode d) => d["metadata"]!["name"]!.GetValue<string>();

    private static IEnumerable<JsonNode> Containers(IEnumerable<JsonNode> docs) =>
        docs.Where(d => (string?)d["kind"] is "Deployment" or "Job")
            .SelectMany(d => d["spec"]!["template"]!["spec"]!["containers"]!.AsArray()!)!;

    // ---------- schemas ----------

    [Theory]
    [MemberData(nameof(Renderings))]
    public async Task Every_rendered_object_is_valid_for_the_Kubernetes_version_eksctl_creates(string dir)
    {
        var version = Eksctl["metadata"]!["version"]!.GetValue<string>();
        // A new version in eksctl.yaml without its schema file fails here (Schemas/README.md).
        var schemas = StrictSchema.Kubernetes(version);
        var docs = await RenderAsync(dir);
        Assert.NotEmpty(docs);
        Assert.Empty(docs.SelectMany(schemas.Validate));
    }

    [Fact]
    public void The_Kubernetes_schema_check_refuses_what_the_API_server_would_refuse()
    {
        var schemas = StrictSchema.Kubernetes("1.35");
        static JsonNode Deployment(string containerExtra, string specExtra = "") => StrictSchema.LoadYaml($"""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: x
            spec:
              selector:
                matchLabels: {"{"}a: b{"}"}
            {specExtra}
              template:
                spec:
                  containers:
                    - name: c
                      image: i
                      resources:
                        requests: {"{"}cpu: 1, memory: 1Gi{"}"}
            {containerExtra}
            """)[0];
        Assert.Empty(schemas.Validate(Deployment("")));
        Assert.Contains(schemas.Validate(Deployment("          readinesProbe: {}")), e => e.Contains("readinesProbe: unknown field", StringComparison.Ordinal));
        Assert.Contains(schemas.Validate(Deployment("", "  replicas: three")), e => e.Contains(".spec.replicas: expected", StringComparison.Ordinal));
        Assert.Contains(schemas.Validate(Deployment("          ports: [{containerPort: 80, name: http}, {name: nothing}]")), e => e.Contains("missing required field containerPort", StringComparison.Ordinal));
        Assert.Contains(schemas.Validate(StrictSchema.LoadYaml("apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: x}\n")[0]),
            e => e.Contains("is not a kind of Kubernetes 1.35", StringComparison.Ordinal));
    }

    [Fact]
    public void The_Karpenter_NodePool_and_EC2NodeClass_are_valid_for_the_Karpenter_version_eksctl_installs()
    {
        var version = Eksctl["karpenter"]!["version"]!.GetValue<string>();
        var docs = StrictSchema.LoadYaml(File.ReadAllText(ClusterFile("karpenter.yaml")));
        foreach (var (kind, file) in new[] { ("NodePool", "karpenter.sh_v1_NodePool.json"), ("EC2NodeClass", "karpenter.k8s.aws_v1_EC2NodeClass.json") })
        {
            var (schema, root) = StrictSchema.FromFile(file);
            var source = JsonDocument.Parse(File.ReadAllText(Path.Combine(StrictSchema.Dir, file))).RootElement.GetProperty("source").GetString()!;
            Assert.Contains($"v{version} ", source, StringComparison.Ordinal);
            var doc = OfKind(docs, kind).Single();
            Assert.Equal(JsonDocument.Parse(File.ReadAllText(Path.Combine(StrictSchema.Dir, file))).RootElement.GetProperty("apiVersion").GetString(), (string?)doc["apiVersion"]);
            Assert.Empty(schema.Validate(doc, root));
        }
    }

    [Fact]
    public void The_Karpenter_schema_check_refuses_an_unknown_field_and_a_malformed_duration()
    {
        var (schema, root) = StrictSchema.FromFile("karpenter.sh_v1_NodePool.json");
        var pool = OfKind(StrictSchema.LoadYaml(File.ReadAllText(ClusterFile("karpenter.yaml"))), "NodePool").Single();
        var unknown = pool.DeepClone();
        unknown["spec"]!["disruption"]!["consolidateAfterr"] = "1m";
        Assert.Contains(schema.Validate(unknown, root), e => e.Contains("consolidateAfterr: unknown field", StringComparison.Ordinal));
        var badDuration = pool.DeepClone();
        badDuration["spec"]!["disruption"]!["consolidateAfter"] = "a minute";
        Assert.Contains(schema.Validate(badDuration, root), e => e.Contains("consolidateAfter", StringComparison.Ordinal));
    }

    [Fact]
    public void The_eksctl_file_is_a_valid_ClusterConfig_and_unknown_keys_are_refused()
    {
        var (schema, root) = StrictSchema.FromFile("eksctl-v1alpha5.json");
        Assert.Empty(schema.Validate(Eksctl, root));
        var typo = Eksctl.DeepClone();
        typo["karpenter"]!["withSpotInterruptionQueues"] = true;
        Assert.Contains(schema.Validate(typo, root), e => e.Contains("withSpotInterruptionQueues: unknown field", StringComparison.Ordinal));
    }

    // ---------- versions, roles, interruption, capacity ----------

    /// <summary>Karpenter's compatibility matrix (aws/karpenter-provider-aws v1.14.1, website/content/en/v1.14/upgrading/compatibility.md): the oldest Karpenter for each Kubernetes minor.</summary>
    private static readonly Dictionary<string, Version> OldestKarpenterFor = new()
    {
        ["1.30"] = new(0, 37), ["1.31"] = new(1, 0, 5), ["1.32"] = new(1, 2), ["1.33"] = new(1, 5),
        ["1.34"] = new(1, 6), ["1.35"] = new(1, 9), ["1.36"] = new(1, 13),
    };

    /// <summary>The Kubernetes versions eksctl 0.230.0 knows (pkg/apis/eksctl.io/v1alpha5/types.go: Version1_xx up to 1.35).</summary>
    private static readonly string[] EksctlVersions = ["1.30", "1.31", "1.32", "1.33", "1.34", "1.35"];

    [Fact]
    public void Kubernetes_Karpenter_and_the_cluster_autoscaler_versions_go_together()
    {
        var kubernetes = Eksctl["metadata"]!["version"]!.GetValue<string>();
        var karpenter = Version.Parse(Eksctl["karpenter"]!["version"]!.GetValue<string>());
        Assert.Contains(kubernetes, EksctlVersions);
        Assert.True(OldestKarpenterFor.TryGetValue(kubernetes, out var oldest), $"Karpenter's matrix does not list Kubernetes {kubernetes}");
        Assert.True(karpenter >= oldest, $"Karpenter {karpenter} does not support Kubernetes {kubernetes} (needs ≥ {oldest})");
        Assert.True(File.Exists(Path.Combine(StrictSchema.Dir, $"kubernetes-{kubernetes}.json")));
        var ca = Yaml(ClusterFile("cluster-autoscaler-values.yaml"));
        Assert.StartsWith($"v{kubernetes}.", ca["image"]!["tag"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void Karpenter_uses_the_node_role_eksctl_creates_and_handles_interruptions()
    {
        var name = ClusterName;
        var docs = StrictSchema.LoadYaml(File.ReadAllText(ClusterFile("karpenter.yaml")));
        var nodeClass = OfKind(docs, "EC2NodeClass").Single();
        // eksctl 0.230.0, pkg/cfn/builder/karpenter.go: RoleName "eksctl-KarpenterNodeRole-<cluster>".
        Assert.Equal($"eksctl-KarpenterNodeRole-{name}", (string?)nodeClass["spec"]!["role"]);
        Assert.Equal(name, (string?)Eksctl["metadata"]!["tags"]!["karpenter.sh/discovery"]);
        foreach (var terms in new[] { "subnetSelectorTerms", "securityGroupSelectorTerms" })
            Assert.All(nodeClass["spec"]![terms]!.AsArray(), t => Assert.Equal(name, (string?)t!["tags"]!["karpenter.sh/discovery"]));

        // eksctl creates the queue (named after the cluster, pkg/cfn/builder/karpenter.go) only when asked,
        // and hands it to the chart under a key the chart no longer reads (settings.interruptionQueueName).
        Assert.True(Eksctl["karpenter"]!["withSpotInterruptionQueue"]!.GetValue<bool>());
        var values = Yaml(ClusterFile("karpenter-values.yaml"));
        Assert.Equal(name, (string?)values["settings"]!["interruptionQueue"]);
        Assert.Equal(name, (string?)values["settings"]!["clusterName"]);
        var chartKeys = File.ReadAllLines(Path.Combine(StrictSchema.Dir, "karpenter-chart-1.14.1-values-keys.txt")).Where(l => !l.StartsWith('#')).ToHashSet();
        Assert.Equal("1.14.1", Eksctl["karpenter"]!["version"]!.GetValue<string>());
        Assert.All(Leaves(values, ""), key => Assert.Contains(key, chartKeys));
        Assert.DoesNotContain("settings.interruptionQueueName", chartKeys);

        var ca = Yaml(ClusterFile("cluster-autoscaler-values.yaml"));
        Assert.Equal(name, (string?)ca["autoDiscovery"]!["clusterName"]);
        Assert.Equal((string?)Eksctl["metadata"]!["region"], (string?)ca["awsRegion"]);
    }

    private static IEnumerable<string> Leaves(JsonNode node, string prefix) => node is JsonObject o
        ? o.SelectMany(p => Leaves(p.Value!, prefix.Length == 0 ? p.Key : $"{prefix}.{p.Key}"))
        : [prefix];

    /// <summary>
    /// m6i.large: 2 vCPU, 8 GiB; what a pod can request on it after the kubelet's reservation and the
    /// node's DaemonSets (aws-node, kube-proxy, the pod identity agent), rounded down.
    /// </summary>
    private const double UsableCpuPerNode = 1.7;
    private const double UsableGiBPerNode = 6.0;

    [Fact]
    public async Task There_is_node_capacity_for_every_HPA_at_its_maximum_with_Karpenter_or_the_cluster_autoscaler()
    {
        var docs = await RenderAsync("overlays/eks");
        docs.AddRange(await RenderAsync("overlays/eks/loadclient"));
        double cpu = 0, memory = 0;
        foreach (var workload in docs.Where(d => (string?)d["kind"] is "Deployment" or "Job"))
        {
            var hpa = OfKind(docs, "HorizontalPodAutoscaler").SingleOrDefault(h => (string?)h["spec"]!["scaleTargetRef"]!["name"] == Name(workload));
            // At the maximum, plus the one extra pod a rolling update surges.
            var pods = hpa is null ? 1 : hpa["spec"]!["maxReplicas"]!.GetValue<int>() + 1;
            foreach (var c in workload["spec"]!["template"]!["spec"]!["containers"]!.AsArray())
            {
                cpu += pods * Cpu((string)c!["resources"]!["requests"]!["cpu"]!);
                memory += pods * GiB((string)c["resources"]!["requests"]!["memory"]!);
            }
        }
        output.WriteLine($"requests at every HPA maximum: {cpu:0.##} vCPU, {memory:0.##} GiB");
        var pool = OfKind(StrictSchema.LoadYaml(File.ReadAllText(ClusterFile("karpenter.yaml"))), "NodePool").Single();
        Assert.True(Cpu(pool["spec"]!["limits"]!["cpu"]!.ToString()) >= cpu, "Karpenter NodePool cpu limit");
        Assert.True(GiB(pool["spec"]!["limits"]!["memory"]!.ToString()) >= memory, "Karpenter NodePool memory limit");
        var group = Eksctl["managedNodeGroups"]!.AsArray().Single(g => (string?)g!["name"] == "workloads")!;
        Assert.Equal("m6i.large", (string?)group["instanceType"]);
        var nodes = group["maxSize"]!.GetValue<int>();
        Assert.True(nodes * UsableCpuPerNode >= cpu, $"the cluster autoscaler's node group: {nodes} × {UsableCpuPerNode} vCPU < {cpu}");
        Assert.True(nodes * UsableGiBPerNode >= memory, $"the cluster autoscaler's node group: {nodes} × {UsableGiBPerNode} GiB < {memory}");
    }

    private static double Cpu(string q) => q.EndsWith('m') ? double.Parse(q[..^1], CultureInfo.InvariantCulture) / 1000 : double.Parse(q, CultureInfo.InvariantCulture);

    private static double GiB(string q) => q switch
    {
        _ when q.EndsWith("Gi", StringComparison.Ordinal) => double.Parse(q[..^2], CultureInfo.InvariantCulture),
        _ when q.EndsWith("Mi", StringComparison.Ordinal) => double.Parse(q[..^2], CultureInfo.InvariantCulture) / 1024,
        _ => throw new FormatException(q),
    };

    // ---------- images ----------

    [Theory]
    [MemberData(nameof(Renderings))]
    public async Task Every_image_comes_from_the_registry_in_the_settings_with_a_tag_that_is_not_latest(string dir)
    {
        var settings = Yaml(Path.Combine(Manifests.K8sDir, "settings", "kustomization.yaml"));
        var images = settings["images"]!.AsArray().ToDictionary(i => (string)i!["name"]!, i => $"{i!["newName"]}:{i["newTag"]}");
        var registries = images.Values.Select(i => i[..i.IndexOf("/orderly/", StringComparison.Ordinal)]).Distinct().ToList();
        Assert.Single(registries);
        Assert.All(images.Values, i => Assert.DoesNotMatch(":latest$", i));
        var used = Containers(await RenderAsync(dir)).Select(c => (string)c["image"]!).ToList();
        Assert.NotEmpty(used);
        Assert.All(used, image =>
        {
            Assert.StartsWith(registries[0] + "/orderly/", image, StringComparison.Ordinal);
            Assert.Contains(image, images.Values);
        });
    }

    [GeneratedRegex(@"^FROM (--platform=\S+ )?(?<image>\S+)")]
    private static partial Regex From();

    [Theory]
    [InlineData("Silo")]
    [InlineData("Gateway")]
    [InlineData("LoadClient")]
    public void Base_images_are_pinned_and_the_images_are_built_for_every_architecture_the_NodePool_allows(string project)
    {
        var lines = File.ReadAllLines(Path.Combine(Manifests.K8sDir, "..", project, "Dockerfile"));
        var froms = lines.Select(l => From().Match(l)).Where(m => m.Success).ToList();
        Assert.All(froms, m => Assert.Matches(@":\d+\.\d+\.\d+(-|$|@)", m.Groups["image"].Value));
        // The SDK stage runs on the builder's platform; its output (portable IL) serves every target.
        Assert.StartsWith("FROM --platform=$BUILDPLATFORM ", froms[0].Value, StringComparison.Ordinal);
        var readme = File.ReadAllText(Path.Combine(Manifests.K8sDir, "..", "docs", "eks.md"));
        var buildx = Regex.Match(readme, @"docker buildx build --platform (?<platforms>\S+) -f " + project + "/Dockerfile");
        Assert.True(buildx.Success, $"README shows no multi-architecture build of {project}");
        var built = buildx.Groups["platforms"].Value.Split(',').Select(p => p.Split('/')[1]).ToHashSet();
        var pool = OfKind(StrictSchema.LoadYaml(File.ReadAllText(ClusterFile("karpenter.yaml"))), "NodePool").Single();
        var allowed = pool["spec"]!["template"]!["spec"]!["requirements"]!.AsArray().Single(r => (string?)r!["key"] == "kubernetes.io/arch")!["values"]!.AsArray().Select(v => (string)v!);
        Assert.All(allowed, arch => Assert.Contains(arch, built));
    }

    // ---------- the ALB ----------

    /// <summary>
    /// The Ingress annotations the AWS Load Balancer Controller knows, with the values it accepts
    /// (kubernetes-sigs/aws-load-balancer-controller v3.5.0, docs/guide/ingress/annotations.md and the
    /// ALB's documented health-check limits). Only those Orderly may use are listed: anything else is
    /// either a typo the controller would ignore silently or a setting nobody reviewed.
    /// </summary>
    private static readonly Dictionary<string, Func<string, bool>> AlbAnnotations = new()
    {
        ["scheme"] = v => v is "internal" or "internet-facing",
        ["listen-ports"] = v => JsonNode.Parse(v) is JsonArray a && a.All(p => p is JsonObject o && o.Count == 1
            && o.Single().Key is "HTTP" or "HTTPS" && o.Single().Value!.GetValue<int>() is > 0 and < 65536),
        ["ssl-redirect"] = v => int.TryParse(v, out var p) && p is > 0 and < 65536,
        ["ssl-policy"] = v => v.StartsWith("ELBSecurityPolicy-", StringComparison.Ordinal),
        ["certificate-arn"] = v => v.Split(',').All(a => Regex.IsMatch(a.Trim(), @"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+$")),
        ["inbound-cidrs"] = v => v.Split(',').All(c => IPNetwork.TryParse(c.Trim(), out _)),
        ["target-type"] = v => v is "instance" or "ip",
        ["healthcheck-path"] = v => v.StartsWith('/'),
        ["healthcheck-port"] = v => v == "traffic-port" || int.TryParse(v, out var p) && p is > 0 and < 65536,
        ["success-codes"] = v => Regex.IsMatch(v, @"^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$"),
        ["healthcheck-interval-seconds"] = v => int.TryParse(v, out var s) && s is >= 5 and <= 300,
        ["healthcheck-timeout-seconds"] = v => int.TryParse(v, out var s) && s is >= 2 and <= 120,
        ["healthy-threshold-count"] = v => int.TryParse(v, out var n) && n is >= 2 and <= 10,
        ["unhealthy-threshold-count"] = v => int.TryParse(v, out var n) && n is >= 2 and <= 10,
        ["target-group-attributes"] = v => Attributes(v, new() { ["deregistration_delay.timeout_seconds"] = (0, 3600) }),
        ["load-balancer-attributes"] = v => Attributes(v, new() { ["idle_timeout.timeout_seconds"] = (1, 4000) }),
    };

    private static bool Attributes(string value, Dictionary<string, (int Min, int Max)> known) => value.Split(',').All(pair =>
    {
        var kv = pair.Split('=');
        return kv.Length == 2 && known.TryGetValue(kv[0].Trim(), out var range) && int.TryParse(kv[1], out var n) && n >= range.Min && n <= range.Max;
    });

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Every_ALB_annotation_is_one_the_controller_knows_with_a_value_it_accepts(string overlay)
    {
        var ingress = OfKind(await RenderAsync($"overlays/{overlay}"), "Ingress").Single();
        var problems = new List<string>();
        foreach (var (key, value) in ingress["metadata"]!["annotations"]!.AsObject())
        {
            if (!key.StartsWith("alb.ingress.kubernetes.io/", StringComparison.Ordinal))
                continue;
            var name = key["alb.ingress.kubernetes.io/".Length..];
            var text = value!.GetValue<string>();
            if (name.StartsWith("actions.", StringComparison.Ordinal))
            {
                if (JsonNode.Parse(text)?["type"]?.GetValue<string>() is not ("fixed-response" or "forward" or "redirect"))
                    problems.Add($"{key}: not an action");
            }
            else if (!AlbAnnotations.TryGetValue(name, out var accepts))
                problems.Add($"{key}: not an annotation the controller knows");
            else if (!accepts(text))
                problems.Add($"{key}: '{text}' is not a value the controller accepts");
        }
        Assert.Empty(problems);
        Assert.False(AlbAnnotations["healthcheck-interval-seconds"]("3")); // the rules themselves can say no
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task The_ALB_serves_HTTPS_with_the_certificate_redirects_HTTP_and_admits_only_the_configured_clients(string overlay)
    {
        var a = OfKind(await RenderAsync($"overlays/{overlay}"), "Ingress").Single()["metadata"]!["annotations"]!;
        string Get(string name) => (string?)a[$"alb.ingress.kubernetes.io/{name}"] ?? "";
        var listeners = JsonNode.Parse(Get("listen-ports"))!.AsArray().Select(p => p!.AsObject().Single()).Select(p => (p.Key, Port: p.Value!.GetValue<int>())).ToList();
        Assert.Contains(("HTTPS", 443), listeners);
        Assert.Contains(("HTTP", 80), listeners);
        // The controller requires the redirect target to be one of the HTTPS listeners.
        Assert.Contains(("HTTPS", int.Parse(Get("ssl-redirect"), CultureInfo.InvariantCulture)), listeners);
        Assert.NotEqual("", Get("certificate-arn"));
        var cidrs = Get("inbound-cidrs").Split(',').Select(c => c.Trim()).ToList();
        Assert.NotEmpty(cidrs);
        Assert.DoesNotContain("0.0.0.0/0", cidrs);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task The_ALB_can_reach_its_targets_and_checks_a_path_the_gateway_answers(string overlay)
    {
        var docs = await RenderAsync($"overlays/{overlay}");
        var ingress = OfKind(docs, "Ingress").Single();
        var targetType = (string?)ingress["metadata"]!["annotations"]!["alb.ingress.kubernetes.io/target-type"] ?? "instance";
        var service = OfKind(docs, "Service").Single(s => Name(s) == "gateway");
        // Instance targets are node ports: the controller builds nothing for a ClusterIP Service.
        if (targetType == "instance")
            Assert.Equal("NodePort", (string?)service["spec"]!["type"]);
        var path = (string?)ingress["metadata"]!["annotations"]!["alb.ingress.kubernetes.io/healthcheck-path"] ?? "/";
        Assert.Contains(path, HealthCheckPathTests.GatewayHealthPaths);
        // The Ingress routes to the public port only, never to the management port.
        var ports = OfKind(docs, "Service").SelectMany(s => s["spec"]!["ports"]!.AsArray()).Select(p => p!["targetPort"]!.ToString());
        Assert.DoesNotContain("management", ports);
        Assert.DoesNotContain("5300", ports);
        Assert.DoesNotContain("5200", ports);
    }

    [Fact]
    public async Task Prometheus_scrapes_the_management_port_each_container_declares_and_listens_on()
    {
        var docs = await RenderAsync("overlays/eks");
        foreach (var (deployment, setting) in new[] { ("gateway", "Gateway__ManagementPort"), ("silo", "Silo__ManagementPort") })
        {
            var d = OfKind(docs, "Deployment").Single(x => Name(x) == deployment);
            var c = d["spec"]!["template"]!["spec"]!["containers"]![0]!;
            var declared = c["ports"]!.AsArray().Single(p => (string?)p!["name"] == "management")!["containerPort"]!.GetValue<int>();
            Assert.Equal(declared.ToString(CultureInfo.InvariantCulture), (string?)c["env"]!.AsArray().Single(e => (string?)e!["name"] == setting)!["value"]);
            Assert.Equal(declared.ToString(CultureInfo.InvariantCulture), (string?)d["spec"]!["template"]!["metadata"]!["annotations"]!["prometheus.io/port"]);
        }
    }

    // ---------- workloads ----------

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Deployments_an_HPA_owns_carry_no_replica_count(string overlay)
    {
        var docs = await RenderAsync($"overlays/{overlay}");
        var owned = OfKind(docs, "HorizontalPodAutoscaler").Select(h => (string)h["spec"]!["scaleTargetRef"]!["name"]!).ToList();
        Assert.Equal(["gateway", "silo"], owned.Order());
        Assert.All(OfKind(docs, "Deployment").Where(d => owned.Contains(Name(d))), d => Assert.Null(d["spec"]!["replicas"]));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task One_slow_readiness_probe_does_not_take_a_pod_out(string overlay)
    {
        foreach (var c in Containers(OfKind(await RenderAsync($"overlays/{overlay}"), "Deployment")))
            Assert.True(((int?)c["readinessProbe"]?["failureThreshold"] ?? 3) >= 2, $"{c["name"]}: readiness failureThreshold 1");
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task The_local_runner_gives_pods_the_CPU_the_overlays_request_and_neither_sets_a_CPU_limit(string overlay)
    {
        var deployments = OfKind(await RenderAsync($"overlays/{overlay}"), "Deployment").ToDictionary(Name);
        foreach (var (name, millis) in new[] { ("silo", Orderly.Harness.Cluster.PodCgroups.SiloCpuMillis), ("gateway", Orderly.Harness.Cluster.PodCgroups.GatewayCpuMillis) })
        {
            var resources = deployments[name]["spec"]!["template"]!["spec"]!["containers"]![0]!["resources"]!;
            Assert.Equal($"{millis}m", (string?)resources["requests"]!["cpu"]);
            // A throttled silo misses Orleans' probes and is voted dead: CPU is shared by weight, never capped.
            Assert.Null(resources["limits"]?["cpu"]);
        }
    }

    [Theory]
    [InlineData("eks", "graceful")]
    [InlineData("naive", "naive")]
    public async Task The_load_client_Job_is_created_per_run_names_its_profile_and_is_never_suspended_by_a_reapply(string overlay, string profile)
    {
        // Not part of what `kubectl apply -k` applies, so a re-apply cannot suspend or replace a run.
        Assert.DoesNotContain(OfKind(await RenderAsync($"overlays/{overlay}"), "Job"), j => Name(j) == "loadclient");
        var config = OfKind(await RenderAsync($"overlays/{overlay}"), "ConfigMap").Single(c => Name(c) == "orderly-config");
        Assert.Equal(profile, ((string)config["data"]!["Shutdown__Profile"]!).ToLowerInvariant());

        var job = OfKind(await RenderAsync($"overlays/{overlay}/loadclient"), "Job").Single();
        Assert.Null(job["spec"]!["suspend"]);
        var args = job["spec"]!["template"]!["spec"]!["containers"]![0]!["args"]!.AsArray().Select(a => (string)a!).ToList();
        Assert.Equal(profile, args[args.IndexOf("--profile") + 1]);
        Assert.Equal("orderly", args[args.IndexOf("--namespace") + 1]);
    }

    [Fact]
    public void The_load_clients_log_holds_the_whole_summary_on_one_line()
    {
        var summary = new Summary("graceful", 16, 600, 1000, 999, 1, new Dictionary<string, long> { ["http503"] = 1 }, 0.001, 4, 0.01,
            new LatencySummary(1, 2, 3, 4), new ScaleDownLatency(3, 4), 250, 0, 0, [], PodTimings.For("graceful"), ["example"]);
        var line = Results.SummaryLine(summary);
        Assert.DoesNotContain('\n', line);
        Assert.StartsWith(Results.SummaryLinePrefix, line, StringComparison.Ordinal);
        var logged = JsonNode.Parse(line[Results.SummaryLinePrefix.Length..]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(JsonSerializer.Serialize(summary, Results.Json)), logged));
    }

    // ---------- network policies ----------

    [Fact]
    public async Task NetworkPolicies_are_exactly_as_narrow_as_their_comments_say()
    {
        var docs = await RenderAsync("overlays/eks");
        var policies = OfKind(docs, "NetworkPolicy").ToDictionary(Name);
        var peers = policies.Values.SelectMany(p => new[] { "ingress", "egress" }.SelectMany(dir =>
            (p["spec"]![dir]?.AsArray() ?? []).Select(rule => (Policy: Name(p), Dir: dir, Rule: rule!)))).ToList();

        // Every rule names its ports; no peer is "any namespace".
        Assert.All(peers, r => Assert.NotNull(r.Rule["ports"]));
        Assert.All(peers.SelectMany(r => (r.Rule["from"] ?? r.Rule["to"])?.AsArray() ?? []),
            peer => Assert.False(peer!["namespaceSelector"] is JsonObject { Count: 0 }, $"a peer selects every namespace: {peer.ToJsonString()}"));

        static IEnumerable<int> Ports(JsonNode rule) => rule["ports"]!.AsArray().Select(p => p!["port"]!.GetValue<int>());
        static IEnumerable<JsonNode> Peers(JsonNode rule) => ((rule["from"] ?? rule["to"])?.AsArray() ?? []).Select(p => p!);

        // DNS: kube-dns in kube-system, nothing else on 53.
        foreach (var dns in peers.Where(r => Ports(r.Rule).Contains(53)))
            Assert.All(Peers(dns.Rule), p =>
            {
                Assert.Equal("kube-system", (string?)p["namespaceSelector"]?["matchLabels"]?["kubernetes.io/metadata.name"]);
                Assert.Equal("kube-dns", (string?)p["podSelector"]?["matchLabels"]?["k8s-app"]);
            });

        // The database: only silos and the schema Job, only to the private subnets of the VPC eksctl creates.
        Assert.Equal(3, Eksctl["availabilityZones"]!.AsArray().Count);
        var vpc = IPNetwork.Parse(Eksctl["vpc"]!["cidr"]!.GetValue<string>());
        var database = peers.Where(r => r.Dir == "egress" && Ports(r.Rule).Contains(5432)).ToList();
        Assert.Equal(["schema", "silo"], database.Select(r => r.Policy).Order());
        Assert.All(database.SelectMany(r => Peers(r.Rule)), p =>
        {
            var block = IPNetwork.Parse((string)p["ipBlock"]!["cidr"]!);
            Assert.True(vpc.Contains(block.BaseAddress), $"{block} is outside the VPC {vpc}");
            Assert.Contains(block, PrivateSubnets(vpc));
        });

        // Gateways' public port: the ALB's public subnets and the load client; the management ports: Prometheus.
        var gatewayPublic = peers.Single(r => r.Policy == "gateway" && r.Dir == "ingress" && Ports(r.Rule).Contains(5100));
        Assert.All(Peers(gatewayPublic.Rule), p =>
        {
            if (p["ipBlock"] is { } block)
                Assert.Contains(IPNetwork.Parse((string)block["cidr"]!), PublicSubnets(vpc));
            else
                Assert.Equal("loadclient", (string?)p["podSelector"]!["matchLabels"]!["app.kubernetes.io/name"]);
        });
        foreach (var port in new[] { 5200, 5300 })
        {
            var management = peers.Where(r => r.Dir == "ingress" && Ports(r.Rule).Contains(port)).ToList();
            Assert.Single(management);
            Assert.All(Peers(management[0].Rule), p => Assert.Equal("monitoring", (string?)p["namespaceSelector"]!["matchLabels"]!["kubernetes.io/metadata.name"]));
        }
    }

    /// <summary>How eksctl 0.230.0 lays out a VPC over three zones (pkg/vpc/vpc.go: eight equal parts, public first, then private).</summary>
    private static List<IPNetwork> Split(IPNetwork vpc)
    {
        var length = vpc.PrefixLength + 3;
        var size = 1u << (32 - length);
        var first = BitConverter.ToUInt32([.. vpc.BaseAddress.GetAddressBytes().Reverse()]);
        return [.. Enumerable.Range(0, 8).Select(i => new IPNetwork(new IPAddress([.. BitConverter.GetBytes(first + (uint)i * size).Reverse()]), length))];
    }

    private static List<IPNetwork> PublicSubnets(IPNetwork vpc) => Split(vpc)[..3];

    private static List<IPNetwork> PrivateSubnets(IPNetwork vpc) => Split(vpc)[3..6];
}
