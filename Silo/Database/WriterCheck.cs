using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Orderly.Silo.Database;

/// <summary>
/// Checks every new physical connection: a server that cannot take writes is refused before the
/// connection enters the pool. After an Aurora failover the cluster endpoint's DNS name keeps
/// pointing at the old writer for a while, and the old writer comes back as a read-only reader;
/// without this check the pool fills with connections to it, every write fails with 25006 and keeps
/// failing after the name has moved, because pooled connections never look at DNS again. With it,
/// an open lands on the reader, fails at once (an <see cref="NpgsqlException"/>, which callers retry),
/// and the next open after the name moves reaches the writer. See docs/failover.md.
/// </summary>
/// <remarks>
/// PostgreSQL 14 and later report <c>in_hot_standby</c> and <c>default_transaction_read_only</c> when a
/// connection starts, so the check costs no round trip; for servers that do not, it asks.
/// </remarks>
public sealed partial class WriterCheck(ILogger<WriterCheck> log, IMeterFactory meters)
{
    private readonly Counter<long> _refused = meters.Create("Orderly").CreateCounter<long>(
        "orderly.db.connections_refused", "{connection}", "New database connections refused because the server takes no writes (a reader behind a stale endpoint).");
    private long _lastLogged;
    private long _sinceLogged;

    public void Install(NpgsqlDataSourceBuilder builder) =>
        builder.UsePhysicalConnectionInitializer(c => Check(c, IsReadOnlySync(c)), async c => Check(c, await IsReadOnlyAsync(c)));

    /// <summary>Whether the server says it takes no writes, from what it reported at start-up; null when it reported nothing.</summary>
    public static bool? ReportedReadOnly(NpgsqlConnection connection)
    {
        var p = connection.PostgresParameters;
        if (!p.TryGetValue("in_hot_standby", out var standby))
            return null;
        return standby == "on" || p.GetValueOrDefault("default_transaction_read_only") == "on";
    }

    private const string AskReadOnly = "SELECT pg_is_in_recovery() OR current_setting('default_transaction_read_only')::bool";

    private static bool IsReadOnlySync(NpgsqlConnection connection)
    {
        if (ReportedReadOnly(connection) is { } reported)
            return reported;
        using var command = new NpgsqlCommand(AskReadOnly, connection);
        return (bool)command.ExecuteScalar()!;
    }

    private static async Task<bool> IsReadOnlyAsync(NpgsqlConnection connection)
    {
        if (ReportedReadOnly(connection) is { } reported)
            return reported;
        await using var command = new NpgsqlCommand(AskReadOnly, connection);
        return (bool)(await command.ExecuteScalarAsync())!;
    }

    private void Check(NpgsqlConnection connection, bool readOnly)
    {
        if (!readOnly)
            return;
        _refused.Add(1);
        var server = $"{connection.Host}:{connection.Port}";
        // One line per 5 s at most: during a stale-DNS window every open lands here.
        var now = Environment.TickCount64;
        var count = Interlocked.Increment(ref _sinceLogged);
        var last = Interlocked.Read(ref _lastLogged);
        if (now - last >= 5000 && Interlocked.CompareExchange(ref _lastLogged, now, last) == last)
        {
            Interlocked.Exchange(ref _sinceLogged, 0);
            LogRefused(log, server, count);
        }
        throw new NpgsqlException($"{server} is a read-only server (a replica, or a former writer behind a cluster endpoint that has not moved yet); refused for writes");
    }

    [LoggerMessage(EventId = 9201, Level = LogLevel.Warning, Message = "database {Server} takes no writes: refused {Count} new connection(s) to it since the last such line; waiting for the cluster endpoint to reach the writer")]
    private static partial void LogRefused(ILogger logger, string server, long count);
}
