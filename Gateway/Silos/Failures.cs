using System.Net.Sockets;
using Orderly.Grains.Abstractions;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;
using Polly.Timeout;

namespace Orderly.Gateway.Silos;

public enum FailureKind
{
    /// <summary>A retry can succeed: a silo left or froze, a connection broke, a call timed out, the database was briefly away.</summary>
    Transient,
    /// <summary>The same call fails the same way every time: the data is wrong or Orderly has a bug. Never retried; a 500.</summary>
    Permanent,
}

/// <summary>
/// Tells failures a retry can fix from failures it cannot, by exception type — never by message text.
/// Retrying a permanent failure only multiplies its cost and tells the client to retry something that
/// cannot succeed. Database failures arrive already decided: the silo turns them into
/// <see cref="StorageFailureException"/> with its verdict (Grains/Storage/StorageFailures.cs),
/// so the gateway knows no database driver and no SQLSTATE.
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
        StorageFailureException s => s.Transient ? FailureKind.Transient : FailureKind.Permanent,
        // A write raced another activation's: the grain reloads and a retry sees the stored order.
        InconsistentStateException => FailureKind.Transient,
        TimeoutException or TimeoutRejectedException or SocketException or IOException => FailureKind.Transient,
        // Values that cannot be serialized, argument and format errors: the same input fails again.
        SerializerException or System.Text.Json.JsonException or ArgumentException or FormatException
            or InvalidCastException or NotSupportedException or NullReferenceException => FailureKind.Permanent,
        _ => null,
    };

    /// <summary>The name a failure is counted and logged under: a database failure by the driver's exception, as the silo saw it.</summary>
    public static string NameOf(Exception e) => e is StorageFailureException s ? s.Cause : e.GetType().Name;
}
