using BenchmarkDotNet.Running;

namespace Orderly.Bench.Micro;

public static class MicroBenchmarks
{
    /// <summary>
    /// ./orderly bench --micro passes its arguments here (e.g. --filter '*Json*' --job short). Exits 1
    /// when nothing ran (an unknown option, a filter that matches nothing) or a benchmark failed, so a
    /// script can tell.
    /// </summary>
    public static int Main(string[] args)
    {
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(MicroBenchmarks).Assembly).Run(args).ToList();
        if (args.Any(a => a is "--help" or "-h" or "--version" or "--list"))
            return 0;
        if (summaries.Count == 0 || summaries.All(s => s.Reports.Length == 0))
        {
            Console.Error.WriteLine("micro-benchmarks: nothing ran (see the messages above; --help lists the options)");
            return 1;
        }
        var failed = summaries.SelectMany(s => s.Reports).Where(r => !r.Success).Select(r => r.BenchmarkCase.DisplayInfo).ToList();
        if (summaries.Any(s => s.HasCriticalValidationErrors) || failed.Count > 0)
        {
            Console.Error.WriteLine($"micro-benchmarks: failed: {string.Join(", ", failed)}");
            return 1;
        }
        return 0;
    }
}
