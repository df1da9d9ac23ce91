using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Kubernetes;

/// <summary>
/// The deploy findings of an independent check of k8s/ (issue 27): each test is one finding, written so
/// that it fails on the manifests as they were before the fix.
/// </summary>
public sealed partial class EksTests
{
    private static IEnumerable<JsonNode> Items(JsonNode? array) => (array?.AsArray() ?? []).Select(n => n!);

    // ---------- naive: instance targets through a NodePort ----------

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task The_gateways_public_port_admits_whoever_the_ALBs_target_type_makes_the_source(string overlay)
    {
        var docs = await RenderAsync($"overlays/{overlay}");
        var service = OfKind(docs, "Service").Single(s => Name(s) == "gateway");
        var nodePort = (string?)service["spec"]!["type"] == "NodePort";
        var targetType = (string?)OfKind(docs, "Ingress").Single()["metadata"]!["annotations"]!["alb.ingress.kubernetes.io/target-type"] ?? "instance";
        Assert.Equal(targetType == "instance", nodePort);

        var vpc = IPNetwork.Parse(Eksctl["vpc"]!["cidr"]!.GetValue<string>());
        var policy = OfKind(docs, "NetworkPolicy").Single(p => Name(p) == "gateway");
        var rule = Items(policy["spec"]!["ingress"]).Single(r => Items(r["ports"]).Any(p => p["port"]!.GetValue<int>() == 5100));
        var blocks = Items(rule["from"]).Where(p => p["ipBlock"] is not null).Select(p => IPNetwork.Parse((string)p["ipBlock"]!["cidr"]!)).ToList();

        // The ALB connects from its ENIs in the public subnets in both modes.
        Assert.All(PublicSubnets(vpc), s => Assert.Contains(s, blocks));
        // Instance targets: kube-proxy SNATs the hop to a pod on another node, and the ALB's health
        // checks of nodes without a gateway, to a node's address: the nodes' (private) subnets.
        // IP targets: the ALB reaches the pod itself, so nothing else is admitted.
        var nodeSubnets = PrivateSubnets(vpc);
        if (nodePort)
            Assert.All(nodeSubnets, s => Assert.Contains(s, blocks));
        else
            Assert.DoesNotContain(blocks, b => nodeSubnets.Contains(b));
        Assert.Equal(nodePort ? 6 : 3, blocks.Count);

        // Nodes live only in the private subnets (the premise of the rule above).
        Assert.All(Items(Eksctl["managedNodeGroups"]), g => Assert.True(g["privateNetworking"]!.GetValue<bool>(), $"node group {g["name"]} has public nodes"));
        var nodeClass = OfKind(StrictSchema.LoadYaml(File.ReadAllText(ClusterFile("karpenter.yaml"))), "EC2NodeClass").Single();
        Assert.All(Items(nodeClass["spec"]!["subnetSelectorTerms"]), t => Assert.Equal("1", (string?)t["tags"]!["kubernetes.io/role/internal-elb"]));
    }

    // ---------- the cluster autoscaler's AWS permissions ----------

    [Fact]
    public void The_cluster_autoscaler_runs_as_an_account_eksctl_grants_the_autoscaler_policy()
    {
        var values = Yaml(ClusterFile("cluster-autoscaler-values.yaml"));
        var account = (string?)values["rbac"]?["serviceAccount"]?["name"];
        Assert.False(string.IsNullOrEmpty(account), "cluster-autoscaler-values.yaml names no service account (the chart would invent one no role is bound to)");
        var association = Items(Eksctl["iam"]!["podIdentityAssociations"])
            .SingleOrDefault(a => (string?)a["namespace"] == "kube-system" && (string?)a["serviceAccountName"] == account);
        Assert.True(association is not null, $"no pod identity association for kube-system/{account}");
        Assert.True((bool?)association!["wellKnownPolicies"]?["autoScaler"] == true, "its association lacks wellKnownPolicies.autoScaler");
        // docs/eks.md installs it into kube-system, where the association is.
        Assert.Contains("cluster-autoscaler autoscaler/cluster-autoscaler -n kube-system -f k8s/cluster/cluster-autoscaler-values.yaml", EksDoc, StringComparison.Ordinal);
    }

