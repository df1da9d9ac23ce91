using Orderly.ServiceDefaults.Observability;
using Orderly.ServiceDefaults.Shutdown;

namespace Orderly.Gateway.Hosting;

/// <summary>The gateway's part of the drain window after SIGTERM (docs/shutdown.md, step 3).</summary>
public static class DrainingConnectionClose
{
    /// <summary>
    /// While draining, every response says Connection: close, so keep-alive connections end cleanly
    /// after the request they carry instead of being cut when the listener stops.
    /// </summary>
    public static WebApplication UseDrainingConnectionClose(this WebApplication app)
    {
        var state = app.Services.GetRequiredService<ShutdownState>();
        var metrics = app.Services.GetRequiredService<OrderlyMetrics>();
        app.Use(async (http, next) =>
        {
            state.EnterRequest();
            try
            {
                if (state.IsDraining)
                {
                    http.Response.Headers.Connection = "close";
                    state.CountServedWhileDraining();
                    metrics.RequestsWhileDraining.Add(1);
                }
                await next(http);
            }
            finally
            {
                state.ExitRequest();
            }
        });
        return app;
    }
}
