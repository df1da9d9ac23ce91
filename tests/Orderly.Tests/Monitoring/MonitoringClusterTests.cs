using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Orderly.Harness.Cluster;
using Orderly.Tests.Infrastructure;
using Orderly.Tests.Shutdown;

namespace Orderly.Tests.Monitoring;

/// <summary>The rules and the dashboard against a running local cluster and its real Prometheus.</summary>
[Trait(Tiers.Name, Tiers.Full)]
public sealed partial class MonitoringClusterTests
{
    private static readonly HttpClient Http = Processes.Client(ClusterLayout.FrontEndUrl, TimeSpan.FromSeconds(10));

    /// <summary>
    /// Series that exist only once their event happened (OpenTelemetry creates a counter's series with its
    /// first increment): a retried or exhausted grain call, a refused database connection, a request during
    /// a drain. ObservabilityTests and chaos see them move; here their instruments must be declared in code.
    /// </summary>
    private static readonly Dictionary<string, string> EventOnly = new(StringComparer.Ordinal)
    {
        ["orderly_grain_call_retries_total"] = "orderly.grain_call.retries",
        ["orderly_grain_call_retried_outcomes_total"] = "orderly.grain_call.retried_outcomes",
        ["orderly_db_connections_refused_total"] = "orderly.db.connections_refused",
        ["orderly_http_requests_while_draining_total"] = "orderly.http.requests_while_draining",
        // Created by the first missed probe; the silo-kill test below sees it appear.
        ["orleans_messaging_pings_reply_missed_total"] = "",
    };

    [Fact]
    public async Task Every_series_the_rules_and_the_dashboard_read_is_exported_by_a_running_cluster()
    {
        await using var cluster = await ClusterUnderTest.StartAsync("graceful", silos: 2, gateways: 2);
        for (var i = 0; i < 6; i++)
            Assert.True((await PlaceAsync(ClusterLayout.GatewayUrl(i % 2))).IsSuccessStatusCode);
        var exported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var url in new[] { ClusterLayout.GatewayManagementUrl(0), ClusterLayout.GatewayManagementUrl(1), ClusterLayout.SiloManagementUrl(0), ClusterLayout.SiloManagementUrl(1) })
            exported.UnionWith(SampleName().Matches(await Http.GetStringAsync(new Uri(url, "/metrics"))).Select(m => m.Groups[1].Value));

        var code = string.Concat(new[] { "ServiceDefaults", "Gateway", "Silo", "Grains" }
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(MonitoringObjects.Root, folder), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText));
        var missing = new List<string>();
        foreach (var name in MonitoringObjects.UsedSeries())
        {
            if (name.StartsWith("kube_", StringComparison.Ordinal))
                Assert.Contains(name, MonitoringObjects.KubeStateMetrics);
            else if (EventOnly.TryGetValue(name, out var instrument))
                Assert.True(instrument.Length == 0 || code.Contains($"\"{instrument}\"", StringComparison.Ordinal), $"{name}: no instrument {instrument} in the product's code");
            else if (!exported.Contains(name))
                missing.Add(name);
        }
        Assert.Empty(missing);
        // The check can fail: a name nobody exports is not in the scrape.
        Assert.DoesNotContain("orleans_membership_active_silos", exported);
    }

    [Fact]
    public async Task A_killed_silo_fires_OrderlySiloDeclaredDead_in_the_local_Prometheus_and_a_replacement_resolves_it()
    {
        await using var cluster = await ClusterUnderTest.StartAsync("graceful", silos: 2, gateways: 1, prometheus: true);
        var prometheus = ClusterLayout.PrometheusUrl;
        // Both silos scraped, so the ring's size of 2 is in Prometheus before the kill.
        await Eventually.Until(() => Query(prometheus, "orderly:silos_in_ring:min"), v => v == 2, TimeSpan.FromSeconds(30), "a ring of 2 in Prometheus");

        cluster["silo-1"].Signal(UnixSignal.Kill);
        Assert.True(await cluster["silo-1"].WaitForExitAsync(TimeSpan.FromSeconds(5)));
        await Eventually.Until(() => AlertState(prometheus, "OrderlySiloDeclaredDead"), s => s == "firing", TimeSpan.FromSeconds(40), "OrderlySiloDeclaredDead firing");
        Assert.Contains("orleans_messaging_pings_reply_missed_total", await Http.GetStringAsync(new Uri(ClusterLayout.SiloManagementUrl(0), "/metrics")), StringComparison.Ordinal);

        // Debian's package ships Prometheus' classic UI, under /classic.
        var page = await HeadlessChromium.RunAsync(new Uri(prometheus, "/classic/alerts").ToString(), "--dump-dom");
        Assert.Contains("OrderlySiloDeclaredDead", page, StringComparison.Ordinal);

        await cluster.Cluster.StartSiloAsync(1, cluster.Spec, CancellationToken.None);
        await Eventually.Until(() => AlertState(prometheus, "OrderlySiloDeclaredDead"), s => s == "inactive", TimeSpan.FromSeconds(40), "OrderlySiloDeclaredDead resolved");
    }

    private static Task<HttpResponseMessage> PlaceAsync(Uri gateway) =>
        Http.PostAsJsonAsync(new Uri(gateway, "/orders"), new { customerId = "c-monitoring", items = new[] { new { sku = "S", quantity = 1 } }, deliveryAddress = "x" });

    private static async Task<double> Query(Uri prometheus, string query)
    {
        var answer = await Http.GetFromJsonAsync<JsonElement>(new Uri(prometheus, $"/api/v1/query?query={Uri.EscapeDataString(query)}"));
        var result = answer.GetProperty("data").GetProperty("result");
        return result.GetArrayLength() == 0 ? double.NaN : double.Parse(result[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>firing, pending, or inactive when Prometheus lists no such alert.</summary>
    private static async Task<string> AlertState(Uri prometheus, string alert)
    {
        var answer = await Http.GetFromJsonAsync<JsonElement>(new Uri(prometheus, "/api/v1/alerts"));
        var found = answer.GetProperty("data").GetProperty("alerts").EnumerateArray()
            .Where(a => a.GetProperty("labels").GetProperty("alertname").GetString() == alert).Select(a => a.GetProperty("state").GetString()!).ToList();
        return found.Contains("firing") ? "firing" : found.Count > 0 ? found[0] : "inactive";
    }

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})? ", RegexOptions.Multiline)]
    private static partial Regex SampleName();
}
