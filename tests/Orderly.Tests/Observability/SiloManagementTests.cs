using System.Net;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Observability;

/// <summary>
/// The product's silo as a cluster runs it (the same SiloApp, product defaults): its management port
/// answers health and metrics, and hosts the Orleans Dashboard only when Silo:Dashboard asks for it, since
/// the dashboard samples every second busy or idle (docs/performance.md). The local runner turns it on;
/// ObservabilityTests reads it there.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class SiloManagementTests(GatewayFixture fixture)
{
    [Fact]
    public async Task A_silo_serves_health_and_metrics_and_no_dashboard_unless_asked()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{fixture.SiloManagementPort}") };

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/ready")).StatusCode);
        Assert.Contains("orleans_", await http.GetStringAsync("/metrics"), StringComparison.Ordinal);
        foreach (var path in new[] { "/dashboard", "/dashboard/", "/dashboard/DashboardCounters" })
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(path)).StatusCode);
    }
}
