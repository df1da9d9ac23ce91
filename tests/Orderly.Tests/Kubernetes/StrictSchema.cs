using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Orderly.Tests.Kubernetes;

/// <summary>
/// Validates documents against the committed schemas (Schemas/README.md) the way the API server with
/// strict field validation and eksctl do: a field the schema does not declare fails, and so do wrong
/// types, values outside an enum, a pattern or a limit, and missing required fields. Written here rather
/// than taken from a JSON Schema library because the Kubernetes schemas are OpenAPI 2 with Kubernetes'
/// own extensions (int-or-string, quantities, preserve-unknown-fields), which those libraries do not know.
/// CEL rules are not evaluated.
/// </summary>
public sealed class StrictSchema
{
    private readonly JsonElement _definitions;

    private StrictSchema(JsonElement definitions) => _definitions = definitions;

    public static string Dir => Path.Combine(Manifests.K8sDir, "..", "tests", "Orderly.Tests", "Kubernetes", "Schemas");

    /// <summary>Kubernetes' own kinds, from kubernetes-&lt;version&gt;.json.</summary>
    public static KubernetesSchemas Kubernetes(string version)
    {
        var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, $"kubernetes-{version}.json"))).RootElement;
        var kinds = doc.GetProperty("kinds").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        return new KubernetesSchemas(doc.GetProperty("kubernetesVersion").GetString()!, new StrictSchema(doc.GetProperty("definitions")), kinds);
    }

    /// <summary>One self-contained schema file (a CRD's openAPIV3Schema, eksctl's ClusterConfig).</summary>
    public static (StrictSchema Schema, JsonElement Root) FromFile(string name)
    {
        var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, name))).RootElement.GetProperty("schema");
        return (new StrictSchema(schema.TryGetProperty("definitions", out var d) ? d : default), schema);
    }

    public List<string> Validate(JsonNode? value, JsonElement schema)
    {
        var errors = new List<string>();
        Check(value, schema, "", errors);
        return errors;
    }

    public List<string> ValidateDefinition(JsonNode? value, string definition) => Validate(value, _definitions.GetProperty(definition));

    private void Check(JsonNode? value, JsonElement schema, string path, List<string> errors)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            var name = reference.GetString()!.Split('/')[^1];
            // Quantities are written as strings or bare numbers ("64", 0.5); the API server takes both.
            if (name.EndsWith("api.resource.Quantity", StringComparison.Ordinal))
            {
                if (value is not JsonValue v || v.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Number))
                    errors.Add($"{path}: a quantity must be a string or a number");
                return;
            }
            Check(value, _definitions.GetProperty(name), path, errors);
            return;
        }
        if (value is null)
            return; // null means "not set" for an optional field
        if (schema.TryGetProperty("x-kubernetes-int-or-string", out var ios) && ios.GetBoolean()
            || schema.TryGetProperty("format", out var format) && format.GetString() == "int-or-string")
        {
            if (value is not JsonValue v || v.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Number))
                errors.Add($"{path}: must be an integer or a string");
            return;
        }
        foreach (var combinator in new[] { "anyOf", "oneOf" })
        {
            if (schema.TryGetProperty(combinator, out var options)
                && !options.EnumerateArray().Any(o => Validate(value, o).Count == 0))
                errors.Add($"{path}: matches none of the {combinator} alternatives");
        }
        if (schema.TryGetProperty("allOf", out var all))
        {
            foreach (var part in all.EnumerateArray())
                Check(value, part, path, errors);
        }
        if (schema.TryGetProperty("enum", out var enumeration)
            && !enumeration.EnumerateArray().Any(e => JsonNode.DeepEquals(JsonNode.Parse(e.GetRawText()), value)))
            errors.Add($"{path}: {value.ToJsonString()} is not one of {enumeration.GetRawText()}");
        if (schema.TryGetProperty("type", out var type) && !Types(type).Any(t => IsOfType(value, t)))
        {
            errors.Add($"{path}: expected {type.GetRawText()}, found {value.ToJsonString()}");
            return;
        }
        switch (value)
        {
            case JsonObject obj:
                CheckObject(obj, schema, path, errors);
                break;
            case JsonArray array:
                if (schema.TryGetProperty("items", out var items))
                {
                    for (var i = 0; i < array.Count; i++)
                        Check(array[i], items, $"{path}[{i}]", errors);
                }
                if (schema.TryGetProperty("maxItems", out var maxItems) && array.Count > maxItems.GetInt32())
                    errors.Add($"{path}: more than {maxItems} items");
                if (schema.TryGetProperty("minItems", out var minItems) && array.Count < minItems.GetInt32())
                    errors.Add($"{path}: fewer than {minItems} items");
                break;
            case JsonValue scalar when scalar.GetValueKind() == JsonValueKind.String:
                var text = scalar.GetValue<string>();
                if (schema.TryGetProperty("pattern", out var pattern) && !Regex.IsMatch(text, pattern.GetString()!, RegexOptions.None, TimeSpan.FromSeconds(1)))
                    errors.Add($"{path}: '{text}' does not match {pattern.GetString()}");
                if (schema.TryGetProperty("maxLength", out var maxLength) && text.Length > maxLength.GetInt32())
                    errors.Add($"{path}: longer than {maxLength}");
                if (schema.TryGetProperty("minLength", out var minLength) && text.Length < minLength.GetInt32())
                    errors.Add($"{path}: shorter than {minLength}");
                break;
            case JsonValue scalar when scalar.GetValueKind() == JsonValueKind.Number:
                var number = Number(scalar);
                if (schema.TryGetProperty("minimum", out var minimum) && number < minimum.GetDouble())
                    errors.Add($"{path}: {number} is below {minimum}");
                if (schema.TryGetProperty("maximum", out var maximum) && number > maximum.GetDouble())
                    errors.Add($"{path}: {number} is above {maximum}");
                break;
        }
    }

    private void CheckObject(JsonObject obj, JsonElement schema, string path, List<string> errors)
    {
        var hasProperties = schema.TryGetProperty("properties", out var properties);
        var open = schema.TryGetProperty("x-kubernetes-preserve-unknown-fields", out var preserve) && preserve.GetBoolean();
        schema.TryGetProperty("additionalProperties", out var additional);
        foreach (var (key, child) in obj)
        {
            if (hasProperties && properties.TryGetProperty(key, out var property))
                Check(child, property, $"{path}.{key}", errors);
            else if (additional.ValueKind == JsonValueKind.Object)
                Check(child, additional, $"{path}.{key}", errors);
            else if (additional.ValueKind == JsonValueKind.True || open || !hasProperties && additional.ValueKind != JsonValueKind.False)
                continue;
            else
                errors.Add($"{path}.{key}: unknown field");
        }
        if (schema.TryGetProperty("required", out var required))
        {
            foreach (var name in required.EnumerateArray().Select(r => r.GetString()!).Where(name => !obj.ContainsKey(name)))
                errors.Add($"{path}: missing required field {name}");
        }
    }

    private static double Number(JsonValue value) => double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture);

    private static IEnumerable<string> Types(JsonElement type) =>
        type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!) : [type.GetString()!];

    private static bool IsOfType(JsonNode value, string type) => (type, value) switch
    {
        ("object", JsonObject) => true,
        ("array", JsonArray) => true,
        ("string", JsonValue v) => v.GetValueKind() == JsonValueKind.String,
        ("boolean", JsonValue v) => v.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
        ("number", JsonValue v) => v.GetValueKind() == JsonValueKind.Number,
        ("integer", JsonValue v) => v.GetValueKind() == JsonValueKind.Number && Math.Abs(Number(v) % 1) < double.Epsilon,
        ("null", _) => false,
        _ => false,
    };

    /// <summary>YAML documents as JSON, with YAML 1.2 core-schema typing of plain scalars (quoted ones stay strings).</summary>
    public static List<JsonNode> LoadYaml(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return [.. stream.Documents.Where(d => d.RootNode is YamlMappingNode).Select(d => ToJson(d.RootNode)!)];
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToJson(c.Value)))),
        YamlSequenceNode seq => new JsonArray([.. seq.Children.Select(ToJson)]),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } s => Plain(s.Value ?? ""),
        YamlScalarNode s => JsonValue.Create(s.Value),
        _ => throw new InvalidDataException($"unexpected YAML node {node.NodeType}"),
    };

    private static JsonValue? Plain(string text)
    {
        if (text is "" or "~" or "null" or "Null" or "NULL")
            return null;
        if (text is "true" or "True" or "TRUE")
            return JsonValue.Create(true);
        if (text is "false" or "False" or "FALSE")
            return JsonValue.Create(false);
        if (Regex.IsMatch(text, "^[-+]?[0-9]+$") && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var small))
            return JsonValue.Create(small);
        if (Regex.IsMatch(text, "^[-+]?[0-9]+$") && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var integer))
            return JsonValue.Create(integer);
        if (Regex.IsMatch(text, @"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$"))
            return JsonValue.Create(double.Parse(text, CultureInfo.InvariantCulture));
        return JsonValue.Create(text);
    }
}

/// <summary>The Kubernetes schema of one version, by "apiVersion kind".</summary>
public sealed record KubernetesSchemas(string Version, StrictSchema Schema, IReadOnlyDictionary<string, string> Kinds)
{
    public List<string> Validate(JsonNode document)
    {
        var key = $"{document["apiVersion"]} {document["kind"]}";
        var name = $"{document["kind"]}/{document["metadata"]?["name"]}";
        if (!Kinds.TryGetValue(key, out var definition))
            return [$"{name}: {key} is not a kind of Kubernetes {Version} this schema file covers"];
        return [.. Schema.ValidateDefinition(document, definition).Select(e => $"{name}{e}")];
    }
}
