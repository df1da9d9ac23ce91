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
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(layout.HaproxySocket));
        await socket.SendAsync(Encoding.ASCII.GetBytes(command + "\n"), SocketFlags.None);
        var buffer = new byte[4096];
        var answer = new StringBuilder();
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
        var text = answer.ToString().Trim();
        if (text.Length > 0 && !text.StartsWith("State", StringComparison.Ordinal))
            throw new ClusterException($"HAProxy refused '{command}': {text}");
        return text;
    }
}
