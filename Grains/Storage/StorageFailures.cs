using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orderly.Grains.Abstractions;

namespace Orderly.Grains.Storage;

/// <summary>
/// Decides, in the silo, whether a database failure is one a retry can fix, and turns it into a
/// <see cref="StorageFailureException"/> before it leaves the grain call — by exception type and
/// Postgres SQLSTATE, never by message text. Retrying a permanent failure only multiplies its cost
/// (one bad request becoming nine database statements) and tells the client to retry something that
/// cannot succeed; not retrying a transient one turns a failover's seconds into errors.
/// </summary>
public static class StorageFailures
{
    /// <summary>
    /// The database failure in <paramref name="e"/>'s chain (read inwards, the innermost one decides),
    /// as the exception callers get; null when no database failure is in it.
    /// </summary>
    public static StorageFailureException? ToWire(Exception e)
    {
        NpgsqlException? cause = null;
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is NpgsqlException n)
                cause = n;
        if (cause is null)
            return null;
        var name = cause.GetType().Name;
        // Npgsql raises NpgsqlException itself only for failures to talk to the server (broken or
        // refused connections, timeouts, an exhausted pool, a connection refused because it reached a
        // reader): all transient. Data and usage errors come as PostgresException, decided by SQLSTATE.
        var sqlState = (cause as PostgresException)?.SqlState;
        var transient = cause is not PostgresException || IsTransientSqlState(sqlState);
        return new StorageFailureException($"{name}: {cause.Message}", transient, name, sqlState);
    }

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
    public static bool IsTransientSqlState(string? sqlState) => sqlState switch
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

    /// <summary>Every grain call on this silo leaves with its database failures already decided.</summary>
    public static void Register(IServiceCollection services) =>
        services.AddSingleton<IIncomingGrainCallFilter, Filter>();

    private sealed class Filter : IIncomingGrainCallFilter
    {
        public async Task Invoke(IIncomingGrainCallContext context)
        {
            try
            {
                await context.Invoke();
            }
            catch (Exception e) when (ToWire(e) is { } wire)
            {
                throw wire;
            }
        }
    }
}
