using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Orderly.Harness.Chaos;
using Orderly.Harness.Cluster;
using Orderly.Harness.Network;
using Orderly.Silo.Hosting;
using Orderly.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Orderly.Tests.Chaos;

/// <summary>
/// The kernel's own packet filter doing the harness's network faults: packets dropped, not refused;
/// only the processes the harness placed are cut off; no rule outlives a run, interrupted or not;
/// and the faults under load (node loss, partitions, an exhausted connection limit) lose nothing.
/// </summary>
[Trait(Tiers.Name, Tiers.Full)]
public sealed class NetworkFaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_silenced_process_is_black_holed_and_others_are_not_and_healing_removes_every_rule()
    {
        Assert.True(NetworkFaults.Available, "root, cgroup v2 and nft are needed (./orderly test installs nftables)");
        await NetworkFaults.ClearAsync();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _ = AcceptForeverAsync(listener);
        var faults = new NetworkFaults();
        try
        {
            // A client placed in a cgroup of its own before it opens a socket, then silenced.
            await faults.SilenceAsync("test", "netprobe", [], []);
            Assert.Equal(28, await PlacedClientAsync(port)); // curl's "timed out": dropped, not refused
            await faults.HealAsync("test");
            Assert.Equal(0, await PlacedClientAsync(port));

            // Everything sent to a port vanishes, whoever sends it: a connect times out instead of failing fast.
            await faults.DropToAsync("test", [port]);
            using var client = new TcpClient();
            var connect = client.ConnectAsync(IPAddress.Loopback, port);
            var first = await Task.WhenAny(connect, Task.Delay(TimeSpan.FromSeconds(2)));
            Assert.NotSame(connect, first);
        }
        finally
        {
            // What every run does first and last: the harness's table goes, whatever a killed run left in it.
            await NetworkFaults.ClearAsync();
        }
        Assert.Equal("", await NetworkFaults.ListAsync());
    }

    [Fact]
    public async Task The_delaying_proxy_adds_its_delay_to_every_database_round_trip_each_way()
    {
        var target = new NpgsqlConnectionStringBuilder(TestDatabase.ConnectionString);
        await using var proxy = new DelayProxy(new IPEndPoint(IPAddress.Loopback, target.Port));
        var through = new NpgsqlConnectionStringBuilder(TestDatabase.ConnectionString) { Host = "127.0.0.1", Port = proxy.Port, Pooling = false }.ToString();
        await using var connection = new NpgsqlConnection(through);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        async Task<TimeSpan> RoundTrip()
        {
            var started = Stopwatch.GetTimestamp();
            await command.ExecuteScalarAsync();
            return Stopwatch.GetElapsedTime(started);
        }
        var quick = await RoundTrip();
        proxy.Delay = TimeSpan.FromMilliseconds(100);
        var slow = await RoundTrip();
        proxy.Delay = TimeSpan.Zero;
        var quickAgain = await RoundTrip();
        Assert.True(slow >= TimeSpan.FromMilliseconds(195), $"a round trip took {slow.TotalMilliseconds:0.0} ms with 100 ms each way");
        Assert.True(quickAgain < TimeSpan.FromMilliseconds(150), $"after the delay ended a round trip still took {quickAgain.TotalMilliseconds:0} ms (before: {quick.TotalMilliseconds:0} ms)");
    }

    [Fact]
    public async Task Node_loss_partitions_a_slow_database_and_an_exhausted_connection_limit_lose_nothing_and_leave_no_rule_behind()
    {
        var schema = await TestDatabase.CreateSchemaAsync("netfaults");
        using var log = new StringWriter();
        try
        {
            var report = await new ChaosRunner(Processes.Layout, log).RunAsync(new ChaosOptions
            {
                ConnectionString = schema,
                Faults = [ChaosFaults.NodeLoss, ChaosFaults.SiloPartition, ChaosFaults.GatewaySiloPartition, ChaosFaults.SlowDb, ChaosFaults.DbConnectionsExhausted],
                Settle = TimeSpan.FromSeconds(10),
                PartitionFor = TimeSpan.FromSeconds(20),
                Sessions = 6,
            }, CancellationToken.None);

            Assert.Equal(0, report.WholeRun.Lost);
            Assert.Equal(0, report.WholeRun.Duplicated);
            Assert.True(report.Anomalies.Total == 0, string.Join("; ", report.Anomalies.Examples));
            Assert.Equal(6, report.Faults.Count);
            // Faults that take no gateway with them fail nothing: the retry budget outlasts failure
            // detection, and a black-holed connection closes within seconds.
            foreach (var fault in report.Faults.Where(f => f.Fault is ChaosFaults.SiloPartition or ChaosFaults.GatewaySiloPartition or ChaosFaults.SlowDb or ChaosFaults.DbConnectionsExhausted))
                Assert.True(fault.Failed == 0, $"{fault.Fault}: {fault.Failed} failed: {string.Join(" | ", fault.FailedRequests)}");
            // A lost node loses only what the load balancer had sent to its gateway.
            var node = report.Faults.Single(f => f.Fault == ChaosFaults.NodeLoss);
            Assert.True(node.OrderlyFailures == 0, $"node-loss: {node.OrderlyFailures} failures beyond the load balancer's {node.LoadBalancerErrors}: {string.Join(" | ", node.FailedRequests)}");
            // The cut-off silo is out of membership within the time its settings promise (plus the watch's 0.2-s poll).
            var promised = FailureDetection.DeclaredDeadWithin(ShippedSettings.Membership()).TotalSeconds + 0.5;
            foreach (var fault in report.Faults.Where(f => f.Fault is ChaosFaults.SiloPartition or ChaosFaults.NodeLoss))
            {
                Assert.True(fault.DeclaredDeadSeconds is { } dead && dead <= promised,
                    $"{fault.Fault}: declared dead after {fault.DeclaredDeadSeconds?.ToString() ?? "never"} s; the settings promise {promised} s");
            }
            // The slow database was slow: some second's p99 paid the added round trip.
            Assert.True(report.Faults.Single(f => f.Fault == ChaosFaults.SlowDb).WorstSecondP99Ms >= 300, "slow-db added no latency");
            Assert.Equal("", await NetworkFaults.ListAsync());
        }
        finally
        {
            output.WriteLine(log.ToString());
            await TestDatabase.DropSchemaAsync(schema);
        }
    }

    /// <summary>curl in a cgroup named netprobe, placed before it connects; its exit code (28: timed out).</summary>
    private static async Task<int> PlacedClientAsync(int port)
    {
        var psi = new ProcessStartInfo("sh", ["-c", $"sleep 0.3; exec curl -s -o /dev/null -m 2 http://127.0.0.1:{port}/"]);
        using var process = Process.Start(psi)!;
        PodCgroups.Place(new ManagedProcess(Processes.Layout, "netprobe", process.Id));
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    private static async Task AcceptForeverAsync(TcpListener listener)
    {
        try
        {
            while (true)
            {
                var socket = await listener.AcceptSocketAsync();
                await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
                socket.Dispose();
            }
        }
        catch (ObjectDisposedException)
        {
        }
        catch (SocketException)
        {
        }
    }
}
