using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Orderly.ServiceDefaults.Health;

public static class HealthEndpoints
{
    public static IServiceCollection AddReadiness(this IServiceCollection services) => services.AddSingleton<Readiness>();

    /// <summary>
    /// <c>/health/live</c>: the process answers (never fails because of draining).
    /// <c>/health/ready</c>: 200 while this process should take traffic, else 503 with the reason.
    /// Not cached, no auth, no rate limit.
    /// </summary>
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        var health = app.MapGroup("/health").ExcludeFromDescription();
        health.MapGet("/live", (HttpContext http) =>
        {
            NoStore(http);
            return TypedResults.Text("live");
        });
        health.MapGet("/ready", IResult (HttpContext http, Readiness readiness) =>
        {
            NoStore(http);
            return readiness.NotReadyReason is { } reason
                ? TypedResults.Text($"not ready: {reason}", statusCode: StatusCodes.Status503ServiceUnavailable)
                : TypedResults.Text("ready");
        });
        return app;
    }

    private static void NoStore(HttpContext http) => http.Response.Headers.CacheControl = "no-store";
}
