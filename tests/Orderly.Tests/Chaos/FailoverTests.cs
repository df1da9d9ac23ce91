using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Orderly.Gateway.Silos;
using Orderly.Grains.Storage;
using Orderly.Harness.Chaos;
using Orderly.Harness.Database;
using Orderly.Silo.Database;
using Orderly.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Orderly.Tests.Chaos;

/// <summary>The Aurora-shaped pair (writer, synchronous standby, cluster endpoint), started once for these tests and stopped after.</summary>
public sealed class DatabasePairFixture : IAsyncLifetime
{
    public DatabasePair Pair { get; } = new(Processes.Layout, TextWriter.Null);

    public Task InitializeAsync() => Pair.StartAsync(CancellationToken.None);

    public Task DisposeAsync() => Pair.StopAsync();

    /// <summary>A schema of its own on the pair, reached through <paramref name="connectionString"/> (an endpoint's).</summary>
    public static async Task<string> CreateSchemaAsync(string connectionString, string prefix)
    {
        var schema = $"{prefix}_{Guid.NewGuid():N}"[..(prefix.Length + 9)];
        // Unpooled: a pooled connection may lead to a server an earlier test crashed.
        await using (var connection = new NpgsqlConnection(DatabasePair.ClusterEndpointConnectionString + ";Pooling=false"))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE SCHEMA \"{schema}\"", connection);
            await command.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = schema }.ToString();
    }
}

/// <summary>
/// Aurora failovers against real parts: PostgreSQL streaming replication with a synchronous standby,
/// promotion, pg_rewind, and HAProxy as the cluster endpoint whose target moves like a DNS name.
/// The targets are those of docs/failover.md: no acknowledged order lost or doubled, no 500, every
/// failure a 503 with Retry-After, writes back within 5 s of a writer being reachable, reads of
/// active orders served throughout, no silo lost, and a scale-down right after that fails nothing.
/// </summary>
[Trait(Tiers.Name, Tiers.Full)]
public sealed class FailoverTests(DatabasePairFixture fixture, ITestOutputHelper output) : IClassFixture<DatabasePairFixture>
{
    private const double WritesBackWithinSeconds = 5;

    [Fact]
    public async Task Through_a_failover_and_a_switchover_behind_the_cluster_endpoint_Orderly_recovers_by_itself_and_the_baseline_does_not_match_it()
    {
        var schema = await DatabasePairFixture.CreateSchemaAsync(DatabasePair.ClusterEndpointConnectionString, "failover");
        var report = await RunAsync(schema, new DatabaseFaultOptions { Pair = fixture.Pair, Settle = TimeSpan.FromSeconds(10) },
            [ChaosFaults.DbFailover, ChaosFaults.DbSwitchover, ChaosFaults.SiloScaleDown]);

        AssertOrderlyHeld(report, expectedFaults: 2);
        // Stale DNS is at least 10 s by default: the endpoint moved only after the old writer was back as a reader.
        var failover = report.Faults.Single(f => f.Fault == ChaosFaults.DbFailover);
        var back = failover.Steps.Single(s => s.What.Contains("read-only replica", StringComparison.Ordinal)).AtSeconds;
        var moved = failover.Steps.Single(s => s.What.StartsWith("cluster endpoint moved", StringComparison.Ordinal)).AtSeconds;
        Assert.True(moved - back >= 10, $"the endpoint moved {moved - back:0.0}s after the old writer came back");
        // The scale-down right after the failovers fails nothing.
        Assert.Equal(0, report.Faults.Single(f => f.Fault == ChaosFaults.SiloScaleDown).Failed);
        // The baseline ran through the same faults beside Orderly (docs/reliability.md's comparison).
        var baseline = report.Failovers.Single(f => f.System == "baseline" && f.Fault == ChaosFaults.DbFailover);
        Assert.True(baseline.Writes > 0 && baseline.Reads > 0, "the baseline was not loaded");
        Assert.True(baseline.WritesFailed > 0, "the baseline failed no write through a failover: the fault did not bite");
    }

    [Fact]
    public async Task With_both_instance_endpoints_writes_come_back_at_the_promotion_without_waiting_for_the_cluster_endpoint()
    {
        var schema = await DatabasePairFixture.CreateSchemaAsync(DatabasePair.InstanceEndpointsConnectionString, "instances");
        var report = await RunAsync(schema, new DatabaseFaultOptions
        {
            Pair = fixture.Pair,
            InstanceEndpoints = true,
            Baseline = false,
            Settle = TimeSpan.FromSeconds(8),
        }, [ChaosFaults.DbFailover]);

        AssertOrderlyHeld(report, expectedFaults: 1);
    }

