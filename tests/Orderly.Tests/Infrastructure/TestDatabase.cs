using System.Diagnostics;
using Npgsql;
using Orderly.Harness.Cluster;

namespace Orderly.Tests.Infrastructure;

/// <summary>
/// The Postgres the suite runs against: ORDERLY_DB when set, else the throwaway one that
/// `./orderly db` starts. Each fixture works in a schema of its own, so tests never see each other's rows.
/// </summary>
public static class TestDatabase
{
    private static readonly Lazy<string> Base = new(Resolve);

    public static string ConnectionString => Base.Value;

    public static ClusterLayout Layout { get; } = ClusterLayout.FromEnvironment();

    public static async Task<string> CreateSchemaAsync(string prefix)
    {
        var schema = $"{prefix}_{Guid.NewGuid():N}"[..(prefix.Length + 9)];
        await using var db = NpgsqlDataSource.Create(ConnectionString);
        await using (var command = db.CreateCommand($"CREATE SCHEMA \"{schema}\""))
            await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(ConnectionString) { SearchPath = schema }.ToString();
    }

    /// <summary>A schema of its own holding Orderly's tables, as the silo's migrator makes them.</summary>
    public static async Task<string> CreateMigratedSchemaAsync(string prefix)
    {
        var connectionString = await CreateSchemaAsync(prefix);
        await using var db = NpgsqlDataSource.Create(connectionString);
        await new Orderly.Grains.Storage.Schema.SchemaMigrator(db, Microsoft.Extensions.Logging.Abstractions.NullLogger<Orderly.Grains.Storage.Schema.SchemaMigrator>.Instance).ApplyAsync();
        return connectionString;
    }

    public static async Task DropSchemaAsync(string connectionString)
    {
        var schema = new NpgsqlConnectionStringBuilder(connectionString).SearchPath;
        await using var db = NpgsqlDataSource.Create(ConnectionString);
        await using var command = db.CreateCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
        await command.ExecuteNonQueryAsync();
    }

    private static string Resolve()
    {
        if (Environment.GetEnvironmentVariable("ORDERLY_DB") is { Length: > 0 } cs)
            return cs;
        var psi = new ProcessStartInfo(Path.Combine(Layout.Root, "orderly"), "db") { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"./orderly db failed: {error}");
        return output.Trim().Split('\n')[^1];
    }
}
