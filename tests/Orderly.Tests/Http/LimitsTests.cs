using System.Net;
using System.Net.Sockets;
using System.Text;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Http;

/// <summary>The gateway's limits (docs/reliability.md), each observed on the real Kestrel listener.</summary>
[Collection(GatewayCollection.Name)]
public sealed class LimitsTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Headers_over_32_KiB_are_refused_with_431()
    {
        using var http = fixture.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health/live");
        request.Headers.TryAddWithoutValidation("X-Padding", new string('p', 40 * 1024));
        var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task A_client_that_never_finishes_its_headers_is_cut_off_after_the_headers_timeout()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(fixture.CreateClient().BaseAddress!.Host, fixture.CreateClient().BaseAddress!.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET /health/live HTTP/1.1\r\nHost: x\r\n"));
        var started = DateTime.UtcNow;
        var buffer = new byte[4096];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var answer = new StringBuilder();
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token)) > 0)
            answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
        var waited = DateTime.UtcNow - started;
        Assert.InRange(waited.TotalSeconds, 8, 25); // RequestHeadersTimeoutSeconds = 10, checked on Kestrel's heartbeat
        Assert.True(answer.Length == 0 || answer.ToString().StartsWith("HTTP/1.1 408", StringComparison.Ordinal), answer.ToString());
    }

    [Fact]
    public async Task One_connection_serves_one_request_at_a_time_in_order()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var address = fixture.CreateClient().BaseAddress!;
        await socket.ConnectAsync(address.Host, address.Port);
        // Two pipelined requests: HTTP/1.1 answers them one after the other, never interleaved.
        var token = fixture.Issuer.Mint("staff", staff: true);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\nGET /orders/not-a-uuid HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"));
        var text = new StringBuilder();
        var buffer = new byte[8192];
        int read;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token)) > 0)
            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        var all = text.ToString();
        var first = all.IndexOf("HTTP/1.1 200", StringComparison.Ordinal);
        var second = all.IndexOf("HTTP/1.1 400", StringComparison.Ordinal);
        Assert.True(first >= 0 && second > first, all);
    }
}
