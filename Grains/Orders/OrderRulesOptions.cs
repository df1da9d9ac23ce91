using System.ComponentModel.DataAnnotations;
using Orderly.Grains.Abstractions.Orders;

namespace Orderly.Grains.Orders;

public sealed class OrderRulesOptions
{
    public const string Section = "Orders";

    /// <summary>
    /// How many applied command ids an order remembers for deduplication, besides the one that placed
    /// it (always remembered). Retries arrive within seconds, so a few dozen is plenty; every remembered
    /// id (16 bytes) is written with the state.
    /// </summary>
    [Range(1, 1000)]
    public int RememberedCommands { get; set; } = 32;
}
