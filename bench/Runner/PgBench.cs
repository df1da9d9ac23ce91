using System.Globalization;
using HdrHistogram;
using Npgsql;
using Orderly.Harness.Cluster;

namespace Orderly.Bench.Runner;

/// <summary>
/// The ceiling: pgbench inserting the same row as an order placement (same columns, same indexes,
/// same jsonb document) into a copy of the orders table, one autocommit statement per transaction,
/// at the bench's concurrency. Latency comes from pgbench's per-transaction log.
/// </summary>
public static class PgBench
{
    public const string Table = "bench_insert";

    public static string Binary =>
        PostgresBinaries.Find("pgbench");

    /// <summary>A placement's document, close in size to what the gateway writes.</summary>
    private const string Document =
        """{"items": [{"sku": "SKU-17", "quantity": 2}], "status": "placed", "version": 1, "customerId": "pgbench", "deliveryAddress": "221 Main St", "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z"}""";

    /// <param name="rate">Transactions per second to offer (pgbench -R), or null for as many as the clients can.</param>
    public static async Task<OperationResult> RunAsync(string connectionString, int clients, TimeSpan duration, string workDir, CancellationToken cancellationToken, double? rate = null)
    {
        if (!File.Exists(Binary))
            throw new ClusterException($"pgbench not found at {Binary} (install postgresql-client or set PG_BIN)");
        var cs = new NpgsqlConnectionStringBuilder(connectionString);
        await using (var db = NpgsqlDataSource.Create(connectionString))
        {
            // LIKE orders: the same columns, generated day, primary key and indexes as the real table.
            await using var create = db.CreateCommand($"DROP TABLE IF EXISTS {Table}; CREATE TABLE {Table} (LIKE orders INCLUDING ALL);");
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        Directory.CreateDirectory(workDir);
        var script = Path.Combine(workDir, "insert.sql");
        await File.WriteAllTextAsync(script, $"""
            INSERT INTO {Table} (id, customer_id, status, created_at, updated_at, version, doc) VALUES (gen_random_uuid(), 'pgbench-' || :client_id, 'placed', now(), now(), 1, '{Document}');

            """, cancellationToken);
        var logPrefix = Path.Combine(workDir, "pgbench_log");
        var environment = new Dictionary<string, string?> { ["PGPASSWORD"] = cs.Password ?? "" };
        if (!string.IsNullOrEmpty(cs.SearchPath))
            environment["PGOPTIONS"] = $"-c search_path={cs.SearchPath}";
        var run = await Tool.RunAsync(Binary,
        [
            "-n", "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", Math.Min(clients, Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture),
            "-T", ((int)Math.Ceiling(duration.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
            "-f", script, "-l", $"--log-prefix={logPrefix}",
            .. rate is { } r ? new[] { "-R", r.ToString("0.###", CultureInfo.InvariantCulture) } : [],
            "-h", cs.Host ?? "127.0.0.1", "-p", cs.Port.ToString(CultureInfo.InvariantCulture), "-U", cs.Username ?? "orderly", cs.Database ?? "orderly",
        ], cancellationToken, environment, workDir);
        if (run.ExitCode != 0)
            throw new ClusterException($"pgbench failed: {run.Printed}");

        var latency = new LongHistogram(1, 60_000_000, 3);
        long errors = 0;
        foreach (var file in Directory.EnumerateFiles(workDir, "pgbench_log*"))
        {
            foreach (var line in File.ReadLines(file).Where(l => l.Length > 0))
            {
                if (ParseLogLine(line) is { } micros)
                    latency.RecordValue(Math.Clamp(micros, 1, 60_000_000));
                else
                    errors++;
            }
        }
        return OperationResult.From("insert", latency, errors, Math.Ceiling(duration.TotalSeconds));
    }

    /// <summary>
    /// One line of pgbench's transaction log: "client_id transaction_no time script_no time_epoch time_us",
    /// where time is the latency in microseconds, or "failed"/"skipped" instead of a number.
    /// </summary>
    public static long? ParseLogLine(string line)
    {
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 3 && long.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var micros) ? micros : null;
    }
}
