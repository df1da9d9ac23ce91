using Orderly.ServiceDefaults.Health;

namespace Orderly.Gateway.Hosting;

/// <summary>The Orleans client connects during host start, so "started" means "can serve".</summary>
internal sealed class ReadyWhenStarted(IHostApplicationLifetime lifetime, Readiness readiness) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(readiness.MarkReady);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
