using System.Globalization;

namespace Orderly.Bench.Runner;

/// <summary>
/// One round of a system's CPU runs: CPU ms per request by operation at the fixed rate, and idle % of a core
/// per process by kind, in all and without the tiered JIT (<see cref="SystemResult.IdleWarmCorePercent"/>).
/// </summary>
public sealed record CpuRound(int Round, IReadOnlyDictionary<string, double> CpuMsPerRequest, IReadOnlyDictionary<string, double> IdleCorePercent)
{
    /// <summary>Idle without the tiered JIT, by kind; empty in a bench.json written before it was measured.</summary>
    public IReadOnlyDictionary<string, double> IdleWarmCorePercent { get; init; } = new Dictionary<string, double>();

    /// <summary>CPU ms per request without the tiered JIT (<see cref="OperationResult.WarmCpuMsPerRequest"/>), by operation; empty in an older bench.json.</summary>
    public IReadOnlyDictionary<string, double> WarmCpuMsPerRequest { get; init; } = new Dictionary<string, double>();

    public static CpuRound Of(int round, SystemResult result) => new(round,
        result.AtRate.Where(o => o.CpuMsPerRequest is not null).ToDictionary(o => o.Operation, o => o.CpuMsPerRequest!.Value),
        result.Idle.Where(c => result.IdleCorePercent(c.Kind) is not null).ToDictionary(c => c.Kind, c => result.IdleCorePercent(c.Kind)!.Value))
    {
        IdleWarmCorePercent = result.Idle.Where(c => result.IdleWarmCorePercent(c.Kind) is not null).ToDictionary(c => c.Kind, c => result.IdleWarmCorePercent(c.Kind)!.Value),
        WarmCpuMsPerRequest = result.AtRate.Where(o => o.WarmCpuMsPerRequest is not null).ToDictionary(o => o.Operation, o => o.WarmCpuMsPerRequest!.Value),
    };

    /// <summary>This round's CPU ms per request of <paramref name="operation"/>, in all or without the tiered JIT; null when not measured.</summary>
    public double? CpuMsOf(string operation, bool warm = false) =>
        (warm ? WarmCpuMsPerRequest : CpuMsPerRequest).TryGetValue(operation, out var ms) ? ms : null;
}

/// <summary>A figure read over rounds: the median, and the lowest and highest round's.</summary>
public sealed record RoundSpread(double Median, double Min, double Max, int Rounds)
{
    /// <summary>The lower median for an even count: always a figure one round really measured.</summary>
    public static RoundSpread? Of(IEnumerable<double> values)
    {
        var list = values.ToList();
        return list.Count == 0 ? null : new(list.MedianBy(v => v), list.Min(), list.Max(), list.Count);
    }

    /// <summary>
    /// The figure a target judges, <paramref name="warm"/> (without the tiered JIT), and beside it the one
    /// with the JIT when that differs: "0.94% without the tiered JIT; 1.4% with it".
    /// </summary>
    public static string DescribeBoth(RoundSpread warm, RoundSpread all, string format, string unit) => warm == all
        ? all.Describe(format, unit)
        : $"{warm.Describe(format, unit)} without the tiered JIT; {all.Describe(format, unit)} with it";

    /// <summary>"1.32×" for one round; "1.32×, median of 3 rounds (1.10–1.47×)" for more.</summary>
    public string Describe(string format, string unit) => Rounds == 1
        ? Median.ToString(format, CultureInfo.InvariantCulture) + unit
        : string.Create(CultureInfo.InvariantCulture, $"{Median.ToString(format, CultureInfo.InvariantCulture)}{unit}, median of {Rounds} rounds ({Min.ToString(format, CultureInfo.InvariantCulture)}–{Max.ToString(format, CultureInfo.InvariantCulture)}{unit})");
}

