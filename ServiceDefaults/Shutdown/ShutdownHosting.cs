using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Orderly.ServiceDefaults.Shutdown;

public static class ShutdownHosting
{
    /// <summary>
    /// Binds and validates Shutdown options. Graceful: the draining lifetime replaces the console
    /// lifetime. Naive: the framework's console lifetime stays (SIGTERM stops the host at once).
    /// Both: the host's stop timeout is Shutdown:StopTimeoutSeconds.
    /// </summary>
    public static IHostApplicationBuilder AddOrderlyShutdown(this IHostApplicationBuilder builder, int defaultDrainSeconds)
    {
        builder.Services.AddOptions<ShutdownOptions>()
            .Configure(o => o.DrainSeconds = defaultDrainSeconds)
            .Bind(builder.Configuration.GetSection(ShutdownOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<ShutdownState>();
        builder.Services.AddOptions<HostOptions>()
            .Configure<IOptions<ShutdownOptions>>((h, s) => h.ShutdownTimeout = TimeSpan.FromSeconds(s.Value.StopTimeoutSeconds));
        if (IsGraceful(builder))
            builder.Services.AddSingleton<IHostLifetime, GracefulLifetime>();
        return builder;
    }

    /// <summary>The profile decides which services exist, so it is read while building.</summary>
    public static bool IsGraceful(IHostApplicationBuilder builder) =>
        (builder.Configuration.GetSection(ShutdownOptions.Section).Get<ShutdownOptions>() ?? new()).IsGraceful;
}
