using System.Net.Http.Json;
using System.Text.Json;
using Orderly.Harness.Emulation;
using Orderly.Harness.Experiment;
using Orderly.LoadClient.Reporting;
using Orderly.LoadClient.Verify;
using Orderly.LoadClient.Kubernetes;
using Orderly.LoadClient.Load;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Kubernetes;

/// <summary>The parts of the load client's Kubernetes mode that run without a cluster.</summary>
[Collection(GatewayCollection.Name)]
public sealed class KubernetesModeTests(GatewayFixture fixture)
{
    [Fact]
    public void Replicas_follow_a_sine_wave_from_the_ceiling_down_to_the_floor_and_back()
    {
        var wave = new ReplicaWave(2, 6, TimeSpan.FromSeconds(300));
        Assert.Equal(6, wave.At(TimeSpan.Zero));
        Assert.Equal(2, wave.At(TimeSpan.FromSeconds(150)));
        Assert.Equal(6, wave.At(TimeSpan.FromSeconds(300)));
        Assert.All(Enumerable.Range(0, 600).Select(s => wave.At(TimeSpan.FromSeconds(s))), r => Assert.InRange(r, 2, 6));
    }

    [Fact]
    public async Task Verifying_through_the_API_finds_acknowledged_orders_and_reports_missing_or_stale_ones()
    {
        using var http = fixture.CreateClient();
        var created = await http.PostAsJsonAsync("/orders", new { customerId = "c-verify", items = new[] { new { sku = "S", quantity = 1 } }, deliveryAddress = "x" });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        using var tokens = new BearerTokens(new Uri(fixture.Issuer.Url));
        var good = await HttpVerifier.VerifyAsync(http.BaseAddress!, [new AcknowledgedOrder(id, "c-verify", "", 1)], tokens);
        Assert.Equal(0, good.Lost);

        var bad = await HttpVerifier.VerifyAsync(http.BaseAddress!,
            [new AcknowledgedOrder(id, "c-verify", "", 5), new AcknowledgedOrder(Guid.NewGuid(), "c-verify", "", 1)], tokens);
        Assert.Equal(2, bad.Lost);
        Assert.Equal(-1, bad.Duplicated); // not observable through the API, and said so
    }

    [Fact]
    public async Task Kubernetes_mode_without_a_target_stops_with_a_clear_message()
    {
        var result = await Processes.RunAsync("dotnet", [Processes.LoadClientDll, "k8s"], new Dictionary<string, string?> { ["ORDERLY_TARGET"] = null });
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("give --target or ORDERLY_TARGET", result.Error, StringComparison.Ordinal);
    }
}
