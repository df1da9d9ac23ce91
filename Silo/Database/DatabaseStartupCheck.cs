using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using Orderly.ServiceDefaults.Hosting;

namespace Orderly.Silo.Database;

/// <summary>Fails start-up, before Orleans begins its own retries, when the database is unreachable.</summary>
internal sealed class DatabaseStartupCheck(NpgsqlDataSource db, IOptions<DatabaseOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(o.StartupTimeoutSeconds));
        Exception? last = null;
        while (!timeout.IsCancellationRequested)
        {
            try
            {
                await using var connection = await db.OpenConnectionAsync(timeout.Token);
                return;
            }
            catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
            {
                last = e;
                // Authentication and "database does not exist" will not fix themselves.
                if (e is PostgresException { SqlState: "28P01" or "28000" or "3D000" })
                    break;
                try { await Task.Delay(TimeSpan.FromMilliseconds(250), timeout.Token); }
                catch (OperationCanceledException) { break; }
            }
        }
        throw new StartupException(
            $"cannot reach the database at {o.Describe()} within {o.StartupTimeoutSeconds}s: {last?.GetBaseException().Message ?? "timed out"}",
            last);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
