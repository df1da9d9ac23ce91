using System.Net;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Kubernetes;

/// <summary>The ALB health check path each overlay configures answers 200 on a real gateway (the naive "/" answered 404).</summary>
[Collection(GatewayCollection.Name)]
public sealed class HealthCheckPathTests(GatewayFixture fixture)
{
    public static readonly string[] GatewayHealthPaths = ["/health/ready", "/health/live"];

    [Theory]
    [InlineData("eks")]
    [InlineData("naive")]
    public async Task The_overlays_ALB_health_check_path_answers_200_on_the_gateways_public_port(string overlay)
    {
        var m = await Manifests.RenderAsync(overlay);
        var path = DeployedTimings.From(m).HealthPath;
        using var http = fixture.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(path)).StatusCode);
        // And the ALB default, which neither overlay may rely on, does not.
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/")).StatusCode);
    }
}