    // ---------- the load balancer controller: region, VPC, placement ----------

    [Fact]
    public void The_load_balancer_controller_gets_region_and_VPC_without_instance_metadata_and_runs_on_the_system_nodes()
    {
        var values = Yaml(ClusterFile("aws-load-balancer-controller-values.yaml"));
        Assert.Equal(ClusterName, (string?)values["clusterName"]);
        Assert.Equal((string?)Eksctl["metadata"]!["region"], (string?)values["region"]);
        // The VPC id exists only once eksctl has made the VPC: the documented install passes it.
        var install = EksDoc.Split('\n').Single(l => l.Contains("helm install aws-load-balancer-controller", StringComparison.Ordinal));
        Assert.Contains("-f k8s/cluster/aws-load-balancer-controller-values.yaml", install, StringComparison.Ordinal);
        Assert.Contains("--set vpcId=", install, StringComparison.Ordinal);

        // Karpenter's nodes keep pods off the instance metadata service (one hop), which is why the above matters.
        var nodeClass = OfKind(StrictSchema.LoadYaml(File.ReadAllText(ClusterFile("karpenter.yaml"))), "EC2NodeClass").Single();
        Assert.Equal(1, nodeClass["spec"]!["metadataOptions"]!["httpPutResponseHopLimit"]!.GetValue<int>());
        Assert.Equal("required", (string?)nodeClass["spec"]!["metadataOptions"]!["httpTokens"]);

        // On the system node group (EKS labels a managed group's nodes eks.amazonaws.com/nodegroup), never on
        // the nodes Karpenter or the autoscaler drain.
        var group = (string?)values["nodeSelector"]?["eks.amazonaws.com/nodegroup"];
        Assert.Equal("system", group);
        Assert.Contains(Items(Eksctl["managedNodeGroups"]), g => (string?)g["name"] == group);

        var account = (string?)values["serviceAccount"]!["name"];
        Assert.Contains(Items(Eksctl["iam"]!["podIdentityAssociations"]), a =>
            (string?)a["serviceAccountName"] == account && (bool?)a["wellKnownPolicies"]?["awsLoadBalancerController"] == true);
    }

    // ---------- placement: one node lost takes at most one pod of a tier ----------

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Two_pods_of_a_tier_never_share_a_node_and_the_node_image_is_pinned(string overlay)
    {
        var docs = await RenderAsync($"overlays/{overlay}");
        foreach (var deployment in OfKind(docs, "Deployment"))
        {
            var spread = Items(deployment["spec"]!["template"]!["spec"]!["topologySpreadConstraints"]);
            var host = spread.Single(c => (string?)c["topologyKey"] == "kubernetes.io/hostname");
            Assert.Equal("DoNotSchedule", (string?)host["whenUnsatisfiable"]);
            Assert.Equal(1, host["maxSkew"]!.GetValue<int>());
        }
        // Spot stays allowed, on purpose: with the spread above, one reclaimed node takes one pod of a tier,
        // and the HPAs (eks) keep at least two.
        if (overlay == "eks")
            Assert.All(OfKind(docs, "HorizontalPodAutoscaler"), h => Assert.True(h["spec"]!["minReplicas"]!.GetValue<int>() >= 2));

        var nodeClass = OfKind(StrictSchema.LoadYaml(File.ReadAllText(ClusterFile("karpenter.yaml"))), "EC2NodeClass").Single();
        var alias = (string)Items(nodeClass["spec"]!["amiSelectorTerms"]).Single()["alias"]!;
        Assert.Matches(@"^al2023@v\d{8}$", alias);
    }

