using Orderly.Harness.Chaos;
using Orderly.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Orderly.Tests.Chaos;

/// <summary>The fault matrix, short: every fault once, under load, then every acknowledged order checked.</summary>
[Trait(Tiers.Name, Tiers.Full)]
public sealed class ChaosTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Under_every_fault_no_acknowledged_order_is_lost_or_duplicated_and_failures_are_retryable_503s()
    {
        var schema = await TestDatabase.CreateSchemaAsync("chaos");
        try
        {
            var layout = Processes.Layout;
            var pg = Path.Combine(layout.State, "pg");
            using var log = new StringWriter();
            var report = await new ChaosRunner(layout, log).RunAsync(new ChaosOptions
            {
                ConnectionString = schema,
                // The process faults; the database faults run on the Aurora-shaped pair in FailoverTests,
                // the network ones in NetworkFaultTests.
                Faults = [ChaosFaults.SiloKill, ChaosFaults.GatewayKill, ChaosFaults.PostgresRestart, ChaosFaults.HaproxyReload, ChaosFaults.SiloPause, ChaosFaults.SiloScaleDown],
                PostgresData = Environment.GetEnvironmentVariable("ORDERLY_OWN_PG") == "1" && Directory.Exists(pg) ? pg : null,
                SiloKills = 1,
                Settle = TimeSpan.FromSeconds(10),
                Sessions = 6,
            }, CancellationToken.None);
            output.WriteLine(log.ToString());

            var results = report.Faults;
            var whole = report.WholeRun;
            Assert.Equal(0, whole.Lost);
            Assert.Equal(0, whole.Duplicated);
            Assert.True(report.Anomalies.Total == 0, string.Join("; ", report.Anomalies.Examples));
            Assert.True(whole.Requests > 1000, $"too little load: {whole.Requests}");
            foreach (var fault in results.Where(r => r.Fault is not "whole run" and not ChaosFaults.GatewayKill))
            {
                // Behind the gateways, every failure is a 503 telling the client when to come back.
                Assert.True(fault.FailuresWithoutRetryAfter == 0, $"{fault.Fault}: {fault.FailuresWithoutRetryAfter} failures without Retry-After");
                Assert.True(fault.RecoverySeconds < 10 + 25, $"{fault.Fault} did not recover");
            }
            // A gateway killed outright is the load balancer's to notice: it answers 503 itself until its
            // health checks mark the target down (ALB-like: 2 × 5 s). Bounded, and then it recovers.
            var gateway = results.Single(r => r.Fault == ChaosFaults.GatewayKill);
            Assert.True(gateway.RecoverySeconds <= 15, $"gateway kill recovered after {gateway.RecoverySeconds}s");
            // Those are all the load balancer's (HAProxy's log says it sent them to the dead gateway); none is Orderly's.
            Assert.True(gateway.OrderlyFailures == 0, $"gateway kill: {gateway.OrderlyFailures} failures beyond the load balancer's {gateway.LoadBalancerErrors}: {string.Join(" | ", gateway.FailedRequests)}");
        }
        finally
        {
            await TestDatabase.DropSchemaAsync(schema);
        }
    }
}
