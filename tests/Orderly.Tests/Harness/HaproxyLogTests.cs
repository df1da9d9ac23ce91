using Orderly.Harness.Chaos;

namespace Orderly.Tests.Harness;

/// <summary>The load balancer's own losses are read from HAProxy's request log, in the shape its httplog option writes.</summary>
public sealed class HaproxyLogTests
{
    private static readonly string[] Lines =
    [
        "127.0.0.1:52830 [02/Dec/2026:07:05:54.692] alb gateways/gateway-0 0/0/0/2/2 200 145 - - ---- 1/1/0/0/0 0/0 \"GET /health/ready HTTP/1.1\"",
        // connect timeout to a black-holed gateway: 503 with nothing sent, the client sees a reset
        "127.0.0.1:52842 [02/Dec/2026:07:06:00.046] alb gateways/gateway-2 0/0/-1/-1/2002 503 0 - - sC-- 7/7/5/2/0 0/0 \"GET /orders/ef18e484-2b50-56c7-ad4b-d799e03d3911 HTTP/1.1\"",
        // the gateway's own 503 from before it vanished, delivered late
        "127.0.0.1:52876 [02/Dec/2026:07:05:59.780] alb gateways/gateway-2 0/0/0/27630/27630 503 454 - - ---- 6/6/1/1/0 0/0 \"GET /orders/e1e2f344-9de8-542a-bcd0-72964e5d4c5c HTTP/1.1\"",
        // a server that closed mid-answer
        "127.0.0.1:52877 [02/Dec/2026:07:06:01.000] alb gateways/gateway-2 0/0/0/5/5 -1 0 - - SD-- 6/6/1/1/0 0/0 \"GET /orders HTTP/1.1\"",
        // fine, on the same server
        "127.0.0.1:52878 [02/Dec/2026:07:06:02.000] alb gateways/gateway-2 0/0/0/5/5 200 300 - - ---- 6/6/1/1/0 0/0 \"GET /orders HTTP/1.1\"",
        // another gateway's own 503 (Orderly's answer, ended normally): not the load balancer's
        "127.0.0.1:52881 [02/Dec/2026:07:06:02.200] alb gateways/gateway-1 0/0/0/3/3 503 400 - - ---- 6/6/1/1/0 0/0 \"GET /orders HTTP/1.1\"",
        // ended by HAProxy on another server (its loss too), and one outside the window
        "127.0.0.1:52879 [02/Dec/2026:07:06:02.500] alb gateways/gateway-1 0/0/-1/-1/2002 503 0 - - sC-- 7/7/5/2/0 0/0 \"GET / HTTP/1.1\"",
        "127.0.0.1:52880 [02/Dec/2026:07:09:00.000] alb gateways/gateway-2 0/0/-1/-1/2002 503 0 - - sC-- 7/7/5/2/0 0/0 \"GET / HTTP/1.1\"",
        "[NOTICE]   (1234) : haproxy version is 2.6.12",
    ];

    [Fact]
    public void Counts_failures_on_the_lost_server_and_those_HAProxy_ended_itself_inside_the_window_only()
    {
        var from = new DateTime(2026, 12, 2, 7, 5, 50, DateTimeKind.Local);
        // gateway-2's three, and gateway-1's connect timeout; not gateway-1's own 503.
        Assert.Equal(4, HaproxyLog.FailedOn(Lines, "gateway-2", from, from.AddMinutes(1)));
        // gateway-1's own 503 now, its connect timeout, and gateway-2's two that HAProxy ended.
        Assert.Equal(4, HaproxyLog.FailedOn(Lines, "gateway-1", from, from.AddMinutes(1)));
        Assert.Equal(0, HaproxyLog.FailedOn(Lines, "gateway-2", from.AddMinutes(10), from.AddMinutes(11)));
    }

    [Fact]
    public void Lines_that_are_not_requests_are_skipped()
    {
        Assert.Null(HaproxyLog.Parse(Lines[^1]));
        Assert.Null(HaproxyLog.Parse(""));
        var parsed = HaproxyLog.Parse(Lines[1])!;
        Assert.Equal(("gateway-2", 503, "sC--"), (parsed.Server, parsed.Status, parsed.Termination));
    }
}
