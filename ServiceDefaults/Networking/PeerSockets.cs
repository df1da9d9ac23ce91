using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Orderly.ServiceDefaults.Networking;

/// <summary>
/// How Orderly's processes notice a peer that vanished without a word (section "Network"): a node
/// lost, a partition. Nothing closes such a connection — no FIN, no RST arrives — so without a bound
/// the kernel retransmits for about 15 minutes (tcp_retries2) while Orleans keeps routing a grain's
/// calls down it.
/// </summary>
public sealed class PeerSocketOptions
{
    public const string Section = "Network";

    /// <summary>
    /// TCP_USER_TIMEOUT: a connection whose sent data has gone this long without an acknowledgement
    /// is closed by the kernel. Acknowledgements come from the peer's kernel, so a busy, paused or
    /// garbage-collecting peer still acknowledges; only a peer that cannot be reached trips it.
    /// </summary>
    [Range(1, 600)]
    public int UnacknowledgedTimeoutSeconds { get; set; } = 2;

    /// <summary>TCP keep-alive on idle connections: first probe after this long without traffic.</summary>
    [Range(1, 7200)]
    public int KeepAliveIdleSeconds { get; set; } = 5;

    /// <summary>Between keep-alive probes; an idle connection to a vanished peer closes after idle + interval × probes.</summary>
    [Range(1, 600)]
    public int KeepAliveIntervalSeconds { get; set; } = 1;

    [Range(1, 100)]
    public int KeepAliveProbes { get; set; } = 3;

    /// <summary>
    /// A connection attempt to a peer that drops packets hangs (no refusal comes back); give up after
    /// this long, so the caller tries another gateway or silo. Orleans' own limit is 5 s.
    /// </summary>
    [Range(1, 60)]
    public int ConnectTimeoutSeconds { get; set; } = 2;
}

/// <summary>
/// Orleans' outgoing connections (client to Orleans gateway, silo to silo) on sockets that give up on a
/// peer that stopped answering (<see cref="PeerSocketOptions"/>). Orleans' own socket factory sets
/// keep-alive only, with minutes-long defaults, and no TCP user timeout; this one opens the socket
/// itself and hands it to Kestrel's socket transport, the one Orleans' transport was derived from.
/// </summary>
public sealed class PeerSocketConnectionFactory : IConnectionFactory, IDisposable
{
    // IPPROTO_TCP / TCP_USER_TIMEOUT (linux/tcp.h); .NET has no name for it.
    private const int IpProtoTcp = 6;
    private const int TcpUserTimeout = 18;

    private readonly PeerSocketOptions _options;
    private readonly SocketConnectionContextFactory _contexts;

    public PeerSocketConnectionFactory(IOptions<PeerSocketOptions> options, ILoggerFactory loggers)
    {
        _options = options.Value;
        _contexts = new SocketConnectionContextFactory(new SocketConnectionFactoryOptions(), loggers.CreateLogger("Orderly.Networking"));
    }

    public async ValueTask<ConnectionContext> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
        {
            // As Orleans' own: close with a reset, and send small messages at once.
            LingerState = new LingerOption(true, 0),
            NoDelay = true,
        };
        try
        {
            Configure(socket, _options);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(TimeSpan.FromSeconds(_options.ConnectTimeoutSeconds));
            try
            {
                await socket.ConnectAsync(endpoint, limit.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ConnectionAbortedException($"no answer from {endpoint} within {_options.ConnectTimeoutSeconds} s");
            }
            return _contexts.Create(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Applies keep-alive and, on Linux, the TCP user timeout.</summary>
    public static void Configure(Socket socket, PeerSocketOptions options)
    {
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, options.KeepAliveIdleSeconds);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, options.KeepAliveIntervalSeconds);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, options.KeepAliveProbes);
        if (OperatingSystem.IsLinux())
            socket.SetRawSocketOption(IpProtoTcp, TcpUserTimeout, BitConverter.GetBytes(options.UnacknowledgedTimeoutSeconds * 1000));
    }

    public void Dispose() => _contexts.Dispose();
}

public static class PeerSocketRegistration
{
    /// <summary>
    /// Puts <see cref="PeerSocketConnectionFactory"/> in place of every keyed <see cref="IConnectionFactory"/>
    /// Orleans registered (the client's to Orleans gateways, the silo's to other silos), and Kestrel's
    /// socket listener, with the same options on its listening socket (accepted sockets inherit
    /// them), in place of every keyed <see cref="IConnectionListenerFactory"/> (a silo's silo and
    /// gateway ports): a silo answering a client that vanished must notice too, or it keeps the
    /// client's answers for it. Call after UseOrleans / UseOrleansClient; fails loudly when there was
    /// no connection factory to replace, so an Orleans upgrade that moves the registration cannot
    /// silently bring the 15-minute default back.
    /// </summary>
    public static IServiceCollection UsePeerSocketsForOrleans(this IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        services.AddOptions<PeerSocketOptions>()
            .Bind(configuration.GetSection(PeerSocketOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        var orleans = services.Where(d => d.ServiceType == typeof(IConnectionFactory) && d.IsKeyedService).ToList();
        if (orleans.Count == 0)
            throw new InvalidOperationException("no Orleans connection factory registered to replace; call after UseOrleans/UseOrleansClient");
        foreach (var descriptor in orleans)
        {
            services.Remove(descriptor);
            services.AddKeyedSingleton<IConnectionFactory>(descriptor.ServiceKey,
                (sp, _) => ActivatorUtilities.CreateInstance<PeerSocketConnectionFactory>(sp));
        }
        foreach (var descriptor in services.Where(d => d.ServiceType == typeof(IConnectionListenerFactory) && d.IsKeyedService).ToList())
        {
            services.Remove(descriptor);
            services.AddKeyedSingleton<IConnectionListenerFactory>(descriptor.ServiceKey, (sp, _) =>
            {
                var peers = sp.GetRequiredService<IOptions<PeerSocketOptions>>().Value;
                var transport = new SocketTransportOptions
                {
                    CreateBoundListenSocket = endpoint =>
                    {
                        var socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
                        PeerSocketConnectionFactory.Configure(socket, peers);
                        return socket;
                    },
                };
                return new SocketTransportFactory(Options.Create(transport), sp.GetRequiredService<ILoggerFactory>());
            });
        }
        return services;
    }
}
