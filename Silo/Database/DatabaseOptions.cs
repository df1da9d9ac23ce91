using System.ComponentModel.DataAnnotations;
using Npgsql;

namespace Orderly.Silo.Database;

/// <summary>Where Orleans membership, grain state and the orders table live: the silo's database (the gateway has none).</summary>
public sealed class DatabaseOptions : IValidatableObject
{
    public const string Section = "Database";

    /// <summary>Npgsql connection string. From <c>ConnectionStrings:Orderly</c>, else the <c>ORDERLY_DB</c> variable.</summary>
    [Required(ErrorMessage = "No database configured: set ConnectionStrings__Orderly or ORDERLY_DB to an Npgsql connection string.")]
    public string? ConnectionString { get; set; }

    /// <summary>How long start-up waits for the database before giving up.</summary>
    [Range(1, 300)]
    public int StartupTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// Refuse to keep a connection to a server that cannot take writes (a replica, or an old writer
    /// back as one after a failover, reached through a cluster endpoint whose DNS name has not moved
    /// yet). On by default: a silo writes; turn it off only to point a silo at a replica on purpose.
    /// </summary>
    public bool WritersOnly { get; set; } = true;

    /// <summary>
    /// A pooled connection older than this is closed when it is returned (Npgsql's Connection
    /// Lifetime), so no connection outlives a DNS change by long; 0 keeps connections for ever.
    /// </summary>
    [Range(0, 86_400)]
    public int ConnectionLifetimeSeconds { get; set; } = 300;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
            yield break;
        string? problem = null;
        try
        {
            var parsed = new NpgsqlConnectionStringBuilder(ConnectionString);
            if (string.IsNullOrWhiteSpace(parsed.Host))
                problem = "the database connection string has no Host";
        }
        catch (ArgumentException e)
        {
            problem = $"the database connection string is not valid: {e.Message}";
        }
        if (problem is not null)
            yield return new ValidationResult(problem, [nameof(ConnectionString)]);
    }

    /// <summary>Host, port and database only: safe to print (never the password).</summary>
    public string Describe()
    {
        var b = new NpgsqlConnectionStringBuilder(ConnectionString);
        return $"{b.Host}:{b.Port}/{b.Database}";
    }
}