    // ---------- the schema Job can be re-applied ----------

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task What_kubectl_apply_applies_holds_no_Job_so_a_new_image_tag_never_meets_an_immutable_template(string overlay)
    {
        Assert.Empty(OfKind(await RenderAsync($"overlays/{overlay}"), "Job"));
        var schema = await RenderAsync("schema");
        var job = OfKind(schema, "Job").Single();
        Assert.Single(schema);
        Assert.Equal("orderly", (string?)job["metadata"]!["namespace"]);
        Assert.Equal(["migrate"], Items(job["spec"]!["template"]!["spec"]!["containers"]![0]!["args"]).Select(a => (string)a!));
        // Created, not applied: the walkthrough deletes the previous one first, and it does not linger.
        Assert.Contains("kubectl create -k k8s/schema", EksDoc, StringComparison.Ordinal);
        Assert.Contains("delete job schema --ignore-not-found", EksDoc, StringComparison.Ordinal);
        Assert.InRange(job["spec"]!["ttlSecondsAfterFinished"]!.GetValue<int>(), 1, 3600);
        // The overlay's NetworkPolicy for it still selects its pod.
        var label = (string?)job["spec"]!["template"]!["metadata"]!["labels"]!["app.kubernetes.io/name"];
        Assert.Contains(OfKind(await RenderAsync($"overlays/{overlay}"), "NetworkPolicy"),
            p => (string?)p["spec"]!["podSelector"]!["matchLabels"]?["app.kubernetes.io/name"] == label);
    }

    // ---------- the readiness gate ----------

