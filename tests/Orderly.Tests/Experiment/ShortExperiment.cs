using Orderly.Harness.Cluster;
using Orderly.Harness.Emulation;
using Orderly.Harness.Experiment;
using Orderly.LoadClient.Reporting;
using Orderly.LoadClient.Verify;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Experiment;

/// <summary>
/// The experiment, short: one event of every kind (a gateway pod, a silo hpa-step 4→2, a node drain,
/// a silo rollout) on 4 gateways and 4 silos, few sessions of both client kinds, both profiles, once
/// for the tests that read its files.
/// </summary>
public sealed class ShortExperiment : IAsyncLifetime
{
    public const int Events = 4;
    public const int Replicas = 4;
    public string OutDir { get; } = Path.Combine(Path.GetTempPath(), "orderly-experiment-" + Guid.NewGuid().ToString("N")[..8]);
    public IReadOnlyList<Summary> Summaries { get; private set; } = [];
    public string Output { get; private set; } = "";
    private string _schema = "";

    public async Task InitializeAsync()
    {
        _schema = await TestDatabase.CreateSchemaAsync("experiment");
        var layout = Processes.Layout;
        await new LocalCluster(layout, TextWriter.Null).DownAsync();
        using var output = new StringWriter();
        Summaries = await new ExperimentRunner(layout, output).RunAsync(new ExperimentOptions
        {
            Profiles = ["naive", "graceful"],
            ConnectionString = _schema,
            OutDir = OutDir,
            Events = Events,
            Kinds = EventKinds.All,
            Gateways = Replicas,
            Silos = Replicas,
            Clients = "mixed",
            Sessions = 6,
        }, CancellationToken.None);
        Output = output.ToString();
    }

    public async Task DisposeAsync()
    {
        await TestDatabase.DropSchemaAsync(_schema);
        Directory.Delete(OutDir, recursive: true);
    }
}
