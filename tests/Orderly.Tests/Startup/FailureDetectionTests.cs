using Orderly.Gateway.Silos;
using Orderly.ServiceDefaults.Networking;
using Orderly.Silo.Hosting;
using Orderly.Tests.Infrastructure;
using Orleans.Configuration;

namespace Orderly.Tests.Startup;

/// <summary>
/// The arithmetic docs/reliability.md states: a silo that stops answering without a word is out of
/// membership before a gateway's retry budget for a call runs out, and a black-holed connection
/// closes before one attempt's time is up. If someone lengthens a probe or shortens the budget,
/// this fails before a partition does.
/// </summary>
public sealed class FailureDetectionTests
{
    [Fact]
    public void A_silo_cut_off_is_declared_dead_before_the_retry_budget_runs_out()
    {
        var membership = ShippedSettings.Membership();
        var calls = ShippedSettings.GrainCalls();
        var detection = FailureDetection.DeclaredDeadWithin(membership);

        // The settings Orderly ships, not Orleans' defaults (5 s probes, 3 missed: 60 s or more).
        Assert.Equal(TimeSpan.FromSeconds(6), detection);
        // An attempt waits its whole timeout only when it went down a connection that still looked
        // open, which happens only before the connection's user timeout; after that an attempt to the
        // cut-off silo fails once a connect has had its time. So the last attempt that can fail
        // starts before the vote and ends at most a connect timeout after it; its retry, after the
        // longest backoff, must still start inside the budget.
        var sockets = new PeerSocketOptions();
        var lastFailureEnds = Max(TimeSpan.FromSeconds(sockets.UnacknowledgedTimeoutSeconds + calls.AttemptTimeoutSeconds),
            detection + TimeSpan.FromSeconds(sockets.ConnectTimeoutSeconds));
        var lastRetryStarts = lastFailureEnds + TimeSpan.FromMilliseconds(calls.MaxDelayMilliseconds);
        Assert.True(lastRetryStarts < TimeSpan.FromSeconds(calls.BudgetSeconds),
            $"the last retry starts at {lastRetryStarts.TotalSeconds} s (declared dead within {detection.TotalSeconds} s), past the budget of {calls.BudgetSeconds} s");
    }

    [Fact]
    public void A_black_holed_connection_closes_and_a_gateway_forgets_a_vanished_client_within_one_attempt()
    {
        var sockets = new PeerSocketOptions();
        var calls = ShippedSettings.GrainCalls();
        // One direction cut (the gateway's packets to a silo vanish, the silo's still arrive): the
        // silo's side times out first, then the gateway's, so twice the user timeout.
        Assert.True(2 * sockets.UnacknowledgedTimeoutSeconds + sockets.ConnectTimeoutSeconds < calls.BudgetSeconds - calls.AttemptTimeoutSeconds);
        Assert.True(sockets.UnacknowledgedTimeoutSeconds < calls.AttemptTimeoutSeconds);
        // Orleans keeps a disconnected client's answers for a minute by default, away from the gateways it still reaches.
        Assert.True(ShippedSettings.Messaging().ClientDropTimeout <= TimeSpan.FromSeconds(calls.AttemptTimeoutSeconds));
    }

    [Fact]
    public void A_gateway_keeps_off_a_silo_it_could_not_reach_for_as_long_as_Kubernetes_may_still_list_it()
    {
        // A lost node's pods stay in the headless Service until the node controller gives up on the
        // node (node-monitor-grace-period: 40 s, 50 s from Kubernetes 1.32) and CoreDNS' cache (5 s)
        // expires. Orleans forgets a gateway it marked dead after the list's MaxStaleness; sooner, and
        // every refresh sends calls back to the silent silo to wait for a connect there.
        var silos = new Orderly.Gateway.Silos.SiloConnectionOptions();
        Assert.True(silos.DeadOrleansGatewayMemorySeconds >= 50 + 5, $"{silos.DeadOrleansGatewayMemorySeconds} s");
        Assert.True(silos.OrleansGatewayListRefreshSeconds < silos.DeadOrleansGatewayMemorySeconds);
        foreach (var provider in new Orleans.Messaging.IGatewayListProvider[]
        {
            new DnsOrleansGatewayListProvider(Microsoft.Extensions.Options.Options.Create(silos), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<DnsOrleansGatewayListProvider>.Instance),
            new FileOrleansGatewayListProvider(Microsoft.Extensions.Options.Options.Create(silos), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<FileOrleansGatewayListProvider>.Instance),
        })
            Assert.Equal(TimeSpan.FromSeconds(silos.DeadOrleansGatewayMemorySeconds), provider.MaxStaleness);
    }

    [Fact]
    public void The_time_budget_ends_a_call_that_fails_fast_every_time_not_the_retry_count()
    {
        // While silos leave, each attempt can fail in a millisecond; the backoffs alone must then
        // outlast the budget, with room for jitter, or a call gives up early. (A seed-scale hpa-step
        // answered 503 after 4.2 s when the count was 8.)
        var calls = ShippedSettings.GrainCalls();
        var backoffs = Enumerable.Range(0, calls.MaxRetries)
            .Sum(n => Math.Min(calls.MaxDelayMilliseconds, calls.FirstDelayMilliseconds * Math.Pow(2, n)));
        Assert.True(backoffs >= 1.5 * calls.BudgetSeconds * 1000, $"{calls.MaxRetries} retries back off {backoffs / 1000:0.0} s in all, within the {calls.BudgetSeconds}-s budget");
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
