using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Orderly.Harness.Cluster;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.EndToEnd;

/// <summary>
/// The whole thing as a user runs it: `./orderly up` starts silos, gateways and HAProxy as separate
/// processes; orders go in and out through HAProxy on 8080; the orders table agrees; `./orderly down`
/// leaves nothing running.
/// </summary>
[Trait(Tiers.Name, Tiers.Full)]
public sealed class OrderlyUpTests : IAsyncLifetime
{
    private static readonly ClusterLayout Layout = Processes.Layout;

    private static Dictionary<string, string?> Env => new()
    {
        ["ORDERLY_DB"] = TestDatabase.ConnectionString,
        ["ORDERLY_SKIP_BUILD"] = "1",
        ["ORDERLY_CONFIGURATION"] = Processes.Configuration,
    };

    private static Task<ProcessResult> Orderly(params string[] args) =>
        Processes.RunAsync(Path.Combine(Layout.Root, "orderly"), args, Env, TimeSpan.FromMinutes(3));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Orderly("down");

    [Fact]
    public async Task Orders_placed_through_HAProxy_are_readable_and_stored_and_down_stops_everything()
    {
        var up = await Orderly("up", "--silos", "2", "--gateways", "2");
        Assert.True(up.ExitCode == 0, up.Output + up.Error);
        Assert.Contains($"{ClusterLayout.FrontEndUrl}orders", up.Output, StringComparison.Ordinal);

        var status = await Orderly("status");
        foreach (var name in new[] { "silo-0", "silo-1", "gateway-0", "gateway-1", "haproxy" })
            Assert.Matches($@"{name}\s+pid \d+.*ready", status.Output);

        using var http = Processes.Client(ClusterLayout.FrontEndUrl);
        var placed = new Dictionary<Guid, int>();
        for (var i = 0; i < 20; i++)
        {
            var created = await http.PostAsJsonAsync("/orders", new
            {
                customerId = $"e2e-{i % 3}",
                items = new[] { new { sku = "SKU-E2E", quantity = i + 1 } },
                deliveryAddress = "1 End St",
            });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var order = await created.Content.ReadFromJsonAsync<JsonElement>();
            var id = order.GetProperty("id").GetGuid();
            var version = 1;
            if (i % 2 == 0)
            {
                var packed = await http.PostAsJsonAsync($"/orders/{id}/status", new { status = "packed" });
                Assert.Equal(HttpStatusCode.OK, packed.StatusCode);
                version = 2;
            }
            placed[id] = version;
        }

        foreach (var (id, version) in placed)
        {
            var read = await http.GetAsync($"/orders/{id}");
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.Equal($"\"{version}\"", read.Headers.ETag!.ToString());
        }

        await using (var db = NpgsqlDataSource.Create(TestDatabase.ConnectionString))
        await using (var command = db.CreateCommand("SELECT id, version FROM orders WHERE id = ANY(@ids)"))
        {
            command.Parameters.AddWithValue("ids", placed.Keys.ToArray());
            var stored = new Dictionary<Guid, int>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                stored[reader.GetGuid(0)] = reader.GetInt32(1);
            Assert.Equal(placed.OrderBy(p => p.Key), stored.OrderBy(p => p.Key));
        }

        // HAProxy spread the work over both gateways.
        var haproxyLog = await File.ReadAllTextAsync(Layout.LogFile("haproxy"));
        Assert.Contains("gateways/gateway-0", haproxyLog, StringComparison.Ordinal);
        Assert.Contains("gateways/gateway-1", haproxyLog, StringComparison.Ordinal);

        var pids = Directory.GetFiles(Layout.RunDir, "*.pid").Where(f => !f.EndsWith("postgres.pid", StringComparison.Ordinal))
            .Select(f => int.Parse(File.ReadAllText(f).Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(8, pids.Count); // 2 silos, 2 gateways, HAProxy, the token issuer, the silos' endpoints list, the local Prometheus

        // Each pod's process has the CPU its request buys, as kubelet would give it (cpu.shares), and a
        // cgroup of its own that the network faults match its sockets by.
        if (PodCgroups.CanPlace)
        {
            foreach (var (name, millis) in new[] { ("silo-0", PodCgroups.SiloCpuMillis), ("gateway-1", PodCgroups.GatewayCpuMillis) })
            {
                var pid = ManagedProcess.FromPidFile(Layout, name)!.Pid;
                var groups = await File.ReadAllTextAsync($"/proc/{pid}/cgroup");
                Assert.Contains($":cpu:/{PodCgroups.Folder}/{name}\n", groups, StringComparison.Ordinal);
                Assert.Contains($"::/{PodCgroups.Folder}/{name}\n", groups, StringComparison.Ordinal);
                Assert.Equal(PodCgroups.Shares(millis).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    (await File.ReadAllTextAsync(Path.Combine(PodCgroups.CpuGroup(name), "cpu.shares"))).Trim());
            }
        }

        var down = await Orderly("down");
        Assert.True(down.ExitCode == 0, down.Output + down.Error);
        // A zombie waiting for its reaper has exited; IsAlive says so.
        Assert.All(pids, pid => Assert.False(new ManagedProcess(Layout, "any", pid).IsAlive, $"pid {pid} still running"));
        Assert.DoesNotContain(Directory.GetFiles(Layout.RunDir, "*.pid"), f => !f.EndsWith("postgres.pid", StringComparison.Ordinal));

        // 'down' stops only what 'up' started: the database it was given is still there.
        await using var after = NpgsqlDataSource.Create(TestDatabase.ConnectionString);
        await using var probe = after.CreateCommand("SELECT count(*) FROM orders WHERE id = ANY(@ids)");
        probe.Parameters.AddWithValue("ids", placed.Keys.ToArray());
        Assert.Equal(20L, await probe.ExecuteScalarAsync());
    }
}