/// <summary>
/// The bench's rounds (<see cref="BenchOptions.Rounds"/>) folded into one result per system, and the
/// ratios between systems read round by round, so that a machine whose speed drifts over a run (this
/// one's does, by 2× within minutes) compares systems measured minutes apart, not a quarter of an hour.
/// </summary>
public static class BenchRounds
{
    /// <summary>
    /// The first round's result (the only one with the saturation runs and database work), its CPU runs
    /// replaced by the median round's run of each operation and its idle figures by the median round's,
    /// with every round's figures kept in <see cref="SystemResult.Rounds"/>.
    /// </summary>
    public static SystemResult Combine(IReadOnlyList<SystemResult> rounds)
    {
        var first = rounds[0];
        if (rounds.Count == 1)
            return first;
        var atRate = first.AtRate.Select(o =>
        {
            var runs = rounds.Select(r => r.AtRateOf(o.Operation)).OfType<OperationResult>().Where(r => r.CpuMsPerRequest is not null).ToList();
            // Database work is a count, not a speed: the first round measured it, and it holds for every round.
            // The median run is the one of the figure the targets judge, without the tiered JIT where it was read.
            return runs.Count == 0 ? o : runs.MedianBy(r => r.WarmCpuMsPerRequest ?? r.CpuMsPerRequest!.Value) with { Database = o.Database };
        }).ToList();
        var kind = first.Idle.Any(c => c.Kind == "silo") ? "silo" : first.Idle.Count > 0 ? first.Idle[0].Kind : null;
        // The round whose idle the target judges (without the tiered JIT) is the median one.
        var idle = rounds.MedianBy(r => kind is null ? 0 : r.IdleWarmCorePercent(kind) ?? double.MaxValue);
        return first with
        {
            AtRate = atRate,
            Idle = idle.Idle,
            IdleSeconds = idle.IdleSeconds,
            Rounds = [.. rounds.SelectMany(r => r.Rounds)],
        };
    }

    /// <summary>
    /// <paramref name="a"/>'s CPU per request of <paramref name="operation"/> over <paramref name="b"/>'s, in all
    /// or without the tiered JIT (<paramref name="warm"/>), round by round where both have the same rounds,
    /// else from their reported figures; null without both.
    /// </summary>
    public static RoundSpread? CpuRatio(SystemResult a, SystemResult b, string operation, bool warm = false)
    {
        var paired = a.Rounds.Join(b.Rounds, r => r.Round, r => r.Round, (x, y) =>
            x.CpuMsOf(operation, warm) is { } mine && y.CpuMsOf(operation, warm) is { } theirs && theirs > 0 ? mine / theirs : (double?)null)
            .OfType<double>().ToList();
        if (paired.Count > 1)
            return RoundSpread.Of(paired);
        double? Of(SystemResult s) => s.AtRateOf(operation) is { } o ? warm ? o.WarmCpuMsPerRequest : o.CpuMsPerRequest : null;
        return Of(a) is { } x && Of(b) is { } y && y > 0 ? RoundSpread.Of([x / y]) : null;
    }

    /// <summary>
    /// The item whose <paramref name="key"/> is the median; the lower median for an even count, so always
    /// an item one round really measured. <paramref name="items"/> must not be empty.
    /// </summary>
    public static T MedianBy<T>(this IReadOnlyCollection<T> items, Func<T, double> key) =>
        items.OrderBy(key).ElementAt((items.Count - 1) / 2);

    /// <summary>
    /// The idle % of a core one process of <paramref name="kind"/> burnt, over the rounds, in all or without
    /// the tiered JIT (<paramref name="warm"/>); null when not measured.
    /// </summary>
    public static RoundSpread? Idle(SystemResult system, string kind, bool warm = false) =>
        system.Rounds.Count > 1
            ? RoundSpread.Of(system.Rounds.Select(r => (warm ? r.IdleWarmCorePercent : r.IdleCorePercent).TryGetValue(kind, out var p) ? p : (double?)null).OfType<double>())
            : (warm ? system.IdleWarmCorePercent(kind) : system.IdleCorePercent(kind)) is { } one ? RoundSpread.Of([one]) : null;
}
