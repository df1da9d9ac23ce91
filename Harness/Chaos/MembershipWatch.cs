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
    public static async Task<int?> ActiveGenerationAsync(string connectionString, int siloPort, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT max(Generation) FROM OrleansMembershipTable WHERE Port = @port AND Status = @active", connection);
        command.Parameters.AddWithValue("port", siloPort);
        command.Parameters.AddWithValue("active", Active);
        return await command.ExecuteScalarAsync(cancellationToken) is int generation ? generation : null;
    }

    /// <summary>Polls until that silo's row says Dead; false when <paramref name="timeout"/> passes first.</summary>
    public static async Task<bool> WaitForDeadAsync(string connectionString, int siloPort, int generation, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand(
                    "SELECT Status FROM OrleansMembershipTable WHERE Port = @port AND Generation = @generation", connection);
                command.Parameters.AddWithValue("port", siloPort);
                command.Parameters.AddWithValue("generation", generation);
                if (await command.ExecuteScalarAsync(cancellationToken) is int status && status == Dead)
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
}
