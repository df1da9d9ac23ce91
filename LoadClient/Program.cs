// Orderly load client, as it runs in a Kubernetes cluster (the image built from LoadClient/Dockerfile):
// sine-wave sessions through the ALB, replicas pinned on a sine wave through the HPAs, verification and results.
// The local harness (Harness/) and the bench runner (bench/Runner/) use the same sessions, verification and results.
using System.CommandLine;
using Orderly.LoadClient.Cli;
using Orderly.LoadClient.Kubernetes;

var k8sNamespace = new Option<string>("--namespace") { Description = "namespace of the Orderly deployment", DefaultValueFactory = _ => "orderly" };
var k8sTarget = new Option<string?>("--target") { Description = "base URL to load (the ALB); default $ORDERLY_TARGET" };
var k8sMinutes = new Option<int>("--minutes") { Description = "how long to run", DefaultValueFactory = _ => 10 }.Within(1, 24 * 60);
var k8sPeriod = new Option<int>("--period-seconds") { Description = "sine period of sessions and replicas", DefaultValueFactory = _ => 300 }.Within(10, 24 * 3600);
var k8sMin = new Option<int>("--min-replicas") { DefaultValueFactory = _ => 2 }.Within(2, 100);
var k8sMax = new Option<int>("--max-replicas") { DefaultValueFactory = _ => 6 }.Within(2, 100);
var k8sProfile = new Option<string>("--profile") { Description = "label for the results: what the cluster runs", DefaultValueFactory = _ => "graceful" };
k8sProfile.AcceptOnlyFromAmong("graceful", "naive");
var sessions = new Option<int>("--sessions") { Description = "peak concurrent sessions (the floor is a quarter of it)", DefaultValueFactory = _ => 16 }.Within(1, 5000);
var outDir = new Option<string?>("--out") { Description = "results folder (default ./results)" };
var seed = new Option<int>("--seed") { Description = "seed for sessions", DefaultValueFactory = _ => 7 };
var tokenEndpoint = new Option<string?>("--token-issuer") { Description = "issuer whose POST /token mints the sessions' tokens (subject, scope): the gateway's Auth:Authority must trust it; default $ORDERLY_TOKEN_ISSUER" };

var kubernetes = new Command("k8s", "the experiment in a Kubernetes cluster: load through the ALB, replicas on a sine wave via the HPAs")
{
    k8sNamespace, k8sTarget, k8sMinutes, k8sPeriod, k8sMin, k8sMax, k8sProfile, sessions, outDir, seed, tokenEndpoint,
};
kubernetes.SetAction(async (parse, ct) => await Cli.RunAsync(async () =>
{
    var target = parse.GetValue(k8sTarget) ?? Environment.GetEnvironmentVariable("ORDERLY_TARGET")
        ?? throw new UsageException("give --target or ORDERLY_TARGET (the ALB's URL)");
    var issuer = parse.GetValue(tokenEndpoint) ?? Environment.GetEnvironmentVariable("ORDERLY_TOKEN_ISSUER")
        ?? throw new UsageException("give --token-issuer or ORDERLY_TOKEN_ISSUER: the API takes bearer tokens (docs/api.md)");
    if (!Uri.TryCreate(issuer, UriKind.Absolute, out var issuerUrl))
        throw new UsageException($"--token-issuer '{issuer}' is not an absolute URL");
    if (parse.GetValue(k8sMax) < parse.GetValue(k8sMin))
        throw new UsageException("--max-replicas must be at least --min-replicas");
    var config = global::k8s.KubernetesClientConfiguration.IsInCluster()
        ? global::k8s.KubernetesClientConfiguration.InClusterConfig()
        : global::k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile();
    using var client = new global::k8s.Kubernetes(config);
    await new KubernetesExperiment(client, Console.Out).RunAsync(new KubernetesOptions
    {
        Target = new Uri(target),
        Namespace = parse.GetValue(k8sNamespace)!,
        OutDir = parse.GetValue(outDir) ?? "results",
        Profile = parse.GetValue(k8sProfile)!,
        Duration = TimeSpan.FromMinutes(parse.GetValue(k8sMinutes)),
        Period = TimeSpan.FromSeconds(parse.GetValue(k8sPeriod)),
        Sessions = parse.GetValue(sessions),
        MinReplicas = parse.GetValue(k8sMin),
        MaxReplicas = parse.GetValue(k8sMax),
        Seed = parse.GetValue(seed),
        TokenIssuer = issuerUrl,
    }, ct);
}));

return await new RootCommand("Orderly load client: sessions, verification and results; the Kubernetes mode") { kubernetes }
    .Parse(args).InvokeAsync();
