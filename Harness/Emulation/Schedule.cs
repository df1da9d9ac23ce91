using Orderly.LoadClient.Reporting;

namespace Orderly.Harness.Emulation;

/// <summary>One planned change: scale a tier down (and back up later in its slot).</summary>
public sealed record ScaleDownEvent(int Number, Tier Tier, double AtSeconds, double UpAtSeconds, double DeregistrationLagSeconds);

/// <summary>
/// The same events, at the same times, with the same random lags, for every profile: a warm-up,
/// then one slot per event alternating gateway and silo, each scaling down at its start and back up
/// later in the slot.
/// </summary>
public sealed record Schedule(IReadOnlyList<ScaleDownEvent> Events, double DurationSeconds)
{
    public const double WarmupSeconds = 10;
    /// <summary>Long enough for a graceful gateway to leave (preStop + drain + stop) before its slot scales back up.</summary>
    public const double SlotSeconds = 40;
    public const double CooldownSeconds = 8;

    public static Schedule Create(int events, int seed, PodTimings timings)
    {
        var random = new Random(seed);
        var list = new List<ScaleDownEvent>();
        for (var i = 0; i < events; i++)
        {
            var at = WarmupSeconds + i * SlotSeconds;
            var lag = timings.DeregistrationLagMinSeconds + random.NextDouble() * (timings.DeregistrationLagMaxSeconds - timings.DeregistrationLagMinSeconds);
            list.Add(new ScaleDownEvent(i + 1, i % 2 == 0 ? Tier.Gateway : Tier.Silo, at, at + SlotSeconds * 0.8, Math.Round(lag, 2)));
        }
        return new Schedule(list, WarmupSeconds + events * SlotSeconds + CooldownSeconds);
    }
}
