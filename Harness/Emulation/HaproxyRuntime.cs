using System.Net.Sockets;
using System.Text;
using Orderly.Harness.Cluster;

namespace Orderly.Harness.Emulation;

/// <summary>
/// HAProxy's runtime API over its admin socket: how the runner plays the AWS Load Balancer Controller,
/// taking a target out of rotation (deregistration) and putting one in (registration).
/// </summary>
public sealed class HaproxyRuntime(ClusterLayout layout)
{
    public Task DeregisterAsync(string server) => CommandAsync($"set server gateways/{server} state maint");

    public Task RegisterAsync(string server) => CommandAsync($"set server gateways/{server} state ready");

    public async Task<string> CommandAsync(string command)
    {
        var text = await SendAsync(command);
        if (text.Length > 0 && !text.StartsWith("State", StringComparison.Ordinal))
            throw new ClusterException($"HAProxy refused '{command}': {text}");
        return text;
    }

    /// <summary>What the health checks say about a server: UP, DOWN, MAINT, "UP 1/2" (going down), …</summary>
    public async Task<string> StatusAsync(string server)
    {
        var lines = (await SendAsync("show stat")).Split('\n');
        var header = lines[0].TrimStart('#', ' ').Split(',');
        var column = Array.IndexOf(header, "status");
        var row = lines.Select(l => l.Split(',')).FirstOrDefault(f => f.Length > column && f[0] == "gateways" && f[1] == server);
        return column < 0 || row is null ? "unknown" : row[column];
    }

    /// <summary>The load balancer's readiness gate: waits until health checks see the target UP.</summary>
    public async Task<bool> WaitUpAsync(string server, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await StatusAsync(server) == "UP")
                return true;
            await Task.Delay(250, cancellationToken);
        }
        return false;
    }

    private Task<string> SendAsync(string command) => SendAsync(layout.HaproxySocket, command);

    /// <summary>One command to any HAProxy's admin socket (the load balancer's, the database pair's endpoint); its answer, trimmed.</summary>
    public static async Task<string> SendAsync(string adminSocket, string command)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(adminSocket));
        await socket.SendAsync(Encoding.ASCII.GetBytes(command + "\n"), SocketFlags.None);
        var buffer = new byte[16384];
        var answer = new StringBuilder();
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
        return answer.ToString().Trim();
    }
}
