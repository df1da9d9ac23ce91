using System.Text.RegularExpressions;
using Npgsql;
using Orderly.LoadClient.Load;

namespace Orderly.LoadClient.Verify;

/// <summary>
/// What verification found. <see cref="LostIds"/> holds every lost order (the examples are capped for
/// display and must never be counted); <see cref="Duplicated"/> is -1 where duplicates cannot be seen.
/// </summary>
public sealed record Verification(IReadOnlyList<Guid> LostIds, int Duplicated, IReadOnlyList<string> Examples)
{
    /// <summary>The version storage holds of each acknowledged order that it holds at all (what the consistency checker compares with).</summary>
    public IReadOnlyDictionary<Guid, int> Stored { get; init; } = new Dictionary<Guid, int>();

    /// <summary>How many examples a summary shows.</summary>
    public const int ExamplesShown = 10;

    public int Lost => LostIds.Count;
}

/// <summary>
/// After a run, checks every acknowledged order in storage. Lost: not there, or older than the last
/// version its user was told about. Duplicated: one customer's Idempotency-Key stored as more than one order.
/// The two queries are the storage room's (Grains/Storage/Audit/*.sql, embedded here).
/// </summary>
public static partial class Verifier
{
    private static readonly string StoredVersions = Audit("stored_versions");
    private static readonly string DuplicateKeys = Audit("duplicate_keys");

    /// <param name="table">Where orders are: Orderly's <c>orders</c>, or a table shaped like it (the bench's baseline).</param>
    public static async Task<Verification> VerifyAsync(string connectionString, IReadOnlyCollection<AcknowledgedOrder> acknowledged, string customerPrefix,
        string table = "orders")
    {
        if (!TableName().IsMatch(table))
            throw new ArgumentException($"'{table}' is not a plain table name", nameof(table));
        await using var db = NpgsqlDataSource.Create(connectionString);
        var stored = new Dictionary<Guid, int>();
        await using (var command = db.CreateCommand(StoredVersions.Replace("{table}", table, StringComparison.Ordinal)))
        {
            command.Parameters.AddWithValue("ids", acknowledged.Select(a => a.Id).ToArray());
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                stored[reader.GetGuid(0)] = reader.GetInt32(1);
        }
        var examples = new List<string>();
        var lost = new List<Guid>();
        foreach (var a in acknowledged)
        {
            if (stored.TryGetValue(a.Id, out var version) && version >= a.Version)
                continue;
            lost.Add(a.Id);
            if (examples.Count < Verification.ExamplesShown)
                examples.Add($"lost: {a.Id} acknowledged at version {a.Version}, stored {(stored.ContainsKey(a.Id) ? $"version {version}" : "nowhere")}");
        }

        var duplicated = 0;
        await using (var command = db.CreateCommand(DuplicateKeys.Replace("{table}", table, StringComparison.Ordinal)))
        {
            command.Parameters.AddWithValue("prefix", customerPrefix + "%");
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                duplicated += (int)reader.GetInt64(2) - 1;
                if (examples.Count < 2 * Verification.ExamplesShown)
                    examples.Add($"duplicated: {reader.GetString(0)} key {reader.GetString(1)} stored {reader.GetInt64(2)} times");
            }
        }
        return new Verification(lost, duplicated, examples) { Stored = stored };
    }

    private static string Audit(string name)
    {
        using var stream = typeof(Verifier).Assembly.GetManifestResourceStream($"Orderly.Audit.{name}.sql")
            ?? throw new InvalidOperationException($"the audit query {name}.sql is not embedded in the load client");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]*$")]
    private static partial Regex TableName();
}