    [Fact]
    public async Task A_pool_that_met_a_read_only_server_writes_again_once_the_endpoint_reaches_the_writer()
    {
        var writer = await DatabasePair.WriterAsync(CancellationToken.None) ?? throw new InvalidOperationException("no writer");
        var schema = await DatabasePairFixture.CreateSchemaAsync(DatabasePair.ClusterEndpointConnectionString, "pool");
        using var host = DatabaseHost(schema);
        var orderly = host.Services.GetRequiredService<NpgsqlDataSource>();
        // What a plain Npgsql application has (the bench's baseline): the same pool, no check on new connections.
        await using var plain = NpgsqlDataSource.Create(schema);
        await Write(orderly, "CREATE TABLE probe (k int)");
        try
        {
            // Stale DNS: the cluster endpoint sends new connections to the reader.
            await fixture.Pair.PointEndpointAtAsync(DatabasePair.Other(writer));
            orderly.Clear();
            plain.Clear();
            var refused = await Assert.ThrowsAnyAsync<NpgsqlException>(() => Write(orderly, "INSERT INTO probe VALUES (1)"));
            Assert.IsNotType<PostgresException>(refused);
            // Decided in the silo, as every grain call's database failure is, then read by the gateway.
            Assert.Equal(FailureKind.Transient, Failures.Classify(StorageFailures.ToWire(refused)!));
            var readOnly = await Assert.ThrowsAsync<PostgresException>(() => Write(plain, "INSERT INTO probe VALUES (1)"));
            Assert.Equal("25006", readOnly.SqlState);
            Assert.Equal(FailureKind.Transient, Failures.Classify(StorageFailures.ToWire(readOnly)!));

            // The name moves: Orderly's next write reaches the writer; the plain pool's connection stays on the reader.
            await fixture.Pair.PointEndpointAtAsync(writer);
            await Write(orderly, "INSERT INTO probe VALUES (2)");
            var stillReadOnly = await Assert.ThrowsAsync<PostgresException>(() => Write(plain, "INSERT INTO probe VALUES (3)"));
            Assert.Equal("25006", stillReadOnly.SqlState);
        }
        finally
        {
            await fixture.Pair.PointEndpointAtAsync(writer);
        }
    }

    private static async Task Write(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The silo's database registration, as the product makes it.</summary>
    private static IHost DatabaseHost(string connectionString)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Orderly"] = connectionString });
        builder.AddOrderlyDatabase();
        return builder.Build();
    }

    private async Task<ChaosReport> RunAsync(string connectionString, DatabaseFaultOptions db, string[] faults)
    {
        using var log = new StringWriter();
        try
        {
            return await new ChaosRunner(Processes.Layout, log).RunAsync(new ChaosOptions
            {
                ConnectionString = connectionString,
                Faults = faults,
                Database = db,
                Settle = TimeSpan.FromSeconds(10),
                Sessions = 4,
            }, CancellationToken.None);
        }
        finally
        {
            output.WriteLine(log.ToString());
        }
    }

    private static void AssertOrderlyHeld(ChaosReport report, int expectedFaults)
    {
        Assert.Equal(0, report.WholeRun.Lost);
        Assert.Equal(0, report.WholeRun.Duplicated);
        Assert.True(report.Anomalies.Total == 0, string.Join("; ", report.Anomalies.Examples));
        Assert.Empty(report.SilosRestarted);
        foreach (var fault in report.Faults.Where(f => f.Fault != "whole run"))
            Assert.True(fault.FailuresWithoutRetryAfter == 0, $"{fault.Fault}: {fault.FailuresWithoutRetryAfter} failures were not 503 with Retry-After");
        var orderly = report.Failovers.Where(f => f.System == "Orderly").ToList();
        Assert.Equal(expectedFaults, orderly.Count);
        foreach (var o in orderly)
        {
            Assert.True(o.Writes > 50, $"{o.Fault}: too few writes ({o.Writes})");
            Assert.Equal(0, o.Http500);
            Assert.True(o.FailuresWithoutRetryAfter == 0, $"{o.Fault}: {o.How}");
            Assert.True(o.WritesBackSeconds is <= WritesBackWithinSeconds, $"{o.Fault}: writes back after {o.WritesBackSeconds?.ToString() ?? "never"} s");
            Assert.True(o.ReadsServedShare >= 0.999, $"{o.Fault}: reads served {o.ReadsServed}/{o.Reads}");
            Assert.Equal(0, o.Lost);
            Assert.Equal(0, o.Duplicated);
        }
    }
}
