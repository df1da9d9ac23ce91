using System.Text.Json.Serialization.Metadata;
using System.Text.Json;
using Orleans.Storage;

namespace Orderly.Grains.Storage;

/// <summary>
/// Grain state as UTF-8 JSON with System.Text.Json: readable in the database (it is stored as jsonb)
/// and free of CLR type names, so refactoring a class never strands stored state. Order state uses
/// the source-generated contract; anything else falls back to reflection with the same settings.
/// </summary>
public sealed class SystemTextJsonGrainStorageSerializer : IGrainStorageSerializer
{
    private static readonly JsonSerializerOptions Options = new(OrderStateJson.Default.Options)
    {
        TypeInfoResolver = JsonTypeInfoResolver.Combine(OrderStateJson.Default, new DefaultJsonTypeInfoResolver()),
    };

    public BinaryData Serialize<T>(T? input) => new(JsonSerializer.SerializeToUtf8Bytes(input, Options));

    public T? Deserialize<T>(BinaryData input) => JsonSerializer.Deserialize<T>(input.ToMemory().Span, Options);
}
