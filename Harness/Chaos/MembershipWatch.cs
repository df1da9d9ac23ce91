using Npgsql;

namespace Orderly.Harness.Chaos;

/// <summary>
/// Reads Orleans' membership table the way an operator would, to time how long the cluster took to
/// declare a silo dead (Orleans' SiloStatus: 3 Active, 6 Dead).
/// </summary>
public static class MembershipWatch
{
    private const int Active = 3;
    private const int Dead = 6;

    /// <summary>The generation of the active silo on <paramref name="siloPort"/>, or null when none is active.</summary>
    public static async Task<int?> ActiveGenerationAsync(string connectionString, int siloPort, CancellationToken cancellationToken) =>
        await IntAsync(connectionString, "SELECT max(Generation) FROM OrleansMembershipTable WHERE Port = @port AND Status = @other",
            siloPort, Active, cancellationToken);

    /// <summary>Polls until that silo's row says Dead; false when <paramref name="timeout"/> passes first.</summary>
    public static async Task<bool> WaitForDeadAsync(string connectionString, int siloPort, int generation, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            try
            {
                if (await IntAsync(connectionString, "SELECT Status FROM OrleansMembershipTable WHERE Port = @port AND Generation = @other",
                        siloPort, generation, cancellationToken) == Dead)
                    return true;
            }
            catch (NpgsqlException)
            {
                // The database may be the fault; keep looking.
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
        return false;
    }

    private static async Task<int?> IntAsync(string connectionString, string sql, int port, int other, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("port", port);
        command.Parameters.AddWithValue("other", other);
        return await command.ExecuteScalarAsync(cancellationToken) is int value ? value : null;
    }
}
