using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Orderly.Harness.Network;

/// <summary>
/// A TCP proxy on the database's path that can hold every chunk of bytes for a while before passing it
/// on, in each direction, order kept: every round trip through it takes 2 × <see cref="Delay"/> longer.
/// This kernel has no netem qdisc, so latency is added here rather than by tc. It stands for a database
/// slowed by the network (a cross-AZ path, a congested link, a noisy neighbour) — every statement, read
/// or write, pays it — not for a slow query or a lock, which would delay some statements only.
/// </summary>
public sealed class DelayProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private long _delayTicks;

    public DelayProxy(IPEndPoint target)
    {
        _target = target;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>How long each chunk waits, each way; zero passes bytes on at once.</summary>
    public TimeSpan Delay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _delayTicks));
        set => Interlocked.Exchange(ref _delayTicks, value.Ticks);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using (client)
        {
            client.NoDelay = true;
            try
            {
                await server.ConnectAsync(_target, _stop.Token);
                using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var up = PumpAsync(client, server, done.Token);
                var down = PumpAsync(server, client, done.Token);
                await Task.WhenAny(up, down);
                await done.CancelAsync();
                await Task.WhenAll(up, down);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // One side went away: the other is closed with it, as a network path would be.
            }
        }
    }

    /// <summary>Reads from one side and writes to the other once each chunk has waited its delay.</summary>
    private async Task PumpAsync(Socket from, Socket to, CancellationToken cancellationToken)
    {
        var chunks = Channel.CreateUnbounded<(long Due, byte[] Bytes)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var writer = Task.Run(async () =>
        {
            await foreach (var (due, bytes) in chunks.Reader.ReadAllAsync(cancellationToken))
            {
                // Timers count whole milliseconds: round up, or a chunk may leave a fraction early.
                var wait = Math.Ceiling((due - Stopwatch.GetTimestamp()) * 1000.0 / Stopwatch.Frequency);
                if (wait > 0)
                    await Task.Delay(TimeSpan.FromMilliseconds(wait + 1), cancellationToken);
                await to.SendAsync(bytes, SocketFlags.None, cancellationToken);
            }
        }, cancellationToken);
        try
        {
            var buffer = new byte[16 * 1024];
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                if (read == 0)
                    break;
                var due = Stopwatch.GetTimestamp() + Delay.Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond;
                chunks.Writer.TryWrite((due, buffer[..read]));
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            chunks.Writer.TryComplete();
        }
        try
        {
            await writer;
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
