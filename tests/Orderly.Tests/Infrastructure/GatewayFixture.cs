using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;
using Orderly.Harness.Identity;

namespace Orderly.Tests.Infrastructure;

// Both hosts are Web SDK programs with a generated public Program; name the gateway by a type of its own.
using GatewayEntry = Orderly.Gateway.Hosting.GatewayHostOptions;

/// <summary>
/// The gateway under WebApplicationFactory (on real Kestrel), talking over TCP to a real silo hosted in this process
/// (the same SiloApp the Silo binary runs) in a schema of its own. The gateway finds the silo as a local one
/// does, in a list file (Silos:OrleansGatewayListFile), and is given no database.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    private WebApplication _silo = null!;

    public WebApplicationFactory<GatewayEntry> Factory { get; private set; } = null!;
    public NpgsqlDataSource Db { get; private set; } = null!;
    public string ConnectionString { get; private set; } = "";
    public string ClusterId { get; } = "http-" + Guid.NewGuid().ToString("N")[..8];
    public int OrleansGatewayPort { get; } = FreePorts.Next();

    /// <summary>The list the gateway finds its silo in: one line, the silo's Orleans gateway.</summary>
    public string SiloListFile { get; } = Path.Combine(Path.GetTempPath(), $"orderly-{Guid.NewGuid():N}-orleans-gateways");

    private int _port;

    /// <summary>The gateway's operators' port (/metrics), a free one like its public port.</summary>
    public int ManagementPort { get; } = FreePorts.Next();

    /// <summary>The in-process silo's management port (health, metrics; the dashboard only when asked for).</summary>
    public int SiloManagementPort { get; } = FreePorts.Next();

    /// <summary>The gateway's public port (the API and health; what a load balancer sends to).</summary>
    public int Port => _port;

    /// <summary>The issuer whose tokens the gateway accepts (Auth:Authority).</summary>
    public LocalIssuer Issuer { get; private set; } = null!;

    /// <summary>A client whose requests carry the token their real caller would hold (<see cref="OwnerTokens"/>).</summary>
    public HttpClient CreateClient() => OwnerTokens.From(Issuer).Client(new Uri($"http://127.0.0.1:{_port}"));

    /// <summary>A client that sends no token of its own: the authorization tests set theirs.</summary>
    public HttpClient CreateAnonymousClient() => new() { BaseAddress = new Uri($"http://127.0.0.1:{_port}") };

    public async Task InitializeAsync()
    {
        Issuer = await TestIssuer.GetAsync();
        ConnectionString = await TestDatabase.CreateSchemaAsync("http");
        Db = NpgsqlDataSource.Create(ConnectionString);
        _silo = Orderly.Silo.Hosting.SiloApp.Create(
        [
            $"--ConnectionStrings:Orderly={ConnectionString}",
            $"--Orleans:ClusterId={ClusterId}",
            $"--Orleans:ServiceId={ClusterId}",
            "--Silo:Name=http-silo",
            $"--Silo:SiloPort={FreePorts.Next()}",
            $"--Silo:OrleansGatewayPort={OrleansGatewayPort}",
            $"--Silo:ManagementPort={SiloManagementPort}",
        ]);
        await _silo.StartAsync();

        await File.WriteAllTextAsync(SiloListFile, $"127.0.0.1:{OrleansGatewayPort}\n");
        _port = FreePorts.Next();
        Factory = new WebApplicationFactory<GatewayEntry>().WithWebHostBuilder(web =>
        {
            web.UseSetting("Gateway:Port", _port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            web.UseSetting("Gateway:ManagementPort", ManagementPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
            web.UseSetting("Silos:OrleansGatewayListFile", SiloListFile);
            web.UseSetting("Orleans:ClusterId", ClusterId);
            web.UseSetting("Orleans:ServiceId", ClusterId);
            web.UseSetting("Auth:Authority", Issuer.Url);
        });
        // Real Kestrel on a free port, not the in-memory TestServer: body and header limits are Kestrel's.
        Factory.UseKestrel();
        Factory.StartServer();
    }

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        await _silo.StopAsync();
        await _silo.DisposeAsync();
        await Db.DisposeAsync();
        await TestDatabase.DropSchemaAsync(ConnectionString);
        File.Delete(SiloListFile);
    }

    public async Task<long> CountAsync(string table)
    {
        await using var command = Db.CreateCommand($"SELECT count(*) FROM {table}");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async Task<long> CountWhereAsync(string table, string column, string value)
    {
        await using var command = Db.CreateCommand($"SELECT count(*) FROM {table} WHERE {column} = @value");
        command.Parameters.AddWithValue("value", value);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>A fingerprint of everything stored: equal before and after means nothing changed.</summary>
    public async Task<string> StoredStateFingerprintAsync()
    {
        await using var command = Db.CreateCommand("""
            SELECT (SELECT count(*) FROM orleans_grain_state) || ':' ||
                   coalesce((SELECT md5(string_agg(payload::text || version, ',' ORDER BY grainidn0, grainidn1)) FROM orleans_grain_state), '') || ':' ||
                   (SELECT count(*) FROM orders) || ':' ||
                   coalesce((SELECT md5(string_agg(doc::text || version, ',' ORDER BY id)) FROM orders), '')
            """);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}
