using System.Buffers.Text;
using System.Collections.Immutable;
using System.Text.Json.Serialization;
using System.Text.Json;
using Orderly.Grains.Abstractions.Orders;

namespace Orderly.Grains.Storage;

/// <summary>
/// The persisted state of one order: the document in its <c>orders</c> row (see <see cref="OrderStateJson"/>).
/// The names the schema reads from it are <see cref="OrderJsonNames"/>; the rest is opaque to SQL.
/// </summary>
[GenerateSerializer, Alias("Orderly.OrderState")]
public sealed class OrderState
{
    /// <summary>The grain key. Not in the stored document: the row's primary key holds it (no key twice per row version).</summary>
    [Id(0), JsonIgnore] public Guid Id { get; set; }
    [Id(1), JsonPropertyName(OrderJsonNames.Status)] public OrderStatus Status { get; set; }
    [Id(2), JsonPropertyName(OrderJsonNames.CustomerId)] public string CustomerId { get; set; } = "";
    [Id(3)] public ImmutableArray<OrderLine> Items { get; set; } = [];
    [Id(4)] public string DeliveryAddress { get; set; } = "";
    [Id(5), JsonPropertyName(OrderJsonNames.CreatedAt)] public DateTimeOffset CreatedAt { get; set; }
    [Id(6), JsonPropertyName(OrderJsonNames.UpdatedAt)] public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>0 until placed; +1 for every applied command. Exposed as the ETag.</summary>
    [Id(7)] public int Version { get; set; }
    [Id(8), JsonPropertyName(OrderJsonNames.IdempotencyKey)] public string? IdempotencyKey { get; set; }
    /// <summary>
    /// The command that placed the order, so a redelivered place answers "created" again and an update
    /// carrying the same id changes nothing, however many commands came after it.
    /// </summary>
    [Id(9), JsonConverter(typeof(CompactGuidJson))] public Guid PlacedBy { get; set; }
    /// <summary>
    /// The most recent applied commands after the place (<see cref="PlacedBy"/> holds that one), newest
    /// last, bounded by <see cref="OrderRulesOptions.RememberedCommands"/>.
    /// </summary>
    [Id(10), JsonConverter(typeof(AppliedCommandsJson))] public ImmutableArray<AppliedCommand> RecentCommands { get; set; } = [];

    /// <summary>Whether <paramref name="commandId"/> has been applied to this order, as far as it remembers.</summary>
    public bool HasApplied(Guid commandId) =>
        PlacedBy == commandId || RecentCommands.Any(c => c.CommandId == commandId);

    [JsonIgnore]
    public bool IsPlaced => Version > 0;

    public OrderState Clone() => (OrderState)MemberwiseClone();

    public OrderSnapshot ToSnapshot() =>
        new(Id, Status, CustomerId, Items, DeliveryAddress, CreatedAt, UpdatedAt, Version, IdempotencyKey);
}

/// <summary>An applied command, by its id. (Its version, field 1, was stored until 2026-12-04 and never read.)</summary>
[GenerateSerializer, Immutable, Alias("Orderly.AppliedCommand")]
public sealed record AppliedCommand([property: Id(0)] Guid CommandId);

/// <summary>
/// The remembered commands in the stored document as one base64url string of their 16-byte ids, oldest
/// first: 21⅓ characters a command, against about 29 for a jsonb array of one "id.version" string each.
/// Every write stores the whole document again, so this is most of what an update adds to the WAL
/// beyond the baseline's row (docs/performance.md). Reads both earlier forms — an array of
/// "&lt;id, base64url&gt;.&lt;version&gt;" strings, and before that of {"commandId", "version"} objects —
/// so rows written before each change stay readable.
/// </summary>
public sealed class AppliedCommandsJson : JsonConverter<ImmutableArray<AppliedCommand>>
{
    private const int IdBytes = 16;

    public override ImmutableArray<AppliedCommand> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            var text = reader.GetString()!;
            var bytes = new byte[Base64Url.GetMaxDecodedLength(text.Length)];
            if (!Base64Url.TryDecodeFromChars(text, bytes, out var length) || length % IdBytes != 0)
                throw new JsonException($"remembered commands are whole {IdBytes}-byte ids in base64url; got '{text}'");
            var commands = ImmutableArray.CreateBuilder<AppliedCommand>(length / IdBytes);
            for (var i = 0; i < length; i += IdBytes)
                commands.Add(new AppliedCommand(new Guid(bytes.AsSpan(i, IdBytes))));
            return commands.MoveToImmutable();
        }
        if (reader.TokenType != JsonTokenType.StartArray)
            throw new JsonException("remembered commands are a string or an array");
        var earlier = ImmutableArray.CreateBuilder<AppliedCommand>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            earlier.Add(ReadEarlier(ref reader));
        return earlier.ToImmutable();
    }

    public override void Write(Utf8JsonWriter writer, ImmutableArray<AppliedCommand> value, JsonSerializerOptions options)
    {
        var length = IdBytes * value.Length;
        Span<byte> bytes = length <= 1024 ? stackalloc byte[length] : new byte[length];
        for (var i = 0; i < value.Length; i++)
            value[i].CommandId.TryWriteBytes(bytes.Slice(i * IdBytes, IdBytes));
        writer.WriteStringValue(Base64Url.EncodeToChars(bytes));
    }

    private static AppliedCommand ReadEarlier(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            // "<16-byte id, base64url>.<version>"
            var text = reader.GetString()!;
            var dot = text.IndexOf('.', StringComparison.Ordinal);
            Span<byte> id = stackalloc byte[IdBytes];
            if (dot < 0 || !Base64Url.TryDecodeFromChars(text.AsSpan(0, dot), id, out var written) || written != IdBytes)
                throw new JsonException($"not an applied command: '{text}'");
            return new AppliedCommand(new Guid(id));
        }
        // {"commandId": "...", "version": n}
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new JsonException("an applied command is a string or an object");
        Guid commandId = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            if (name == "commandId")
                commandId = reader.GetGuid();
            else
                reader.Skip();
        }
        return new AppliedCommand(commandId);
    }
}

/// <summary>A Guid in the stored document as 22 base64url characters instead of 36; reads the 36-character form too.</summary>
public sealed class CompactGuidJson : JsonConverter<Guid>
{
    public override Guid Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        Span<byte> bytes = stackalloc byte[16];
        if (text is { Length: 22 } && Base64Url.TryDecodeFromChars(text, bytes, out var written) && written == 16)
            return new Guid(bytes);
        return Guid.TryParse(text, out var id) ? id : throw new JsonException($"not an id: '{text}'");
    }

    public override void Write(Utf8JsonWriter writer, Guid value, JsonSerializerOptions options)
    {
        Span<byte> bytes = stackalloc byte[16];
        value.TryWriteBytes(bytes);
        writer.WriteStringValue(Base64Url.EncodeToChars(bytes));
    }
}

/// <summary>
/// The JSON property names the schema reads to fill the <c>orders</c> columns (status, customer, the
/// listing's timestamps, the idempotency key). The write function in Grains/Storage/Schema/Migrations reads
/// exactly these; OrderStorageTests fails when C# and SQL disagree.
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
