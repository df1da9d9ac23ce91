namespace Orderly.Tests.Infrastructure;

/// <summary>
/// The two test tiers. Everything without this trait is the fast tier (unit, grain, HTTP, schema,
/// manifests: free ports only, safe to run in parallel): <c>./orderly test --fast</c>. Classes marked
/// <c>[Trait(Tiers.Name, Tiers.Full)]</c> start whole local clusters on the fixed ports, send signals
/// and run load; they run only in the full tier, <c>./orderly test</c>, one at a time.
/// </summary>
public static class Tiers
{
    public const string Name = "Tier";
    public const string Full = "Full";
}
