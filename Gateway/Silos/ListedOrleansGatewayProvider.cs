using System.Net;
using Microsoft.Extensions.Options;
using Orleans.Messaging;

namespace Orderly.Gateway.Silos;

/// <summary>
/// The Orleans gateways a list names (the headless Service's DNS name, or the local runner's file),
/// plus those it named within <see cref="SiloConnectionOptions.LeftOrleansGatewayLingerSeconds"/> (0, off, by
/// default: a frozen silo leaves the list too, and lingering keeps its open-looking connection in use).
/// A list drops a silo the moment its pod is marked terminating, seconds before the silo stops; Orleans
/// closes its connection to a gateway that leaves the list at once, and the answers still on that
/// connection are lost (each call then waits out its attempt timeout). Kept a while longer, the silo
/// tells the client itself when it begins to stop, and Orleans then sends it nothing new but keeps the
/// connection for the answers. A silo that is really gone fails its connect and is kept off for
/// <see cref="SiloConnectionOptions.DeadOrleansGatewayMemorySeconds"/>.
/// </summary>
public abstract class ListedOrleansGatewayProvider(IOptions<SiloConnectionOptions> options, TimeProvider time) : IGatewayListProvider
{
    private readonly Dictionary<IPEndPoint, DateTimeOffset> _lastListed = [];

    protected SiloConnectionOptions Options => options.Value;

    /// <summary>How stale the list may be: a gateway marked dead stays off this long (<see cref="SiloConnectionOptions.DeadOrleansGatewayMemorySeconds"/>).</summary>
    public TimeSpan MaxStaleness => TimeSpan.FromSeconds(options.Value.DeadOrleansGatewayMemorySeconds);

    [Obsolete("Orleans considers every provider updatable")]
    public bool IsUpdatable => true;

    public Task InitializeGatewayListProvider() => Task.CompletedTask;

    public async Task<IList<Uri>> GetGateways()
    {
        var listed = await ListAsync();
        var now = time.GetUtcNow();
        var linger = TimeSpan.FromSeconds(options.Value.LeftOrleansGatewayLingerSeconds);
        lock (_lastListed)
        {
            foreach (var endpoint in listed)
                _lastListed[endpoint] = now;
            foreach (var gone in _lastListed.Where(e => now - e.Value > linger).Select(e => e.Key).ToList())
                _lastListed.Remove(gone);
            return [.. _lastListed.Keys.Select(e => e.ToGatewayUri())];
        }
    }

    /// <summary>What the list names now; empty when it cannot be read (the recently listed still count).</summary>
    protected abstract Task<IReadOnlyList<IPEndPoint>> ListAsync();
}
