using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Orderly.Gateway.Orders;
using Orderly.Grains.Abstractions.Orders;

namespace Orderly.Gateway.OpenApi;

/// <summary>
/// The request contracts are positional records whose limits sit on the constructor parameters, where
/// the built-in validation reads them; the schema generator reads only properties. This copies the same
/// attributes into the schema, so the document states the limits the validation enforces and cannot drift.
/// </summary>
internal static class ContractSchemas
{
    public const string PlainTextRule =
        "No control characters (U+0000–U+001F, U+007F–U+009F) and no unpaired surrogates.";

    public static Task ApplyAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        // Enums are written as their names (JsonStringEnumConverter): say so, for tools that check enum values against the type.
        if ((Nullable.GetUnderlyingType(type) ?? type).IsEnum && schema.Enum is { Count: > 0 } values
            && values.All(v => v?.GetValueKind() == System.Text.Json.JsonValueKind.String))
            schema.Type = JsonSchemaType.String;

        if (context.JsonPropertyInfo is null && typeof(Microsoft.AspNetCore.Mvc.ProblemDetails).IsAssignableFrom(type))
            DescribeProblem(schema);

        if (context.JsonPropertyInfo?.AssociatedParameter?.AttributeProvider is not { } parameter)
            return Task.CompletedTask;
        var isArray = schema.Type is { } t && t.HasFlag(JsonSchemaType.Array);
        foreach (var attribute in parameter.GetCustomAttributes(inherit: true))
        {
            switch (attribute)
            {
                case StringLengthAttribute length:
                    schema.MinLength = length.MinimumLength > 0 ? length.MinimumLength : null;
                    schema.MaxLength = length.MaximumLength;
                    break;
                case LengthAttribute length when isArray:
                    schema.MinItems = length.MinimumLength;
                    schema.MaxItems = length.MaximumLength;
                    break;
                case LengthAttribute length:
                    schema.MinLength = length.MinimumLength;
                    schema.MaxLength = length.MaximumLength;
                    break;
                case RangeAttribute range:
                    schema.Minimum = Convert.ToString(range.Minimum, CultureInfo.InvariantCulture);
                    schema.Maximum = Convert.ToString(range.Maximum, CultureInfo.InvariantCulture);
                    break;
                case RegularExpressionAttribute regex:
                    schema.Pattern = regex.Pattern;
                    break;
                case PlainTextAttribute:
                    schema.Description = schema.Description is null ? PlainTextRule : $"{schema.Description} {PlainTextRule}";
                    break;
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// ProblemDetails keeps extension members (traceId, and whatever a handler adds) in a dictionary the
    /// generator does not see: without this the schema would forbid what every problem document carries.
    /// </summary>
    private static void DescribeProblem(OpenApiSchema schema)
    {
        schema.AdditionalPropertiesAllowed = true;
        schema.AdditionalProperties = null;
        schema.Description = "An RFC 9457 problem document. `detail` says what was wrong; `traceId` finds the request in the gateway's log.";
        schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
        schema.Properties["traceId"] = new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Description = "The request's W3C trace context id (`00-<trace id>-<span id>-<flags>`), the one the gateway logs it under.",
        };
        if (schema.Properties.TryGetValue("errors", out var errors) && errors is OpenApiSchema map)
            map.Description = "Each field that broke a limit, with what was wrong with it.";
    }
}
