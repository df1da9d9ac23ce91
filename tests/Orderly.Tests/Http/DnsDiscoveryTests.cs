using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Orderly.Harness.Cluster;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Http;

/// <summary>In Kubernetes, gateways find silos through the headless Service's DNS name and never touch the database.</summary>
[Collection(GatewayCollection.Name)]
public sealed class DnsDiscoveryTests(GatewayFixture fixture)
{
    [Fact]
    public async Task A_gateway_without_a_database_finds_silos_by_DNS_and_serves_orders()
    {
        var port = FreePorts.Next();
        var layout = Processes.Layout;
        var gateway = ManagedProcess.Start(layout, "dns-gateway", "dotnet",
        [
            Processes.GatewayDll, $"--Gateway:Port={port}", $"--Gateway:ManagementPort={FreePorts.Next()}",
            "--Silos:OrleansGatewayDns=localhost", $"--Silos:OrleansGatewayPort={fixture.OrleansGatewayPort}",
            $"--Orleans:ClusterId={fixture.ClusterId}", $"--Orleans:ServiceId={fixture.ClusterId}",
            $"--Auth:Authority={fixture.Issuer.Url}",
        ], new Dictionary<string, string> { ["ConnectionStrings__Orderly"] = "", ["ORDERLY_DB"] = "" });
        try
        {
            using var http = OwnerTokens.From(fixture.Issuer).Client(new Uri($"http://127.0.0.1:{port}"), TimeSpan.FromSeconds(10));
            await Eventually.Until(async () =>
            {
                try { return (await http.GetAsync("/health/ready")).StatusCode; }
                catch (HttpRequestException) { return HttpStatusCode.ServiceUnavailable; }
            }, s => s == HttpStatusCode.OK || !gateway.IsAlive, TimeSpan.FromSeconds(60), "gateway readiness");
            Assert.True(gateway.IsAlive, File.ReadAllText(layout.LogFile("dns-gateway")));

            var created = await http.PostAsJsonAsync("/orders", new { customerId = "c-dns", items = new[] { new { sku = "S", quantity = 1 } }, deliveryAddress = "x" });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/orders/{id}")).StatusCode);
        }
        finally
        {
            await gateway.StopAsync(TimeSpan.FromSeconds(30));
        }
    }
}
