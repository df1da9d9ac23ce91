using Npgsql;

namespace Orderly.Bench.Runner;

/// <summary>
/// What Postgres did per request during one operation, as Postgres itself counts it. Unlike
/// throughput these figures do not move with how busy the machine is.
/// </summary>
/// <param name="WalBytes">WAL written per request by transactions touching the bench's schema.</param>
/// <param name="WalScope">"schema" when read record by record (pg_walinspect), "cluster" when only the
/// server-wide WAL position was available (then other databases' writes count too).</param>
/// <param name="WriteTransactions">Transactions per request that wrote to the bench's tables (from the WAL); null without pg_walinspect.</param>
/// <param name="RowsWritten">Rows inserted, updated or deleted per request in the bench's schema (heap records in the WAL, or pg_stat_user_tables).</param>
/// <param name="TableScans">Index and sequential scans per request on the bench's tables: reads that reached a table.</param>
/// <param name="Statements">Top-level statements per request (pg_stat_statements); null when it is not loaded.</param>
/// <param name="PageImageBytes">Of <paramref name="WalBytes"/>, the full-page images: the first change to a page after a
/// checkpoint logs the whole page, so this part depends on when checkpoints fall, not on the requests; null without pg_walinspect.</param>
/// <param name="HotUpdateShare">Of the rows updated, the share Postgres updated in place on the same page (heap-only
/// tuples: no index entry written); null when nothing was updated or without pg_walinspect.</param>
public sealed record DatabaseWork(double WalBytes, string WalScope, double? WriteTransactions, double RowsWritten, double TableScans, double? Statements,
    double? PageImageBytes = null, double? HotUpdateShare = null)
{
    /// <summary>WAL per request without the full-page images: what the requests themselves wrote, the figure the targets compare.</summary>
    public double RecordBytes => WalBytes - (PageImageBytes ?? 0);
}

/// <summary>
/// Samples Postgres' counters before and after an operation. Row and scan counters are per table and
/// so only see the bench's schema; WAL is read record by record with pg_walinspect when the user may
/// (the throwaway Postgres' user is a superuser), keeping the records of transactions that touched
/// the schema's relations; otherwise the server-wide WAL position. Statements need
/// pg_stat_statements in shared_preload_libraries (new ./orderly Postgres instances have it; an
/// existing one without it reports "n/a" rather than restarting a server others may share).
/// </summary>
public sealed class DatabaseWorkProbe : IAsyncDisposable
{
    // Marks the probe's own statements so pg_stat_statements' count leaves them out.
    private const string Marker = "/* orderly-bench-probe */";

    /// <summary>
    /// Statements a cluster runs on its own clock, whatever the requests: Orleans' membership (its tables and
    /// Orderly's functions over them: a silo's I-am-alive, the table read on every change, a client's gateway list) and the check a silo
    /// makes on each new pooled connection that the server takes writes. They are not a request's work;
    /// counted, they made a 2 + 2 create look like 1.01 statements and a 3 + 3 one 1.03 in a 2-s run.
    /// Matched on the text pg_stat_statements keeps (case-insensitive).
    /// </summary>
    public static readonly string[] Bookkeeping = ["orleansmembership", "orderly_membership", "pg_is_in_recovery()"];

    /// <summary>
    /// A backend publishes its table counters at most once a second and, when it went idle within a
    /// second of its last flush, only 10 s later (PGSTAT_IDLE_INTERVAL); a sample waits that out.
    /// </summary>
    public static readonly TimeSpan DefaultStatsSettle = TimeSpan.FromSeconds(11);

    private readonly NpgsqlDataSource _db;
    private readonly TimeSpan _statsSettle;
    // Schema-qualified functions and views of the extensions, or null when unavailable: an extension
    // lives in whichever schema created it first, which need not be on this search path.
    private string? _walInspect;
    private string? _statements;

    private DatabaseWorkProbe(NpgsqlDataSource db, TimeSpan statsSettle) => (_db, _statsSettle) = (db, statsSettle);

    public sealed record Sample(string Lsn, long Rows, long Scans, long? Statements);

    /// <param name="statsSettle">How long a sample waits for backends to publish their table counters
    /// (<see cref="DefaultStatsSettle"/>); shorter undercounts table scans and rows, never WAL or statements.</param>
    public static async Task<DatabaseWorkProbe> CreateAsync(string connectionString, TimeSpan statsSettle, CancellationToken cancellationToken)
    {
        var probe = new DatabaseWorkProbe(NpgsqlDataSource.Create(connectionString), statsSettle);
        if (await probe.TryAsync("CREATE EXTENSION IF NOT EXISTS pg_walinspect", cancellationToken))
            probe._walInspect = await probe.ExtensionSchemaAsync("pg_walinspect", cancellationToken) + ".pg_get_wal_records_info";
        if (await probe.ScalarAsync<bool>("SELECT current_setting('shared_preload_libraries') LIKE '%pg_stat_statements%'", cancellationToken)
            && await probe.TryAsync("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", cancellationToken))
            probe._statements = await probe.ExtensionSchemaAsync("pg_stat_statements", cancellationToken) + ".pg_stat_statements";
        return probe;
    }

