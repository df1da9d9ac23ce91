using System.Reflection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Orderly.Grains.Storage.Schema;

/// <summary>One numbered SQL script, embedded in this assembly from Storage/Schema/Migrations/NNNN_name.sql.</summary>
public sealed record Migration(int Version, string Name, string Sql);

/// <summary>
/// Applies Orderly's schema. Safe to run from every replica at once and any number of times: all
/// pending scripts run in one transaction under a transaction-scoped advisory lock, so concurrent
/// runners queue up and the later ones find nothing left to do. A failed script leaves nothing behind.
/// </summary>
public sealed partial class SchemaMigrator(NpgsqlDataSource db, ILogger<SchemaMigrator> log)
{
    private const string ResourcePrefix = "Orderly.Schema.";

    public static IReadOnlyList<Migration> Migrations { get; } = Load();

    public static int LatestVersion => Migrations[^1].Version;

    /// <summary>Returns the versions this call applied (empty when the schema was already current).</summary>
    public Task<IReadOnlyList<int>> ApplyAsync(CancellationToken cancellationToken = default) =>
        ApplyAsync(LatestVersion, cancellationToken);

    /// <summary>Applies pending migrations up to <paramref name="upTo"/> (tests of an upgrade start from an older schema).</summary>
    public async Task<IReadOnlyList<int>> ApplyAsync(int upTo, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await Execute(connection, "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '/orderly-schema'))", cancellationToken);
        await Execute(connection, """
            CREATE TABLE IF NOT EXISTS orderly_schema_version (
                version    int PRIMARY KEY,
                name       text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """, cancellationToken);

        var applied = new HashSet<int>();
        await using (var read = new NpgsqlCommand("SELECT version FROM orderly_schema_version", connection))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
                applied.Add(reader.GetInt32(0));
        }

        if (applied.Count > 0 && applied.Max() > LatestVersion)
            throw new InvalidOperationException(
                $"the database schema is at version {applied.Max()}, newer than this build knows ({LatestVersion}); deploy a newer build");

        var done = new List<int>();
        foreach (var migration in Migrations.Where(m => m.Version <= upTo && !applied.Contains(m.Version)))
        {
            await Execute(connection, migration.Sql, cancellationToken);
            await using var record = new NpgsqlCommand("INSERT INTO orderly_schema_version (version, name) VALUES (@v, @n)", connection);
            record.Parameters.AddWithValue("v", migration.Version);
            record.Parameters.AddWithValue("n", migration.Name);
            await record.ExecuteNonQueryAsync(cancellationToken);
            done.Add(migration.Version);
            LogApplied(migration.Version, migration.Name);
        }
        await transaction.CommitAsync(cancellationToken);
        if (done.Count == 0)
            LogCurrent(applied.Count == 0 ? 0 : applied.Max());
        return done;
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static List<Migration> Load()
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        var migrations = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => Read(assembly, n))
            .OrderBy(m => m.Version)
            .ToList();
        if (migrations.Count == 0 || migrations.Select(m => m.Version).Distinct().Count() != migrations.Count)
            throw new InvalidOperationException("schema migrations are missing or numbered twice");
        return migrations;
    }

    private static Migration Read(Assembly assembly, string resource)
    {
        var name = resource[ResourcePrefix.Length..^".sql".Length];
        var version = int.Parse(name.AsSpan(0, name.IndexOf('_', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture);
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return new Migration(version, name, reader.ReadToEnd());
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "schema: applied migration {Version} ({Name})")]
    private partial void LogApplied(int version, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "schema: already at version {Version}")]
    private partial void LogCurrent(int version);
}
