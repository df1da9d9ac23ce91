namespace Orderly.Harness.Emulation;

/// <summary>
/// A PodDisruptionBudget as the eviction API applies it: with E pods expected and H healthy, an eviction
/// is allowed while H − (E − maxUnavailable) &gt; 0. Null maxUnavailable: no budget (the naive overlay).
/// </summary>
public sealed record DisruptionBudget(int? MaxUnavailable)
{
    public int DisruptionsAllowed(int expected, int healthy) =>
        MaxUnavailable is not { } max ? int.MaxValue : Math.Max(0, healthy - (expected - max));
}
