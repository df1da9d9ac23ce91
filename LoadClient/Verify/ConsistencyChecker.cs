using System.Collections.Concurrent;

namespace Orderly.LoadClient.Verify;

/// <summary>What a request did to an order, as its client saw it.</summary>
public enum Operation
{
    Place,
    Read,
    Change,
}

/// <summary>
/// One answered request about one order (a 2xx carrying the order): when it began and ended (monotonic
/// timestamps of one machine's clock), and the version the answer carried.
/// </summary>
public sealed record Observation(Guid OrderId, Operation Operation, long Started, long Ended, int Version);

/// <summary>Every answered request of a run, in the order they ended. Safe to add to from many sessions.</summary>
public sealed class RequestHistory
{
    private readonly ConcurrentQueue<Observation> _observations = new();

    public void Add(Observation observation) => _observations.Enqueue(observation);

    public int Count => _observations.Count;

    public IReadOnlyCollection<Observation> All => _observations;
}

/// <summary>
/// What the checker found. Lost and duplicated orders are the verifier's (storage against the
/// acknowledgements); these are what only the history shows.
/// </summary>
/// <param name="StaleReads">A read answered with a version older than one some client had been given before the read began.</param>
/// <param name="VersionsWentBack">A change answered with a version no newer than one some client had been given before the change began.</param>
/// <param name="Vanished">A read showed a version storage does not hold at the end (newer than the stored one, or of an order not stored at all): a change nobody may rely on was visible.</param>
public sealed record Anomalies(int StaleReads, int VersionsWentBack, int Vanished, IReadOnlyList<string> Examples)
{
    public const int ExamplesShown = 10;

    public static readonly Anomalies None = new(0, 0, 0, []);

    public int Total => StaleReads + VersionsWentBack + Vanished;
}

/// <summary>
/// Checks a run's full request history against what storage holds at the end. Real-time order is the
/// yardstick (linearizability, per order): once any client has been told version v of an order, no
/// request that begins afterwards may be answered with an older one, a change must produce a newer
/// one, and every version any client was shown must survive in storage. Orleans' default directory
/// can briefly hold two activations of one grain while membership changes; this is what would see it.
/// </summary>
public static class ConsistencyChecker
{
    /// <param name="stored">Each order's version in storage at the end; an order missing here is not stored.</param>
    /// <remarks>A write acknowledged at a version storage does not hold is the verifier's "lost", not counted again here.</remarks>
    public static Anomalies Check(IEnumerable<Observation> history, IReadOnlyDictionary<Guid, int> stored)
    {
        int stale = 0, back = 0, vanished = 0;
        var examples = new List<string>();
        void Found(string what)
        {
            if (examples.Count < Anomalies.ExamplesShown)
                examples.Add(what);
        }

        foreach (var order in history.GroupBy(o => o.OrderId))
        {
            var byEnd = order.OrderBy(o => o.Ended).ToList();
            var byStart = order.OrderBy(o => o.Started).ToList();
            var storedVersion = stored.TryGetValue(order.Key, out var v) ? v : (int?)null;
            // Sweep: the newest version told to anyone before each request began.
            var told = 0;
            var next = 0;
            foreach (var request in byStart)
            {
                while (next < byEnd.Count && byEnd[next].Ended < request.Started)
                    told = Math.Max(told, byEnd[next++].Version);
                if (request.Operation == Operation.Read && request.Version < told)
                {
                    stale++;
                    Found($"stale read: {order.Key} read at version {request.Version} after version {told} had been acknowledged");
                }
                else if (request.Operation == Operation.Change && request.Version <= told)
                {
                    back++;
                    Found($"version went back: {order.Key} changed to version {request.Version} after version {told} had been acknowledged");
                }
                if (request.Operation == Operation.Read && (storedVersion is not { } s || request.Version > s))
                {
                    vanished++;
                    Found($"vanished: {order.Key} was shown at version {request.Version}, storage holds {(storedVersion is { } sv ? $"version {sv}" : "nothing")}");
                }
            }
        }
        return new Anomalies(stale, back, vanished, examples);
    }
}
