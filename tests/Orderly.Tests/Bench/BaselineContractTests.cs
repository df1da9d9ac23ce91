using System.ComponentModel.DataAnnotations;
using System.Reflection;
using Orderly.Gateway.Orders;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Bench;

/// <summary>
/// The bench compares like with like only if the baseline validates a request exactly as the gateway
/// does: every field of its request bodies carries the same rules with the same limits. The baseline is
/// a separate program, so its built assembly is read by reflection.
/// </summary>
public sealed class BaselineContractTests
{
    private static readonly Lazy<Assembly> Baseline = new(() => Assembly.LoadFrom(
        Path.Combine(TestDatabase.Layout.Root, "bench", "Baseline", "bin", Processes.Configuration, "net10.0", "Orderly.Baseline.dll")));

    public static TheoryData<Type, string> Bodies() => new()
    {
        { typeof(OrderLineDto), "Orderly.Baseline.OrderLine" },
        { typeof(PlaceOrderRequest), "Orderly.Baseline.PlaceOrderRequest" },
        { typeof(UpdateOrderRequest), "Orderly.Baseline.UpdateOrderRequest" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public void The_baseline_validates_every_field_with_the_gateways_rules(Type gateway, string baselineType)
    {
        var baseline = Baseline.Value.GetType(baselineType, throwOnError: true)!;
        var mine = Rules(gateway);
        var theirs = Rules(baseline);
        Assert.Equal(mine.Keys.Order(), theirs.Keys.Order());
        foreach (var field in mine.Keys)
            Assert.True(mine[field].SequenceEqual(theirs[field]),
                $"{gateway.Name}.{field}: gateway [{string.Join(", ", mine[field])}], baseline [{string.Join(", ", theirs[field])}]");
    }

    [Fact]
    public void The_comparison_sees_a_missing_rule()
    {
        var rules = Rules(typeof(Different));
        Assert.NotEqual(Rules(typeof(OrderLineDto))["Sku"], rules["Sku"]);
    }

    private sealed record Different([Required, StringLength(64, MinimumLength = 1)] string Sku, [Range(1, 1000)] int Quantity);

    /// <summary>Each constructor parameter's validation attributes, described with their limits, in a stable order.</summary>
    private static Dictionary<string, string[]> Rules(Type body) =>
        body.GetConstructors().Single().GetParameters().ToDictionary(
            p => char.ToUpperInvariant(p.Name![0]) + p.Name[1..],
            p => p.GetCustomAttributes<ValidationAttribute>().Select(Describe).Order(StringComparer.Ordinal).ToArray());

    private static string Describe(ValidationAttribute a) => a switch
    {
        StringLengthAttribute s => $"StringLength({s.MinimumLength}..{s.MaximumLength})",
        LengthAttribute l => $"Length({l.MinimumLength}..{l.MaximumLength})",
        RangeAttribute r => $"Range({r.Minimum}..{r.Maximum})",
        RegularExpressionAttribute r => $"RegularExpression({r.Pattern}, {r.ErrorMessage})",
        _ => a.GetType().Name,
    };
}
