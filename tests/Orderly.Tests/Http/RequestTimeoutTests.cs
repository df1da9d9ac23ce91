using System.Net;
using Orderly.Harness.Cluster;
using Orderly.Tests.Shutdown;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Http;

/// <summary>The whole-request limit: a request stuck behind a frozen silo ends as 503 with Retry-After, never a hang.</summary>
[Trait(Tiers.Name, Tiers.Full)]
public sealed class RequestTimeoutTests
{
    [Fact]
    public async Task A_request_past_the_gateway_request_timeout_gets_a_503_with_retry_after()
    {
        await using var cluster = await ClusterUnderTest.StartAsync("graceful", silos: 1, gateways: 1,
        [
            "--Gateway:RequestTimeoutSeconds=2",
            // Let the grain call itself wait far longer, so only the request timeout can end it.
            "--GrainCalls:BudgetSeconds=60", "--GrainCalls:AttemptTimeoutSeconds=60", "--Silos:CallTimeoutSeconds=60",
        ]);
        using var http = Processes.Client(ClusterLayout.GatewayUrl(0), TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/orders/{Guid.NewGuid()}")).StatusCode);

        cluster["silo-0"].Signal(UnixSignal.Stop);
        try
        {
            var started = DateTime.UtcNow;
            var response = await http.GetAsync($"/orders/{Guid.NewGuid()}");
            var took = DateTime.UtcNow - started;

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.NotNull(response.Headers.RetryAfter);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.InRange(took.TotalSeconds, 1.5, 6);
        }
        finally
        {
            cluster["silo-0"].Signal(UnixSignal.Cont);
        }
    }
}
