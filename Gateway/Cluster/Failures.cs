using System.Net.Sockets;
using Npgsql;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;
using Polly.Timeout;

namespace Orderly.Gateway.Cluster;

public enum FailureKind
{
    /// <summary>A retry can succeed: a silo left or froze, a connection broke, a call timed out, the database was briefly away.</summary>
    Transient,
    /// <summary>The same call fails the same way every time: the data is wrong or Orderly has a bug. Never retried; a 500.</summary>
    Permanent,
}

/// <summary>
/// Tells failures a retry can fix from failures it cannot, by exception type and Postgres SQLSTATE —
/// never by message text. Retrying a permanent failure only multiplies its cost (one bad request
/// becoming nine database statements) and tells the client to retry something that cannot succeed.
/// </summary>
/// <remarks>
/// A failure raised in a silo reaches the gateway through Orleans, sometimes wrapped in an
/// <see cref="OrleansException"/>: the root cause decides, so the chain is read inwards and the
/// innermost exception with a verdict wins. Wrappers without a decisive cause are Orleans' own
/// cluster failures (silo unavailable, message rejected, placement raced a membership change) and
/// are transient. Anything else unrecognised is permanent: a bug gets a 500 and a log line, not retries.
/// </remarks>
public static class Failures
{
    public static bool IsTransient(Exception e) => Classify(e) == FailureKind.Transient;

    public static FailureKind Classify(Exception e)
    {
        FailureKind? verdict = null;
        var sawOrleans = false;
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            sawOrleans |= x is OrleansException;
            verdict = VerdictOf(x) ?? verdict;
        }
        return verdict ?? (sawOrleans ? FailureKind.Transient : FailureKind.Permanent);
    }

    /// <summary>The verdict one exception carries by itself, or null when only its cause can tell.</summary>
    private static FailureKind? VerdictOf(Exception e) => e switch
    {
        PostgresException p => IsTransientSqlState(SqlStateOf(p)) ? FailureKind.Transient : FailureKind.Permanent,
        // Npgsql raises NpgsqlException itself only for failures to talk to the server (broken or
        // refused connections, timeouts, an exhausted pool); data and usage errors come as
        // PostgresException or CLR exceptions. IsTransient says so too, but it is computed from the
        // inner exception, which may not survive the Orleans wire.
        NpgsqlException => FailureKind.Transient,
        // A write raced another activation's: the grain reloads and a retry sees the stored order.
        InconsistentStateException => FailureKind.Transient,
        TimeoutException or TimeoutRejectedException or SocketException or IOException => FailureKind.Transient,
        // Values that cannot be serialized, argument and format errors: the same input fails again.
        SerializerException or System.Text.Json.JsonException or ArgumentException or FormatException
            or InvalidCastException or NotSupportedException or NullReferenceException => FailureKind.Permanent,
        _ => null,
    };

    /// <summary>
    /// The SQLSTATE of a Postgres error. Orleans carries the exception's Data across the wire but not
    /// its SqlState property; Npgsql puts the same value into Data["SqlState"].
    /// </summary>
    public static string SqlStateOf(PostgresException e) =>
        !string.IsNullOrEmpty(e.SqlState) ? e.SqlState : e.Data[nameof(PostgresException.SqlState)] as string ?? "";

    /// <summary>
    /// SQLSTATEs a retry can get past (PostgreSQL Appendix A; Npgsql's IsTransient list plus deadlock
    /// and shutdown): connection exceptions (class 08), serialization failure and deadlock (40001,
    /// 40P01), insufficient resources (class 53), operator intervention — a server shutting down,
    /// crashed or starting, a statement timeout, an idle session ended (class 57 except 57P04, database
    /// dropped) — lock or object busy (55P03, 55006, 55000), system and I/O errors (58000, 58030),
    /// and a write sent to a read-only server (25006), which a failover produces.
    /// Everything else — data exceptions (22), integrity violations (23), syntax and access rules (42),
    /// raised exceptions (P0) — fails the same way every time.
    /// </summary>
    public static bool IsTransientSqlState(string sqlState) => sqlState switch
    {
        "40001" or "40P01" or "55P03" or "55006" or "55000" or "58000" or "58030" => true,
        // read_only_sql_transaction: a write reached a server that is not the writer — after a
        // failover, the old writer back as a reader behind a cluster endpoint that has not moved yet.
        // The next connection, once the endpoint moves, reaches the writer (docs/failover.md).
        "25006" => true,
        "57P04" => false,
        { Length: 5 } => sqlState.StartsWith("08", StringComparison.Ordinal)
            || sqlState.StartsWith("53", StringComparison.Ordinal)
            || sqlState.StartsWith("57", StringComparison.Ordinal),
        _ => false,
    };
}
