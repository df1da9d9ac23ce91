namespace Orderly.ServiceDefaults.Shutdown;

/// <summary>Where this process is in its shutdown timeline; read on every request, so lock-free.</summary>
public sealed class ShutdownState
{
    private long _drainStartedTicks;
    private long _servedWhileDraining;
    private long _inFlight;

    public long InFlight => Interlocked.Read(ref _inFlight);

    public void EnterRequest() => Interlocked.Increment(ref _inFlight);

    public void ExitRequest() => Interlocked.Decrement(ref _inFlight);

    public bool IsDraining => Interlocked.Read(ref _drainStartedTicks) != 0;

    public long ServedWhileDraining => Interlocked.Read(ref _servedWhileDraining);

    /// <summary>True for the first caller only.</summary>
    public bool TryBeginDrain(DateTimeOffset now) => Interlocked.CompareExchange(ref _drainStartedTicks, now.UtcTicks, 0) == 0;

    public void CountServedWhileDraining() => Interlocked.Increment(ref _servedWhileDraining);
}
