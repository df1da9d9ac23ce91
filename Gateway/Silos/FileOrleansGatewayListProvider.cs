using System.Net;
using Microsoft.Extensions.Options;

namespace Orderly.Gateway.Silos;

/// <summary>
/// Finds silos in a file of <c>address:port</c> lines, re-read at every refresh: the local runner's
/// stand-in for the headless Service. Its endpoints controller (Harness/Cluster/SiloEndpoints.cs)
/// lists the silos that are ready and not terminating, as Kubernetes lists them in DNS, so a local
/// gateway finds silos the way it does in a cluster and needs no database either.
/// </summary>
public sealed partial class FileOrleansGatewayListProvider(IOptions<SiloConnectionOptions> options, TimeProvider time, ILogger<FileOrleansGatewayListProvider> log)
    : ListedOrleansGatewayProvider(options, time)
{
    protected override async Task<IReadOnlyList<IPEndPoint>> ListAsync()
    {
        var file = Options.OrleansGatewayListFile!;
        string[] lines;
        try
        {
            lines = await File.ReadAllLinesAsync(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not written yet (no silo ready), or being replaced: an empty list, Orleans asks again.
            LogReadFailed(file, e.Message);
            return [];
        }
        return [.. Parse(lines, bad => LogBadLine(file, bad))];
    }

    /// <summary>The endpoints of <paramref name="lines"/>: blank lines and <c>#</c> comments skipped, a line that is no <c>address:port</c> reported and skipped.</summary>
    public static IEnumerable<IPEndPoint> Parse(IEnumerable<string> lines, Action<string> bad)
    {
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            if (IPEndPoint.TryParse(line, out var endpoint) && endpoint.Port > 0)
                yield return endpoint;
            else
                bad(line);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "no Orleans gateways listed yet in {File}: {Reason}")]
    private partial void LogReadFailed(string file, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{File}: skipped a line that is not address:port: {Line}")]
    private partial void LogBadLine(string file, string line);
}
