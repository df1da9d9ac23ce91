using System.Net.Http.Json;
using Orderly.Gateway.Silos;
using Orderly.Harness.Cluster;
using Orderly.Tests.Infrastructure;
using Orderly.Tests.Shutdown;

namespace Orderly.Tests.Harness;

/// <summary>
/// The gateways find silos in the list the runner's endpoints stand-in keeps, as Kubernetes keeps the
/// headless Service: listed once ready, gone at once when terminating or dead, left as it was while
/// the node is lost.
/// </summary>
public sealed class SiloEndpointsTests
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(10);

    [Fact]
    [Trait(Tiers.Name, Tiers.Full)]
    public async Task A_silo_is_listed_while_ready_and_leaves_the_list_when_terminating_dead_or_not_before_its_node_is_known_lost()
    {
        await using var cluster = await ClusterUnderTest.StartAsync("graceful", silos: 3, gateways: 1);
        var layout = cluster.Cluster.Layout;
        string[] Listed() => [.. File.ReadAllLines(layout.OrleansGatewayListFile).Where(l => l.Length > 0)];
        string Entry(int i) => $"127.0.0.1:{ClusterLayout.OrleansGatewayPort(i)}";
        Assert.Equal([Entry(0), Entry(1), Entry(2)], Listed());

        // Terminating: out of the list while the process still runs (preStop has not even begun).
        SiloEndpoints.MarkTerminating(layout, "silo-1");
        await Eventually.Until(() => Task.FromResult(Listed()), l => !l.Contains(Entry(1)), Soon, "silo-1 unlisted once terminating");
        Assert.True(cluster["silo-1"].IsAlive);

        // Lost with its node: nothing reports it, so it stays listed although it is gone.
        SiloEndpoints.MarkUnreported(layout, "silo-2");
        cluster["silo-2"].Signal(UnixSignal.Kill);
        Assert.True(await cluster["silo-2"].WaitForExitAsync(TimeSpan.FromSeconds(5)));
        await Task.Delay(SiloEndpoints.Period * 3);
        Assert.Contains(Entry(2), Listed());

        // Its end known: a dead process is not listed.
        SiloEndpoints.ClearMarks(layout, "silo-2");
        await Eventually.Until(() => Task.FromResult(Listed()), l => !l.Contains(Entry(2)), Soon, "silo-2 unlisted once its death is known");

        // And the gateway, which has no database, serves orders through the one silo left listed.
        Assert.Equal([Entry(0)], Listed());
        using var http = Processes.Client(ClusterLayout.GatewayUrl(0), TimeSpan.FromSeconds(20));
        var placed = await http.PostAsJsonAsync("/orders", new { customerId = "c-endpoints", items = new[] { new { sku = "S", quantity = 1 } }, deliveryAddress = "x" });
        Assert.Equal(System.Net.HttpStatusCode.Created, placed.StatusCode);
    }

    [Fact]
    public async Task A_silo_that_leaves_the_list_stays_a_candidate_for_the_linger_and_then_goes()
    {
        var file = Path.Combine(Path.GetTempPath(), $"orderly-{Guid.NewGuid():N}-orleans-gateways");
        var options = new SiloConnectionOptions { OrleansGatewayListFile = file, LeftOrleansGatewayLingerSeconds = 15 };
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var provider = new FileOrleansGatewayListProvider(Microsoft.Extensions.Options.Options.Create(options), time,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<FileOrleansGatewayListProvider>.Instance);
        async Task<string[]> Ports() => [.. (await provider.GetGateways()).Select(u => u.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal)];
        try
        {
            await File.WriteAllTextAsync(file, "127.0.0.1:30000\n127.0.0.1:30001\n");
            Assert.Equal(["30000", "30001"], await Ports());
            // 30001 terminates: the list drops it at once, the client keeps it while it may still answer.
            await File.WriteAllTextAsync(file, "127.0.0.1:30000\n");
            time.Advance(TimeSpan.FromSeconds(14));
            Assert.Equal(["30000", "30001"], await Ports());
            time.Advance(TimeSpan.FromSeconds(2));
            Assert.Equal(["30000"], await Ports());
            // A file that cannot be read drops nothing that was listed within the linger.
            File.Delete(file);
            time.Advance(TimeSpan.FromSeconds(5));
            Assert.Equal(["30000"], await Ports());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void The_list_file_is_read_line_by_line_and_a_bad_line_is_reported_not_fatal()
    {
        var bad = new List<string>();
        var endpoints = FileOrleansGatewayListProvider.Parse(["# silos", "127.0.0.1:30000", "", "  10.0.0.7:30001  ", "silo-3", "127.0.0.1:0"], bad.Add).ToList();
        Assert.Equal(["127.0.0.1:30000", "10.0.0.7:30001"], endpoints.Select(e => e.ToString()));
        Assert.Equal(["silo-3", "127.0.0.1:0"], bad);
    }
}
