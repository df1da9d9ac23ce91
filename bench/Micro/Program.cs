using BenchmarkDotNet.Running;

namespace Orderly.Bench.Micro;

public static class MicroBenchmarks
{
    // ./orderly bench --micro passes its arguments here, e.g. --filter '*Json*' --job short.
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(MicroBenchmarks).Assembly).Run(args);
}
