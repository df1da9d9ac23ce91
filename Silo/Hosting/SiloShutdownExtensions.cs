using Orderly.ServiceDefaults.Health;
using Orderly.Silo.Health;

namespace Orderly.Silo.Hosting;

/// <summary>The silo's part of the shutdown timeline: readiness flips when it starts stopping (graceful), and each stage of its way out is logged.</summary>
internal static class SiloShutdownExtensions
{
    public static ISiloBuilder AddShutdownTracking(this ISiloBuilder silo, bool graceful)
    {
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => new SiloReadiness(sp.GetRequiredService<Readiness>(), graceful));
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, SiloShutdownLog>();
        return silo;
    }
}
