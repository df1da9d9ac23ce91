using System.Net;
using Microsoft.Extensions.Options;

namespace Orderly.Gateway.Silos;

/// <summary>
/// Finds silos through DNS instead of the membership table: in Kubernetes a headless Service lists the
/// IPs of the silo pods that are ready (a terminating silo drops out), so gateways need no database
/// access at all and the NetworkPolicy can keep Postgres to silos only.
/// </summary>
public sealed partial class DnsOrleansGatewayListProvider(IOptions<SiloConnectionOptions> options, TimeProvider time, ILogger<DnsOrleansGatewayListProvider> log)
    : ListedOrleansGatewayProvider(options, time)
{
    protected override async Task<IReadOnlyList<IPEndPoint>> ListAsync()
    {
        var o = Options;
        try
        {
            var addresses = await Dns.GetHostAddressesAsync(o.OrleansGatewayDns!);
            return [.. addresses.Select(ip => new IPEndPoint(ip, o.OrleansGatewayPort))];
        }
        catch (System.Net.Sockets.SocketException e)
        {
            // No ready silo yet (NXDOMAIN for an empty headless Service): an empty list, Orleans retries.
            LogLookupFailed(o.OrleansGatewayDns!, e.Message);
            return [];
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "no Orleans gateways found at {Name}: {Reason}")]
    private partial void LogLookupFailed(string name, string reason);
}
