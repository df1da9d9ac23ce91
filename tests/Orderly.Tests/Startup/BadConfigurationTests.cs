using System.Net;
using System.Net.Sockets;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Startup;

/// <summary>A misconfigured process fails at start, with one clear line on stderr and a non-zero exit.</summary>
public sealed class BadConfigurationTests
{
    private static Dictionary<string, string?> Env(string? connectionString) => new()
    {
        ["ConnectionStrings__Orderly"] = connectionString,
        ["ORDERLY_DB"] = null,
        ["Database__StartupTimeoutSeconds"] = "2",
        // A well-formed issuer, so these tests reach what they are about (nothing fetches it before a request).
        ["Auth__Authority"] = "http://127.0.0.1:9",
    };

    /// <summary>A gateway's command line: its ports, and a silo list, so that a test reaches what it is about.</summary>
    private static string[] Gateway(params string[] more) =>
        [Processes.GatewayDll, "--Gateway:Port=0", $"--Gateway:ManagementPort={FreePorts.Next()}", "--Silos:OrleansGatewayListFile=/nonexistent/orleans-gateways", .. more];

    private static void AssertFailedClearly(ProcessResult result, string who, string expected)
    {
        Assert.NotEqual(0, result.ExitCode);
        var line = result.Error.Split('\n').Single(l => l.StartsWith($"{who}: failed to start:", StringComparison.Ordinal));
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal); // no stack trace
    }

    [Fact]
    public async Task Without_a_database_setting_the_silo_exits_with_a_clear_message()
    {
        var result = await Processes.RunAsync("dotnet", [Processes.SiloDll], Env(null));
        AssertFailedClearly(result, "silo", "No database configured");
    }

    [Theory]
    [InlineData(new string[0], "the gateway cannot find the silos: set Silos:OrleansGatewayDns (Kubernetes: the headless Service) or Silos:OrleansGatewayListFile")]
    [InlineData(new[] { "--Silos:OrleansGatewayDns=localhost", "--Silos:OrleansGatewayListFile=/tmp/x" }, "set only one of Silos:OrleansGatewayDns and Silos:OrleansGatewayListFile")]
    public async Task A_gateway_that_is_not_told_one_way_to_find_the_silos_does_not_start(string[] settings, string expected)
    {
        // A database setting changes nothing: the gateway never reads the database to find silos.
        var result = await Processes.RunAsync("dotnet", [Processes.GatewayDll, "--Gateway:Port=0", $"--Gateway:ManagementPort={FreePorts.Next()}", .. settings],
            Env(TestDatabase.ConnectionString), TimeSpan.FromSeconds(60));
        AssertFailedClearly(result, "gateway", expected);
    }

    [Fact]
    public async Task A_malformed_connection_string_is_refused_at_start()
    {
        var result = await Processes.RunAsync("dotnet", [Processes.SiloDll], Env("Hots=nowhere;;Port=abc"));
        AssertFailedClearly(result, "silo", "connection string is not valid");
    }

    [Fact]
    public async Task An_unreachable_database_fails_start_up_within_the_timeout()
    {
        var result = await Processes.RunAsync("dotnet", [Processes.SiloDll, "migrate"],
            Env("Host=127.0.0.1;Port=1;Username=x;Password=y;Database=z"), TimeSpan.FromSeconds(60));
        AssertFailedClearly(result, "silo", "cannot reach the database at 127.0.0.1:1/z");
        Assert.DoesNotContain("Password=y", result.Error + result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "Auth:Authority is required")]
    [InlineData("http://issuer.example.com", "must use https (plain http only on a loopback address)")]
    [InlineData("not a url", "is not an absolute http(s) URL")]
    public async Task A_gateway_without_a_usable_token_issuer_does_not_start(string? authority, string expected)
    {
        // Silos found by DNS, so the issuer setting is the only thing wrong.
        var env = new Dictionary<string, string?> { ["ConnectionStrings__Orderly"] = "", ["ORDERLY_DB"] = null, ["Auth__Authority"] = authority };
        var result = await Processes.RunAsync("dotnet",
            [Processes.GatewayDll, "--Gateway:Port=0", $"--Gateway:ManagementPort={FreePorts.Next()}", "--Silos:OrleansGatewayDns=localhost"], env, TimeSpan.FromSeconds(60));
        AssertFailedClearly(result, "gateway", expected);
    }

    [Theory]
    [InlineData("gateway", "--Cluster:SiloGatewayDns=localhost", "Cluster is now Silos")]
    [InlineData("silo", "--Silo:GatewayPort=30000", "Silo:GatewayPort is now Silo:OrleansGatewayPort")]
    public async Task A_setting_under_its_old_name_is_refused_naming_the_new_one(string who, string old, string expected)
    {
        var result = await Processes.RunAsync("dotnet",
            who == "silo" ? [Processes.SiloDll, old] : Gateway(old),
            Env(TestDatabase.ConnectionString), TimeSpan.FromSeconds(60));
        AssertFailedClearly(result, who, expected);
        Assert.Equal(2, result.ExitCode);
    }

    [Fact]
    public async Task A_taken_port_fails_start_up_with_a_clear_message()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var cs = await TestDatabase.CreateSchemaAsync("ports");
        try
        {
            var result = await Processes.RunAsync("dotnet",
            [
                Processes.SiloDll, $"--Silo:ManagementPort={port}", $"--Silo:SiloPort={FreePorts.Next()}",
                $"--Silo:OrleansGatewayPort={FreePorts.Next()}", "--Orleans:ClusterId=ports",
                // About ports, not the database: a busy machine must not turn this into a database timeout.
                "--Database:StartupTimeoutSeconds=60",
            ], Env(cs), TimeSpan.FromSeconds(90));
            AssertFailedClearly(result, "silo", "address already in use");
        }
        finally
        {
            await TestDatabase.DropSchemaAsync(cs);
        }
    }

    [Fact]
    public async Task A_keep_alive_timeout_below_the_load_balancer_idle_timeout_is_refused()
    {
        var result = await Processes.RunAsync("dotnet",
            Gateway("--Gateway:KeepAliveTimeoutSeconds=30", "--Gateway:LoadBalancerIdleTimeoutSeconds=60"),
            Env(TestDatabase.ConnectionString));
        AssertFailedClearly(result, "gateway", "KeepAliveTimeoutSeconds (30) must be greater");
    }

    [Fact]
    public async Task An_unknown_shutdown_profile_is_refused()
    {
        var result = await Processes.RunAsync("dotnet", Gateway("--Shutdown:Profile=yolo"),
            Env(TestDatabase.ConnectionString));
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("yolo", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_option_value_is_named_in_the_message()
    {
        var result = await Processes.RunAsync("dotnet", [Processes.SiloDll, "--Silo:SiloPort=70000"], Env(TestDatabase.ConnectionString));
        AssertFailedClearly(result, "silo", "SiloPort");
    }
}
