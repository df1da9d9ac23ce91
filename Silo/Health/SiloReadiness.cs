using Orderly.ServiceDefaults.Health;

namespace Orderly.Silo.Health;

/// <summary>
/// Ready once the silo is active in the cluster. Graceful: not ready from the first moment it stops.
/// Naive: no flip, as a host gets out of the box; the probe answers until the port closes.
/// </summary>
internal sealed class SiloReadiness(Readiness readiness, bool flipWhenStopping) : ILifecycleParticipant<ISiloLifecycle>
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
                if (flipWhenStopping)
                    readiness.MarkNotReady("silo stopping");
                return Task.CompletedTask;
            });
}