    /// <summary>Counters now, once what earlier requests did has been published.</summary>
    public async Task<Sample> SampleAsync(CancellationToken cancellationToken)
    {
        await Task.Delay(_statsSettle, cancellationToken);
        await using var command = _db.CreateCommand($"""
            {Marker}
            SELECT pg_current_wal_flush_lsn()::text,
                   coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint,
                   coalesce(sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0)), 0)::bigint,
                   {(_statements is { } statements
                       ? $"(SELECT coalesce(sum(calls), 0)::bigint FROM {statements} WHERE toplevel AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%orderly-bench-probe%'{string.Concat(Bookkeeping.Select(b => $" AND query NOT ILIKE '%{b}%'"))})"
                       : "NULL::bigint")}
              FROM pg_stat_user_tables WHERE schemaname = current_schema()
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new Sample(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetInt64(3));
    }

    /// <summary>The work between two samples, divided by the requests sent in between.</summary>
    public async Task<DatabaseWork> WorkAsync(Sample before, Sample after, long requests, CancellationToken cancellationToken)
    {
        double Per(double value) => requests <= 0 ? 0 : Math.Round(value / requests, 2);
        double wal;
        double? transactions = null, pageImages = null, hotShare = null;
        double rows = after.Rows - before.Rows;
        if (_walInspect is not null)
        {
            // Rows from the WAL too: exact, and not subject to the counters' publishing delay.
            var schema = await SchemaWalAsync(before.Lsn, after.Lsn, cancellationToken);
            (wal, rows) = (schema.Bytes, schema.Rows);
            transactions = Per(schema.Transactions);
            pageImages = Per(schema.PageImageBytes);
            hotShare = schema.Updates == 0 ? null : Math.Round((double)schema.HotUpdates / schema.Updates, 3);
        }
        else
        {
            wal = await ScalarAsync<decimal>($"{Marker} SELECT pg_wal_lsn_diff('{after.Lsn}', '{before.Lsn}')", cancellationToken) is var d ? (double)d : 0;
        }
        return new DatabaseWork(Per(wal), _walInspect is null ? "cluster" : "schema", transactions,
            Per(rows), Per(after.Scans - before.Scans),
            before.Statements is { } s0 && after.Statements is { } s1 ? Per(s1 - s0) : null, pageImages, hotShare);
    }

    /// <summary>
    /// WAL bytes of records that touch a relation of the current schema (or its TOAST table), plus
    /// every record of a transaction that did — its commit record included — and how many such transactions;
    /// of those bytes, the full-page images; the rows written, and of the updates, the heap-only ones.
    /// </summary>
    private async Task<SchemaWal> SchemaWalAsync(string from, string to, CancellationToken cancellationToken)
    {
        // pg_walinspect refuses a range that starts at the flush position: nothing was written at all.
        if (Lsn(to) <= Lsn(from))
            return new(0, 0, 0, 0, 0, 0);
        await using var command = _db.CreateCommand($"""
            {Marker}
            WITH mine AS (
                SELECT c.relfilenode FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relfilenode <> 0
                UNION
                SELECT t.relfilenode FROM pg_class c JOIN pg_class t ON t.oid = c.reltoastrelid
                 WHERE c.relnamespace = current_schema()::regnamespace),
            recs AS (
                SELECT row_number() OVER () AS n, xid, record_length, fpi_length, block_ref, resource_manager, record_type
                  FROM {_walInspect}(@from::pg_lsn, @to::pg_lsn)),
            touching AS (
                SELECT DISTINCT r.n, r.xid, r.resource_manager, r.record_type
                  FROM recs r CROSS JOIN LATERAL regexp_matches(r.block_ref, 'rel \d+/\d+/(\d+)', 'g') AS m
                 WHERE m[1]::oid IN (SELECT relfilenode FROM mine)),
            xids AS (SELECT DISTINCT xid FROM touching WHERE xid <> '0'::xid),
            heap AS (SELECT split_part(record_type, '+', 1) AS kind FROM touching WHERE resource_manager = 'Heap')
            SELECT coalesce(sum(r.record_length), 0)::bigint, (SELECT count(*) FROM xids),
                   (SELECT count(*) FROM heap WHERE kind IN ('INSERT', 'UPDATE', 'HOT_UPDATE', 'DELETE')),
                   coalesce(sum(r.fpi_length), 0)::bigint,
                   (SELECT count(*) FROM heap WHERE kind IN ('UPDATE', 'HOT_UPDATE')),
                   (SELECT count(*) FROM heap WHERE kind = 'HOT_UPDATE')
              FROM recs r
             WHERE r.n IN (SELECT n FROM touching) OR r.xid IN (SELECT xid FROM xids)
            """);
        command.Parameters.AddWithValue("from", from);
        command.Parameters.AddWithValue("to", to);
        command.CommandTimeout = 120;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5));
    }

    private sealed record SchemaWal(long Bytes, long Transactions, long Rows, long PageImageBytes, long Updates, long HotUpdates);

    /// <summary>"16/B374D848" as a number.</summary>
    private static ulong Lsn(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        return (ulong.Parse(text.AsSpan(0, slash), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture) << 32)
            | ulong.Parse(text.AsSpan(slash + 1), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<string> ExtensionSchemaAsync(string extension, CancellationToken cancellationToken) =>
        await ScalarAsync<string>($"SELECT quote_ident(extnamespace::regnamespace::text) FROM pg_extension WHERE extname = '{extension}'", cancellationToken);

    private async Task<bool> TryAsync(string sql, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = _db.CreateCommand(sql);
            await command.ExecuteNonQueryAsync(cancellationToken);
            return true;
        }
        catch (PostgresException)
        {
            return false;
        }
    }

    private async Task<T> ScalarAsync<T>(string sql, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public ValueTask DisposeAsync() => _db.DisposeAsync();
}
