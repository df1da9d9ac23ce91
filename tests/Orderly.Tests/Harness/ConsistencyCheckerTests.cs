using Orderly.LoadClient.Verify;

namespace Orderly.Tests.Harness;

/// <summary>The consistency checker, fed histories with each anomaly and without any.</summary>
public sealed class ConsistencyCheckerTests
{
    private static readonly Guid Order = Guid.NewGuid();

    private static Observation At(Operation operation, long started, long ended, int version) => new(Order, operation, started, ended, version);

    private static Dictionary<Guid, int> Stored(int version) => new() { [Order] = version };

    [Fact]
    public void A_history_where_every_answer_follows_the_last_one_has_no_anomaly()
    {
        var history = new[]
        {
            At(Operation.Place, 0, 10, 1),
            At(Operation.Read, 11, 12, 1),
            At(Operation.Change, 13, 20, 2),
            // Overlapping a change, a read may see either side of it.
            At(Operation.Read, 15, 16, 1),
            At(Operation.Read, 21, 22, 2),
            At(Operation.Change, 23, 30, 3),
        };
        Assert.Equal(Anomalies.None.Total, ConsistencyChecker.Check(history, Stored(3)).Total);
    }

    [Fact]
    public void A_read_older_than_a_version_acknowledged_before_it_began_is_a_stale_read()
    {
        var history = new[] { At(Operation.Place, 0, 10, 1), At(Operation.Change, 11, 20, 2), At(Operation.Read, 21, 22, 1) };
        var found = ConsistencyChecker.Check(history, Stored(2));
        Assert.Equal(1, found.StaleReads);
        Assert.Equal(1, found.Total);
        Assert.Contains("stale read", found.Examples.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_read_older_than_what_another_read_already_showed_is_stale_too()
    {
        var history = new[] { At(Operation.Place, 0, 10, 1), At(Operation.Read, 11, 12, 2), At(Operation.Read, 13, 14, 1) };
        Assert.Equal(1, ConsistencyChecker.Check(history, Stored(2)).StaleReads);
    }

    [Fact]
    public void A_change_answered_with_a_version_no_newer_than_one_already_acknowledged_went_back()
    {
        // Two activations of one order, each applying a change on its own copy.
        var history = new[] { At(Operation.Place, 0, 10, 1), At(Operation.Change, 11, 20, 2), At(Operation.Change, 21, 30, 2) };
        var found = ConsistencyChecker.Check(history, Stored(2));
        Assert.Equal(1, found.VersionsWentBack);
        Assert.Equal(0, found.StaleReads);
    }

    [Fact]
    public void A_read_of_a_version_storage_does_not_hold_at_the_end_shows_a_vanished_version()
    {
        // A change that failed (no 2xx) was visible to a read, then lost.
        var history = new[] { At(Operation.Place, 0, 10, 1), At(Operation.Read, 11, 12, 2) };
        var found = ConsistencyChecker.Check(history, Stored(1));
        Assert.Equal(1, found.Vanished);
        // An order storage does not hold at all: whatever a read showed of it vanished.
        Assert.Equal(1, ConsistencyChecker.Check(history, new Dictionary<Guid, int>()).Vanished);
    }

    [Fact]
    public void Orders_are_checked_each_against_their_own_history()
    {
        var other = Guid.NewGuid();
        var history = new[] { At(Operation.Change, 0, 10, 5), new Observation(other, Operation.Read, 11, 12, 1) };
        Assert.Equal(0, ConsistencyChecker.Check(history, new Dictionary<Guid, int> { [Order] = 5, [other] = 1 }).Total);
    }
}
