using System.Net;
using System.Net.Sockets;
using System.Text;
using Orderly.Harness.Cluster;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Exposure;

/// <summary>
/// Operator endpoints never reach the public side: a real gateway (on real Kestrel, free ports) behind a
/// real HAProxy started with the configuration the local runner generates, asked for /metrics and
/// /dashboard in every spelling a client can send. Requests go out as raw bytes, so no HTTP client
/// normalises the path first.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class OperatorPathTests(GatewayFixture fixture)
{
    /// <summary>Case, percent-encoding (also of the slash and of a dot), trailing slashes, dot segments, doubled slashes, queries.</summary>
    public static readonly string[] Spellings =
    [
        "/metrics", "/METRICS", "/Metrics", "/mEtRiCs", "/metrics/", "/metrics?format=prometheus", "/metrics#x",
        "/%6Detrics", "/%6detrics", "/%4D%45%54%52%49%43%53", "/metr%69cs", "/%2Fmetrics", "/%2fmetrics",
        "//metrics", "/./metrics", "/%2E/metrics", "/x/../metrics", "/x/%2E%2E/metrics", "/metrics%2F", "/metrics;x",
        "/dashboard", "/DASHBOARD/", "/%64ashboard", "/dashboard/DashboardCounters",
    ];

    [Fact]
    public async Task Through_HAProxy_with_the_generated_configuration_no_spelling_of_an_operator_path_gets_anything_but_a_refusal()
    {
        var dir = Directory.CreateTempSubdirectory("orderly-haproxy-").FullName;
        var frontEnd = FreePorts.Next();
        var endpoints = new HaproxyEndpoints(frontEnd, FreePorts.Next(), _ => fixture.Port, Path.Combine(dir, "haproxy.sock"));
        // The configuration `./orderly up` writes, on free ports, one gateway slot enabled, quick checks.
        var spec = new ClusterSpec(1, 1, "graceful", "") { HealthCheckIntervalMs = 500, HealthyThreshold = 1 };
        var config = Path.Combine(dir, "haproxy.cfg");
        await File.WriteAllTextAsync(config, HaproxyConfig.Render(spec, endpoints));
        var check = await Processes.RunAsync("haproxy", ["-c", "-q", "-f", config]);
        Assert.True(check.ExitCode == 0, check.Output + check.Error);
        using var haproxy = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("haproxy", ["-db", "-f", config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        haproxy.OutputDataReceived += (_, _) => { };
        haproxy.ErrorDataReceived += (_, _) => { };
        haproxy.BeginOutputReadLine();
        haproxy.BeginErrorReadLine();
        try
        {
            // HAProxy routes once its health check has seen the gateway ready: the API answers through it.
            await Eventually.Until(() => StatusAsync(frontEnd, "/health/ready"), s => s == 200, TimeSpan.FromSeconds(30), "HAProxy routing to the gateway");
            Assert.Equal(200, (await GetAsync(frontEnd, "/orders?limit=1", authorization: $"Bearer {fixture.Issuer.Mint("staff", staff: true)}")).Status);

            var leaks = new List<string>();
            foreach (var path in Spellings)
            {
                var (status, body) = await GetAsync(frontEnd, path);
                // 403/404 from HAProxy's rule or the gateway; 400 where HAProxy refuses the request line itself.
                if (status is not (403 or 404 or 400) || body.Contains("# TYPE", StringComparison.Ordinal))
                    leaks.Add($"{path} → {status}");
            }
            Assert.Empty(leaks);
        }
        finally
        {
            haproxy.Kill();
            await haproxy.WaitForExitAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task On_the_gateways_public_port_no_spelling_of_an_operator_path_is_found()
    {
        // Without HAProxy in front: the public listener itself has no metrics route.
        var leaks = new List<string>();
        foreach (var path in Spellings)
        {
            var (status, body) = await GetAsync(fixture.Port, path);
            if (status is not (404 or 400) || body.Contains("# TYPE", StringComparison.Ordinal))
                leaks.Add($"{path} → {status}");
        }
        Assert.Empty(leaks);
        Assert.Equal(200, await StatusAsync(fixture.Port, "/health/live"));
    }

    [Fact]
    public async Task The_management_port_serves_metrics_and_nothing_else()
    {
        var (status, body) = await GetAsync(fixture.ManagementPort, "/metrics");
        Assert.Equal(200, status);
        Assert.Contains("# TYPE", body, StringComparison.Ordinal);
        Assert.Contains("orderly_readiness", body, StringComparison.Ordinal);
        // The API and health belong to the public port; the management port is for scrapes only.
        Assert.Equal(404, await StatusAsync(fixture.ManagementPort, "/orders?limit=1"));
        Assert.Equal(404, await StatusAsync(fixture.ManagementPort, "/health/ready"));
    }

    [Fact]
    public async Task A_Host_header_naming_the_management_port_does_not_open_metrics_on_the_public_port()
    {
        var (status, _) = await GetAsync(fixture.Port, "/metrics", host: $"127.0.0.1:{fixture.ManagementPort}");
        Assert.Equal(404, status);
    }

    [Fact]
    public async Task A_management_port_equal_to_the_public_port_is_refused_at_start()
    {
        var result = await Processes.RunAsync("dotnet", [Processes.GatewayDll, "--Gateway:Port=5399", "--Gateway:ManagementPort=5399", $"--Silos:OrleansGatewayListFile={fixture.SiloListFile}"]);
        Assert.NotEqual(0, result.ExitCode);
        var line = result.Error.Split('\n').Single(l => l.StartsWith("gateway: failed to start:", StringComparison.Ordinal));
        Assert.Contains("Gateway:Port and Gateway:ManagementPort must differ", line, StringComparison.Ordinal);
    }

    private static async Task<int> StatusAsync(int port, string path) => (await GetAsync(port, path)).Status;

    /// <summary>One HTTP/1.1 request with the path exactly as given; the status code and body.</summary>
    private static async Task<(int Status, string Body)> GetAsync(int port, string path, string host = "orderly.test", string? authorization = null)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            await using var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {host}\r\n{(authorization is null ? "" : $"Authorization: {authorization}\r\n")}Connection: close\r\n\r\n"), timeout.Token);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var response = await reader.ReadToEndAsync(timeout.Token);
            var statusLine = response.AsSpan(0, response.IndexOf('\r', StringComparison.Ordinal)).ToString();
            return (int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), response);
        }
        catch (SocketException)
        {
            return (0, "");
        }
    }
}
