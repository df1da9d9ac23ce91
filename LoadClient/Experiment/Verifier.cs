using Npgsql;
using Orderly.LoadClient.Load;

namespace Orderly.LoadClient.Experiment;

public sealed record Verification(int Lost, int Duplicated, IReadOnlyList<string> Examples);

/// <summary>
/// After a run, checks every acknowledged order in storage. Lost: not there, or older than the last
/// version its user was told about. Duplicated: one customer's Idempotency-Key stored as more than one order.
/// </summary>
public static class Verifier
{
    public static async Task<Verification> VerifyAsync(string connectionString, IReadOnlyCollection<AcknowledgedOrder> acknowledged, string customerPrefix)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        var stored = new Dictionary<Guid, int>();
        await using (var command = db.CreateCommand("SELECT id, version FROM orders WHERE id = ANY(@ids)"))
        {
            command.Parameters.AddWithValue("ids", acknowledged.Select(a => a.Id).ToArray());
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                stored[reader.GetGuid(0)] = reader.GetInt32(1);
        }
        var examples = new List<string>();
        var lost = 0;
        foreach (var a in acknowledged)
        {
            if (stored.TryGetValue(a.Id, out var version) && version >= a.Version)
                continue;
            lost++;
            if (examples.Count < 10)
                examples.Add($"lost: {a.Id} acknowledged at version {a.Version}, stored {(stored.ContainsKey(a.Id) ? $"version {version}" : "nowhere")}");
        }

        var duplicated = 0;
        await using (var command = db.CreateCommand("""
            SELECT customer_id, idempotency_key, count(*) FROM orders
            WHERE customer_id LIKE @prefix AND idempotency_key IS NOT NULL
            GROUP BY customer_id, idempotency_key HAVING count(*) > 1
            """))
        {
            command.Parameters.AddWithValue("prefix", customerPrefix + "%");
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                duplicated += (int)reader.GetInt64(2) - 1;
                if (examples.Count < 20)
                    examples.Add($"duplicated: {reader.GetString(0)} key {reader.GetString(1)} stored {reader.GetInt64(2)} times");
            }
        }
        return new Verification(lost, duplicated, examples);
    }
}