    [Fact]
    public async Task A_gateway_pod_without_its_ALB_readiness_gate_is_refused_and_no_other_pod_is_touched()
    {
        var docs = await RenderAsync("overlays/eks");
        var policy = OfKind(docs, "ValidatingAdmissionPolicy").Single();
        var binding = OfKind(docs, "ValidatingAdmissionPolicyBinding").Single();
        Assert.Null(policy["metadata"]!["namespace"]);
        Assert.Equal(Name(policy), (string?)binding["spec"]!["policyName"]);
        Assert.Equal(["Deny"], Items(binding["spec"]!["validationActions"]).Select(a => (string)a!));
        Assert.Equal("Fail", (string?)policy["spec"]!["failurePolicy"]);
        // Only in the namespace where the controller injects gates, only pods, on creation.
        var ns = OfKind(docs, "Namespace").Single();
        Assert.Equal("enabled", (string?)ns["metadata"]!["labels"]!["elbv2.k8s.aws/pod-readiness-gate-inject"]);
        Assert.Equal(Name(ns), (string?)binding["spec"]!["matchResources"]!["namespaceSelector"]!["matchLabels"]!["kubernetes.io/metadata.name"]);
        var rule = Items(policy["spec"]!["matchConstraints"]!["resourceRules"]).Single();
        Assert.Equal(["pods"], Items(rule["resources"]).Select(r => (string)r!));
        Assert.Equal(["CREATE"], Items(rule["operations"]).Select(r => (string)r!));

        // The object selector picks the gateway pods (the ALB's targets) and not the silos'.
        var selector = policy["spec"]!["matchConstraints"]!["objectSelector"]!["matchLabels"]!.AsObject();
        bool Selected(string deployment)
        {
            var labels = OfKind(docs, "Deployment").Single(d => Name(d) == deployment)["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();
            return selector.All(kv => (string?)labels[kv.Key] == (string?)kv.Value);
        }
        Assert.True(Selected("gateway"));
        Assert.False(Selected("silo"));
        var backends = Items(OfKind(docs, "Ingress").Single()["spec"]!["rules"]).SelectMany(r => Items(r["http"]!["paths"]))
            // An ALB action (use-annotation, e.g. a fixed 404) has no targets, so no pods and no gates.
            .Where(p => (string?)p["backend"]!["service"]!["port"]!["name"] != "use-annotation")
            .Select(p => (string?)p["backend"]!["service"]!["name"]);
        Assert.Equal(["gateway"], backends.Distinct());

        // The expression, run by a CEL evaluator nobody here wrote, on the pods the webhook would leave:
        // the controller names the condition target-health.elbv2.k8s.aws/<TargetGroupBinding>.
        var expression = (string)Items(policy["spec"]!["validations"]).Single()["expression"]!;
        var pods = new Dictionary<string, JsonObject>
        {
            ["gated"] = new() { ["spec"] = new JsonObject { ["readinessGates"] = new JsonArray(new JsonObject { ["conditionType"] = "target-health.elbv2.k8s.aws/k8s-orderly-gateway-0123456789" }) } },
            ["no gates"] = new() { ["spec"] = new JsonObject() },
            ["empty gates"] = new() { ["spec"] = new JsonObject { ["readinessGates"] = new JsonArray() } },
            ["another gate"] = new() { ["spec"] = new JsonObject { ["readinessGates"] = new JsonArray(new JsonObject { ["conditionType"] = "example.com/ready" }) } },
        };
        var admitted = await CelAsync(expression, pods);
        Assert.Equal(new Dictionary<string, bool> { ["gated"] = true, ["no gates"] = false, ["empty gates"] = false, ["another gate"] = false }, admitted);

        // The naive overlay injects no gate, so it must not carry the policy (it would refuse every gateway).
        var naive = await RenderAsync("overlays/naive");
        Assert.Null(OfKind(naive, "Namespace").Single()["metadata"]!["labels"]?["elbv2.k8s.aws/pod-readiness-gate-inject"]);
        Assert.Empty(OfKind(naive, "ValidatingAdmissionPolicy"));
        Assert.Empty(OfKind(naive, "ValidatingAdmissionPolicyBinding"));
    }

    [Fact]
    public void The_walkthrough_claims_readiness_gates_only_for_the_gateways()
    {
        var claims = EksDoc.Split('\n').Where(l => l.Contains("READINESS GATES", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(claims);
        Assert.All(claims, l => Assert.DoesNotContain("2 gateways and 2 silos Ready with their readiness gate", l, StringComparison.Ordinal));
        Assert.Contains(claims, l => l.Contains("gateways", StringComparison.Ordinal) && l.Contains("1/1", StringComparison.Ordinal));
        Assert.Contains(claims, l => l.Contains("silos", StringComparison.Ordinal) && l.Contains("<none>", StringComparison.Ordinal));
    }

    private static string EksDoc => File.ReadAllText(Path.Combine(TestDatabase.Layout.Root, "docs", "eks.md"));

    /// <summary>Evaluates a CEL expression with cel-js (pinned in tools/node) once per named <c>object</c>.</summary>
    private static async Task<Dictionary<string, bool>> CelAsync(string expression, Dictionary<string, JsonObject> objects)
    {
        var module = Path.Combine(Processes.Layout.State, "tools", "node", "node_modules", "@marcbachmann", "cel-js", "lib", "index.js");
        Assert.True(File.Exists(module), $"{module} is missing: ./orderly test installs it (tools/node)");
        var input = new JsonObject { ["expression"] = expression, ["objects"] = JsonSerializer.SerializeToNode(objects) };
        var script = $$"""
            const { evaluate } = await import({{JsonSerializer.Serialize(new Uri(module).AbsoluteUri)}});
            const input = {{input.ToJsonString()}};
            const out = {};
            for (const [name, object] of Object.entries(input.objects)) out[name] = evaluate(input.expression, { object });
            console.log(JSON.stringify(out));
            """;
        var result = await Processes.RunAsync("node", ["--input-type=module", "-e", script]);
        Assert.True(result.ExitCode == 0, $"node failed: {result.Error}");
        return JsonSerializer.Deserialize<Dictionary<string, bool>>(result.Output)!;
    }
}
