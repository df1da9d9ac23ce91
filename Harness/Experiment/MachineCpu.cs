using System.Globalization;

namespace Orderly.Harness.Experiment;

/// <summary>
/// The whole machine's CPU use between two reads of /proc/stat (all cores, every process, not just
/// Orderly's): the experiment reports it per second so a reader can tell when the machine, not the
/// product, set the numbers. Null where /proc/stat does not exist.
/// </summary>
public sealed class MachineCpu
{
    private (long Busy, long Total)? _last = Read();

    /// <summary>Percent busy since the previous call (or construction).</summary>
    public double? Sample()
    {
        var now = Read();
        var last = _last;
        _last = now;
        if (now is not { } n || last is not { } l || n.Total <= l.Total)
            return null;
        return Math.Round(100.0 * (n.Busy - l.Busy) / (n.Total - l.Total), 1);
    }

    private static (long Busy, long Total)? Read()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            var first = reader.ReadLine();
            if (first is null || !first.StartsWith("cpu ", StringComparison.Ordinal))
                return null;
            // user nice system idle iowait irq softirq steal (guest time is already inside user and nice).
            var f = first.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            var idle = f[3] + (f.Length > 4 ? f[4] : 0);
            var total = f.Sum();
            return (total - idle, total);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
