using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Orderly.Harness.Cluster;
using Orderly.Tests.Infrastructure;
using Orderly.Tests.Shutdown;

namespace Orderly.Tests.Observability;

/// <summary>What an operator sees: the Orleans Dashboard on each silo's management port, Prometheus metrics that move.</summary>
[Trait(Tiers.Name, Tiers.Full)]
public sealed partial class ObservabilityTests
{
    private static readonly HttpClient Http = Processes.Client(ClusterLayout.FrontEndUrl, TimeSpan.FromSeconds(10));

    [Fact]
    public async Task The_dashboard_answers_on_the_silo_management_port_shows_silos_leaving_and_is_not_reachable_through_HAProxy()
    {
        await using var cluster = await ClusterUnderTest.StartAsync("graceful");
        var silo0 = ClusterLayout.SiloManagementUrl(0);

        var page = await Http.GetAsync(new Uri(silo0, "/dashboard/"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<html", await page.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        foreach (var path in new[] { "/dashboard", "/dashboard/", "/dashboard/DashboardCounters", "/metrics" })
            Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync(new Uri(ClusterLayout.FrontEndUrl, path))).StatusCode);

        Assert.Equal(2, await Eventually.Until(() => ActiveSilos(silo0), n => n == 2, TimeSpan.FromSeconds(30), "two active silos on the dashboard"));
        cluster["silo-1"].Signal(UnixSignal.Term);
        Assert.True(await cluster["silo-1"].WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, await Eventually.Until(() => ActiveSilos(silo0), n => n == 1, TimeSpan.FromSeconds(30), "the dashboard to show the silo gone"));
    }

    [Fact]
    public async Task Metrics_name_Orderlys_series_and_move_when_orders_are_placed_and_when_a_gateway_drains()
    {
        await using var cluster = await ClusterUnderTest.StartAsync("graceful", silos: 1, gateways: 2);
        var gateway0 = ClusterLayout.GatewayUrl(0);
        var metrics0 = ClusterLayout.GatewayManagementUrl(0);
        // The gateway's metrics are on its management port only; the public port has no such route.
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync(new Uri(gateway0, "/metrics"))).StatusCode);
        var before = await Scrape(metrics0);
        foreach (var series in new[] { "orderly_orders_placed_total", "orderly_readiness", "http_server_request_duration_seconds", "dotnet_gc_collections_total", "orleans_" })
        {
            if (series == "orderly_orders_placed_total")
                continue; // appears with the first order
            Assert.Contains(series, before.Text, StringComparison.Ordinal);
        }
        Assert.Equal(1, before.Value("orderly_readiness"));
        var silo = await Scrape(ClusterLayout.SiloManagementUrl(0));
        Assert.Contains("orleans_", silo.Text, StringComparison.Ordinal);
        Assert.Equal(1, silo.Value("orderly_readiness"));

        for (var i = 0; i < 5; i++)
        {
            var created = await Http.PostAsJsonAsync(new Uri(gateway0, "/orders"), new { customerId = "c-metrics", items = new[] { new { sku = "S", quantity = 1 } }, deliveryAddress = "x" });
            var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
            await Http.PostAsJsonAsync(new Uri(gateway0, $"/orders/{id}/status"), new { status = "packed" });
        }
        var afterOrders = await Scrape(metrics0);
        Assert.Equal(5, afterOrders.Value("orderly_orders_placed_total") - before.Value("orderly_orders_placed_total"));
        Assert.Equal(5, afterOrders.Value("orderly_orders_updated_total", "operation=\"status\""));

        cluster["gateway-0"].Signal(UnixSignal.Term);
        await Eventually.Until(async () => (await Http.GetAsync(new Uri(gateway0, "/health/ready"))).StatusCode,
            s => s == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(5), "readiness flip");
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(new Uri(gateway0, "/orders?limit=1"))).StatusCode);
        var draining = await Scrape(metrics0);
        Assert.Equal(0, draining.Value("orderly_readiness"));
        Assert.True(draining.Value("orderly_http_requests_while_draining_total") >= 3);
        Assert.True(await cluster["gateway-0"].WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    private static async Task<int> ActiveSilos(Uri silo)
    {
        var counters = await Http.GetFromJsonAsync<JsonElement>(new Uri(silo, "/dashboard/DashboardCounters"));
        return counters.GetProperty("totalActiveHostCount").GetInt32();
    }

    private static async Task<Scraped> Scrape(Uri baseUrl) => new(await Http.GetStringAsync(new Uri(baseUrl, "/metrics")));

    private sealed partial record Scraped(string Text)
    {
        /// <summary>Sum of a series' samples (optionally only those whose labels contain a filter); 0 when absent.</summary>
        public double Value(string series, string? labelFilter = null) =>
            Sample().Matches(Text)
                .Where(m => m.Groups["name"].Value == series && (labelFilter is null || m.Groups["labels"].Value.Contains(labelFilter, StringComparison.Ordinal)))
                .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));

        [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>[-+0-9.eE]+|NaN)", RegexOptions.Multiline)]
        private static partial Regex Sample();
    }
}
