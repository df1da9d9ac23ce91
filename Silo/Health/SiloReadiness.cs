using Orderly.ServiceDefaults.Health;

namespace Orderly.Silo.Hosting;

/// <summary>Ready once the silo is active in the cluster; not ready from the first moment it stops.</summary>
internal sealed class SiloReadiness(Readiness readiness) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SiloReadiness), ServiceLifecycleStage.Active,
            onStart: _ =>
            {
                readiness.MarkReady();
                return Task.CompletedTask;
            },
            onStop: _ =>
            {
                readiness.MarkNotReady("silo stopping");
                return Task.CompletedTask;
            });
}

internal static class SiloReadinessExtensions
{
    public static ISiloBuilder AddReadinessTracking(this ISiloBuilder silo)
    {
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, SiloReadiness>();
        return silo;
    }
}
