using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orderly.Grains.Storage.Schema;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Schema;

public sealed class SchemaTests : IAsyncLifetime
{
    private string _cs = "";
    private NpgsqlDataSource _db = null!;

    public async Task InitializeAsync()
    {
        _cs = await TestDatabase.CreateSchemaAsync("schema");
        _db = NpgsqlDataSource.Create(_cs);
    }

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        await TestDatabase.DropSchemaAsync(_cs);
    }

    private SchemaMigrator Migrator(NpgsqlDataSource? db = null) => new(db ?? _db, NullLogger<SchemaMigrator>.Instance);

    [Fact]
    public async Task Applying_the_schema_twice_in_a_row_succeeds_and_the_second_run_changes_nothing()
    {
        Assert.Equal(SchemaMigrator.Migrations.Select(m => m.Version), await Migrator().ApplyAsync());
        Assert.Empty(await Migrator().ApplyAsync());
        Assert.Equal(SchemaMigrator.Migrations.Count, await Scalar<long>("SELECT count(*) FROM orderly_schema_version"));
    }

    [Fact]
    public async Task Applying_from_many_connections_at_once_succeeds_and_applies_each_migration_once()
    {
        var sources = Enumerable.Range(0, 8).Select(_ => NpgsqlDataSource.Create(_cs)).ToList();
        try
        {
            var results = await Task.WhenAll(sources.Select(s => Migrator(s).ApplyAsync()));
            Assert.Single(results, r => r.Count > 0);
            Assert.Equal(SchemaMigrator.Migrations.Count, await Scalar<long>("SELECT count(*) FROM orderly_schema_version"));
        }
        finally
        {
            foreach (var s in sources)
                await s.DisposeAsync();
        }
    }

    [Fact]
    public async Task Several_silo_processes_migrating_at_once_all_exit_0()
    {
        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Processes.RunAsync("dotnet",
            [Processes.SiloDll, "migrate"], new Dictionary<string, string?> { ["ConnectionStrings__Orderly"] = _cs })));

        Assert.All(runs, r => Assert.True(r.ExitCode == 0, r.Error + r.Output));
        Assert.Single(runs, r => r.Output.Contains("applied", StringComparison.Ordinal));
        Assert.Equal(3, runs.Count(r => r.Output.Contains("already at version", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Every_query_the_Orleans_providers_look_up_is_defined()
    {
        await Migrator().ApplyAsync();
        string[] required =
        [
            "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey", "UpdateIAmAlivetimeKey",
            "MembershipReadRowKey", "MembershipReadAllKey", "DeleteMembershipTableEntriesKey", "GatewaysQueryKey",
            "CleanupDefunctSiloEntriesKey", "WriteToStorageKey", "ReadFromStorageKey", "ClearStorageKey", "DeleteStorageKey",
        ];
        var keys = new List<string>();
        await using (var command = _db.CreateCommand("SELECT querykey FROM orleansquery"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                keys.Add(reader.GetString(0));
        }
        Assert.All(required, k => Assert.Contains(k, keys));
    }

    [Fact]
    public async Task Membership_writes_apply_only_at_the_expected_version_and_a_refused_insert_leaves_the_version_alone()
    {
        await Migrator().ApplyAsync();
        await Exec("INSERT INTO OrleansMembershipVersionTable (DeploymentId) VALUES ('d1')");
        const string insert = "SELECT orderly_membership_insert('d1', '127.0.0.1', 11111, 1, 's', 'h', 3, 30000, now(), now(), @v)";

        Assert.Equal(0, await Scalar<int>(insert, 5));   // stale version
        Assert.Equal(1, await Scalar<int>(insert, 0));   // current version
        Assert.Equal(0, await Scalar<int>(insert, 1));   // same silo again: refused...
        Assert.Equal(1, await Scalar<int>("SELECT version FROM OrleansMembershipVersionTable WHERE deploymentid = 'd1'"));  // ...without a bump

        const string update = "SELECT orderly_membership_update('d1', '127.0.0.1', 11111, 1, 6, NULL, now(), @v)";
        Assert.Equal(0, await Scalar<int>(update, 0));
        Assert.Equal(1, await Scalar<int>(update, 1));
        Assert.Equal(6, await Scalar<int>("SELECT status FROM OrleansMembershipTable WHERE deploymentid = 'd1'"));
    }

    [Fact]
    public async Task A_lost_write_race_returns_the_callers_version_and_leaves_orders_untouched()
    {
        await Migrator().ApplyAsync();
        const string state = """{"id":"01a20fe8-0000-7000-8000-000000000001","status":"placed","customerId":"c","items":[],"deliveryAddress":"a","createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z","version":1}""";
        const string write = "SELECT orderly_write_state(1, 10, 20, 2, 'order', NULL, 'svc', @v, convert_to(@s, 'UTF8'))";

        Assert.Equal(1, await Scalar<int>(write, null, state));
        Assert.Equal(DBNull.Value, await Scalar<object>(write, null, state.Replace("\"a\"", "\"b\"")));  // second first-write loses
        Assert.Equal(2, await Scalar<int>(write, 1, state.Replace("\"version\":1", "\"version\":2")));
        Assert.Equal(1, await Scalar<object>(write, 1, state) is int v ? v : -1);                        // stale version loses
        Assert.Equal(2, await Scalar<int>("SELECT version FROM orders"));
        Assert.Equal("a", await Scalar<string>("SELECT doc->>'deliveryAddress' FROM orders"));
    }

    [Fact]
    public async Task Other_grain_types_keep_the_generic_table_through_the_current_and_the_previous_query_texts()
    {
        await Migrator().ApplyAsync();
        const string write = "SELECT orderly_write_state(1, 10, 20, 2, 'cart', NULL, 'svc', @v, convert_to(@s, 'UTF8'))";
        Assert.Equal(1, await Scalar<int>(write, null, """{"n":1}"""));
        Assert.Equal(2, await Scalar<int>(write, 1, """{"n":2}"""));
        Assert.Equal(1, await Scalar<long>("SELECT count(*) FROM orleans_grain_state WHERE graintypestring = 'cart'"));
        Assert.Equal(0, await Scalar<long>("SELECT count(*) FROM orders"));

        Assert.Equal(("""{"n": 2}""", 2), await ReadWith(await QueryText("ReadFromStorageKey")));
        Assert.Equal(("""{"n": 2}""", 2), await ReadWith(PreviousReadText));

        // The previous build's clear text updates the view; its trigger clears the generic row.
        await using (var clear = _db.CreateCommand(PreviousClearText))
        {
            AddKey(clear);
            clear.Parameters.AddWithValue("GrainStateVersion", 2);
            Assert.Equal(3, (int)(await clear.ExecuteScalarAsync())!);
        }
        Assert.Equal((null, 3), await ReadWith(await QueryText("ReadFromStorageKey")));
    }

    // Verbatim from migration 0001: what a silo of the previous build has cached.
    private const string PreviousReadText = """
        SELECT convert_to(Payload::text, 'UTF8') AS PayloadBinary, now() AS ModifiedOn, Version
          FROM OrleansStorage
         WHERE GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1 AND GrainTypeString = @GrainTypeString
           AND ServiceId = @ServiceId AND GrainIdExtensionString = coalesce(@GrainIdExtensionString, '')
           AND @GrainIdHash IS NOT NULL AND @GrainTypeHash IS NOT NULL;
        """;

    private const string PreviousClearText = """
        UPDATE OrleansStorage
           SET Payload = NULL, Version = Version + 1, ModifiedOn = now()
         WHERE GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1 AND GrainTypeString = @GrainTypeString
           AND ServiceId = @ServiceId AND GrainIdExtensionString = coalesce(@GrainIdExtensionString, '')
           AND Version = @GrainStateVersion AND @GrainIdHash IS NOT NULL AND @GrainTypeHash IS NOT NULL
        RETURNING Version AS NewGrainStateVersion;
        """;

    private async Task<string> QueryText(string key)
    {
        await using var command = _db.CreateCommand("SELECT querytext FROM orleansquery WHERE querykey = @k");
        command.Parameters.AddWithValue("k", key);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private async Task<(string? Payload, int Version)> ReadWith(string text)
    {
        await using var command = _db.CreateCommand(text);
        AddKey(command);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var payload = reader.IsDBNull(0) ? null : System.Text.Encoding.UTF8.GetString(reader.GetFieldValue<byte[]>(0));
        return (payload, reader.GetInt32(2));
    }

    [Fact]
    public async Task An_order_changed_after_its_page_filled_up_is_rewritten_on_its_own_page_without_index_entries()
    {
        await Migrator().ApplyAsync();
        // The same table filled to the brim, as orders was before migration 0004: the test can tell the two apart.
        await Exec("CREATE TABLE orders_full (LIKE orders INCLUDING ALL) WITH (fillfactor = 100)");
        foreach (var table in new[] { "orders", "orders_full" })
            await Exec($"""
                INSERT INTO {table} (id, customer_id, status, created_at, updated_at, version, doc)
                SELECT gen_random_uuid(), 'c-' || i, 'placed', now(), now(), 1, jsonb_build_object('n', i, 'lines', repeat('x', 550))
                FROM generate_series(1, 40) i
                """);

        // The first order placed, packed once the orders placed after it filled its page.
        async Task<(int Before, int After, long Hot)> Pack(string table)
        {
            await using var connection = await _db.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            async Task<T> One<T>(string sql)
            {
                await using var command = new NpgsqlCommand(sql, connection, transaction);
                return (T)(await command.ExecuteScalarAsync())!;
            }
            var before = await One<int>($"SELECT (ctid::text::point)[0]::int FROM {table} WHERE doc->>'n' = '1'");
            var after = await One<int>($$"""
                UPDATE {{table}} SET status = 'packed', updated_at = now(), version = version + 1, doc = doc || '{"status":"packed"}'
                WHERE doc->>'n' = '1' RETURNING (ctid::text::point)[0]::int
                """);
            // This transaction's own counts: whether the update was heap-only (no index entry written).
            var hot = await One<long>($"SELECT n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE schemaname = current_schema() AND relname = '{table}'");
            await transaction.CommitAsync();
            return (before, after, hot);
        }

        Assert.Equal((0, 0, 1L), await Pack("orders"));
        var full = await Pack("orders_full");
        Assert.True(full.After != 0 && full.Hot == 0, $"on a full page the change moved to block {full.After}, HOT {full.Hot}");
    }

    [Fact]
    public async Task The_order_id_mapping_is_inlined_into_the_statements_that_call_it()
    {
        // Every order write and storage read finds its row through orderly_grain_guid. Left as a function of
        // its own, Postgres parses and plans its body each time the calling statement runs (migration 0005).
        const string Plan = "EXPLAIN (VERBOSE, COSTS OFF, FORMAT JSON) SELECT orderly_grain_guid(g, -g) FROM generate_series(1, 2) g";
        await Migrator().ApplyAsync(4);
        Assert.Contains("orderly_grain_guid", await Scalar<string>(Plan), StringComparison.Ordinal);
        await Migrator().ApplyAsync();
        var plan = await Scalar<string>(Plan);
        Assert.DoesNotContain("orderly_grain_guid", plan, StringComparison.Ordinal);
        Assert.Contains("int8send", plan, StringComparison.Ordinal);
    }

    private static void AddKey(NpgsqlCommand command)
    {
        command.Parameters.AddWithValue("GrainIdHash", 1);
        command.Parameters.AddWithValue("GrainIdN0", 10L);
        command.Parameters.AddWithValue("GrainIdN1", 20L);
        command.Parameters.AddWithValue("GrainTypeHash", 2);
        command.Parameters.AddWithValue("GrainTypeString", "cart");
        command.Parameters.Add(new NpgsqlParameter<string?>("GrainIdExtensionString", null));
        command.Parameters.AddWithValue("ServiceId", "svc");
    }

    private async Task Exec(string sql)
    {
        await using var command = _db.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<T> Scalar<T>(string sql, int? v = null, string? s = null)
    {
        await using var command = _db.CreateCommand(sql);
        if (sql.Contains("@v", StringComparison.Ordinal))
            command.Parameters.Add(new NpgsqlParameter<int?>("v", v));
        if (sql.Contains("@s", StringComparison.Ordinal))
            command.Parameters.AddWithValue("s", s!);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
