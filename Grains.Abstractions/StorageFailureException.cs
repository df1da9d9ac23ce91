namespace Orderly.Grains.Abstractions;

/// <summary>
/// A grain call failed in the database. The silo turns every database failure into this before it
/// crosses the wire (Grains/Storage/StorageFailures.cs), having decided there whether a retry
/// can fix it, so a caller needs neither the database driver nor its error codes to act on it.
/// </summary>
[GenerateSerializer, Alias("Orderly.StorageFailureException")]
public sealed class StorageFailureException : Exception
{
    public StorageFailureException(string message, bool transient, string cause, string? sqlState)
        : base(message)
    {
        Transient = transient;
        Cause = cause;
        SqlState = sqlState;
    }

    /// <summary>True when the same call can succeed later: the database was away, busy, or not the writer yet.</summary>
    [Id(0)] public bool Transient { get; private set; }

    /// <summary>The type name of the database driver's exception (NpgsqlException, PostgresException): logs and metrics keep it.</summary>
    [Id(1)] public string Cause { get; private set; }

    /// <summary>Postgres' SQLSTATE when the server refused, null when it was never reached.</summary>
    [Id(2)] public string? SqlState { get; private set; }
}
