using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orderly.Bench.Runner;
using Orderly.Grains.Storage.Schema;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Bench;

/// <summary>
/// The bench's count of statements per request, against a real Postgres. pg_stat_statements counts per
/// database, so the test works in a database of its own: no other test's statements land in its count.
/// </summary>
public sealed class DatabaseWorkProbeTests : IAsyncLifetime
{
    private readonly string _database = $"probe_{Guid.NewGuid():N}"[..18];
    private string _cs = "";

    public async Task InitializeAsync()
    {
        await using var admin = NpgsqlDataSource.Create(TestDatabase.ConnectionString);
        await using (var create = admin.CreateCommand($"CREATE DATABASE {_database}"))
            await create.ExecuteNonQueryAsync();
        _cs = new NpgsqlConnectionStringBuilder(TestDatabase.ConnectionString) { Database = _database, Pooling = false }.ToString();
    }

    public async Task DisposeAsync()
    {
        await using var admin = NpgsqlDataSource.Create(TestDatabase.ConnectionString);
        await using var drop = admin.CreateCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
        await drop.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Statements_per_request_leave_out_what_the_cluster_runs_on_its_own_clock()
    {
        await using var db = NpgsqlDataSource.Create(_cs);
        await new SchemaMigrator(db, NullLogger<SchemaMigrator>.Instance).ApplyAsync();
        async Task Run(string sql)
        {
            await using var command = db.CreateCommand(sql);
            await command.ExecuteNonQueryAsync();
        }
        await Run("CREATE TABLE requests (n int)");
        await using var probe = await DatabaseWorkProbe.CreateAsync(_cs, TimeSpan.FromSeconds(1), CancellationToken.None);
        var before = await probe.SampleAsync(CancellationToken.None);

        // Ten requests of one statement each; between them, what silos do whatever the requests.
        for (var i = 0; i < 10; i++)
            await Run($"INSERT INTO requests VALUES ({i})");
        await Run("UPDATE OrleansMembershipTable SET IAmAliveTime = now() WHERE DeploymentId = 'bench'");
        await Run("SELECT Address, ProxyPort, Generation FROM OrleansMembershipTable WHERE DeploymentId = 'bench'");
        await Run("SELECT pg_is_in_recovery() OR current_setting('default_transaction_read_only')::bool");

        var work = await probe.WorkAsync(before, await probe.SampleAsync(CancellationToken.None), 10, CancellationToken.None);
        Assert.True(work.Statements is not null, "pg_stat_statements is not loaded on the test server (./orderly's throwaway Postgres loads it)");
        Assert.Equal(1.0, work.Statements);
    }
}
