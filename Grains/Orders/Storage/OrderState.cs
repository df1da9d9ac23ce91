using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orderly.Grains.Orders.Storage;

/// <summary>
/// The persisted state of one order: the document in its <c>orders</c> row (see <see cref="OrderStateJson"/>).
/// The names the schema reads from it are <see cref="OrderJsonNames"/>; the rest is opaque to SQL.
/// </summary>
[GenerateSerializer, Alias("Orderly.OrderState")]
public sealed class OrderState
{
    [Id(0)] public Guid Id { get; set; }
    [Id(1), JsonPropertyName(OrderJsonNames.Status)] public OrderStatus Status { get; set; }
    [Id(2), JsonPropertyName(OrderJsonNames.CustomerId)] public string CustomerId { get; set; } = "";
    [Id(3)] public ImmutableArray<OrderLine> Items { get; set; } = [];
    [Id(4)] public string DeliveryAddress { get; set; } = "";
    [Id(5), JsonPropertyName(OrderJsonNames.CreatedAt)] public DateTimeOffset CreatedAt { get; set; }
    [Id(6), JsonPropertyName(OrderJsonNames.UpdatedAt)] public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>0 until placed; +1 for every applied command. Exposed as the ETag.</summary>
    [Id(7)] public int Version { get; set; }
    [Id(8), JsonPropertyName(OrderJsonNames.IdempotencyKey)] public string? IdempotencyKey { get; set; }
    /// <summary>The command that placed the order, so a redelivered place answers "created" again.</summary>
    [Id(9)] public Guid PlacedBy { get; set; }
    /// <summary>Most recent applied commands, newest last, bounded by <see cref="OrderRulesOptions.RememberedCommands"/>.</summary>
    [Id(10)] public ImmutableArray<AppliedCommand> RecentCommands { get; set; } = [];

    [JsonIgnore]
    public bool IsPlaced => Version > 0;

    public OrderState Clone() => (OrderState)MemberwiseClone();

    public OrderSnapshot ToSnapshot() =>
        new(Id, Status, CustomerId, Items, DeliveryAddress, CreatedAt, UpdatedAt, Version, IdempotencyKey);
}

[GenerateSerializer, Immutable, Alias("Orderly.AppliedCommand")]
public sealed record AppliedCommand([property: Id(0)] Guid CommandId, [property: Id(1)] int Version);

/// <summary>
/// The JSON property names the schema reads to fill the <c>orders</c> columns (status, customer, the
/// listing's timestamps, the idempotency key). The write function in Silo/Schema/Migrations reads
/// exactly these; OrderStorageContractTests fails when C# and SQL disagree.
/// </summary>
public static class OrderJsonNames
{
    public const string Status = "status";
    public const string CustomerId = "customerId";
    public const string CreatedAt = "createdAt";
    public const string UpdatedAt = "updatedAt";
    public const string IdempotencyKey = "idempotencyKey";

    public static IReadOnlyList<string> All { get; } = [Status, CustomerId, CreatedAt, UpdatedAt, IdempotencyKey];
}

/// <summary>The JSON shape of order state in storage: camelCase, enums as strings, no CLR type names.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(OrderState))]
public sealed partial class OrderStateJson : JsonSerializerContext;
