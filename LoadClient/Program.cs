// Orderly load client: the local cluster runner for now; load sessions and the experiment build on it.
using System.CommandLine;
using Orderly.LoadClient.Cluster;

var silos = new Option<int>("--silos") { Description = "number of silos", DefaultValueFactory = _ => 3 };
var gateways = new Option<int>("--gateways") { Description = "number of gateways", DefaultValueFactory = _ => 2 };
var profile = new Option<string>("--profile") { Description = "graceful or naive", DefaultValueFactory = _ => "graceful" };
profile.AcceptOnlyFromAmong("graceful", "naive");
foreach (var count in new[] { silos, gateways })
{
    count.Validators.Add(r =>
    {
        if (r.GetValueOrDefault<int>() is < 1 or > ClusterLayout.MaxReplicas)
            r.AddError($"{r.Option.Name} must be from 1 to {ClusterLayout.MaxReplicas}");
    });
}

var up = new Command("up", "start a local cluster and leave it running") { silos, gateways, profile };
up.SetAction(async (parse, ct) => await Run(async cluster =>
{
    var spec = new ClusterSpec(parse.GetValue(silos), parse.GetValue(gateways), parse.GetValue(profile)!, ConnectionString());
    await cluster.UpAsync(spec, ct);
    Console.WriteLine();
    Console.WriteLine($"Orderly is up ({spec.Profile} profile).");
    Console.WriteLine($"  API (through HAProxy, the ALB stand-in)  {ClusterLayout.FrontEndUrl}orders");
    Console.WriteLine($"  OpenAPI                                  {ClusterLayout.FrontEndUrl}openapi/v1.json");
    Console.WriteLine($"  HAProxy stats                            http://127.0.0.1:{ClusterLayout.HaproxyStatsPort}/");
    for (var i = 0; i < spec.Gateways; i++)
        Console.WriteLine($"  {ClusterLayout.GatewayName(i),-9} {ClusterLayout.GatewayUrl(i)}  (health: /health/ready)");
    for (var i = 0; i < spec.Silos; i++)
        Console.WriteLine($"  {ClusterLayout.SiloName(i),-9} {ClusterLayout.SiloManagementUrl(i)}  (health: /health/ready)");
    Console.WriteLine($"  logs: {cluster.Layout.LogDir}    stop: ./orderly down");
}));

var down = new Command("down", "stop everything 'up' started");
down.SetAction(async (_, _) => await Run(cluster => cluster.DownAsync()));

var status = new Command("status", "what runs, with health");
status.SetAction(async (_, ct) => await Run(async cluster =>
{
    var rows = await cluster.StatusAsync(ct);
    if (rows.Count == 0)
        Console.WriteLine("no cluster processes recorded (./orderly up starts one)");
    foreach (var r in rows)
        Console.WriteLine($"{r.Name,-11} pid {r.Pid,-7} {r.Url ?? "",-24} {r.Health}");
}));

var root = new RootCommand("Orderly load client and local cluster runner") { up, down, status };
return await root.Parse(args).InvokeAsync();

static string ConnectionString() =>
    Environment.GetEnvironmentVariable("ORDERLY_DB") is { Length: > 0 } cs ? cs
        : throw new ClusterException("ORDERLY_DB is not set (./orderly sets it to the throwaway Postgres)");

static async Task<int> Run(Func<LocalCluster, Task> action)
{
    try
    {
        await action(new LocalCluster(ClusterLayout.FromEnvironment(), Console.Out));
        return 0;
    }
    catch (ClusterException e)
    {
        await Console.Error.WriteLineAsync($"orderly: {e.Message}");
        return 1;
    }
}
