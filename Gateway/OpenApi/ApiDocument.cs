using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Microsoft.Extensions.Options;
using Orderly.Gateway.Auth;
using Orderly.Gateway.Errors;

namespace Orderly.Gateway.OpenApi;

/// <summary>
/// What /openapi/v1.json says that is the service's rather than one route's: info, servers, the bearer
/// scheme, the headers every 401 and 503 carry, and a stable order of responses. The routes' own words
/// are next to them (Orders/OrderApiDocument); docs/openapi.json is the committed result (docs/api.md).
/// </summary>
public static class ApiDocument
{
    public const string Title = "Orderly API";
    /// <summary>The contract's version, not the build's: a build number would change the snapshot on every commit.</summary>
    public const string Version = "1.0.0";
    public const string BearerScheme = "bearer";

    public static OpenApiOptions DescribeService(this OpenApiOptions options)
    {
        options.AddSchemaTransformer(ContractSchemas.ApplyAsync);
        options.AddOperationTransformer((operation, _, _) =>
        {
            foreach (var (status, response) in operation.Responses ?? [])
            {
                if (response is not OpenApiResponse concrete)
                    continue;
                if (status == "401")
                    SetHeader(concrete, "WWW-Authenticate", new OpenApiHeader
                    {
                        Description = "`Bearer`; with `error=\"invalid_token\"` and an `error_description` when a token was sent but refused (RFC 6750).",
                        Required = true,
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                        Example = "Bearer",
                    });
                if (status == "503")
                    SetHeader(concrete, "Retry-After", new OpenApiHeader
                    {
                        Description = "Seconds to wait before trying again. Every 503 carries it: a 503 is only given for a failure a later try can get past.",
                        Required = true,
                        Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "0" },
                        Example = int.Parse(Unavailable.RetryAfterSeconds, System.Globalization.CultureInfo.InvariantCulture),
                    });
            }
            return Task.CompletedTask;
        });
        options.AddDocumentTransformer((document, context, _) =>
        {
            var staffScope = context.ApplicationServices.GetRequiredService<IOptions<AuthOptions>>().Value.StaffScope;
            document.Info = new OpenApiInfo
            {
                Title = Title,
                Version = Version,
                Description = """
                    Orderly takes, changes and lists orders. Every gateway serves this document at `/openapi/v1.json`.

                    Errors are RFC 9457 problem documents (`application/problem+json`) whose `detail` says what was wrong.
                    A 4xx will not succeed if retried unchanged; a 503 carries `Retry-After` and can succeed later; a 500
                    is a bug in Orderly, logged with the `traceId` the document carries. Mutating requests are safe to
                    retry with an `Idempotency-Key`; `If-Match` makes a change conditional on the order's `ETag`.
                    """,
                License = new OpenApiLicense { Name = "MIT", Identifier = "MIT" },
            };
            // Without this the generator names the host and port the request came in on, so the document
            // (and its snapshot) would change with every listener.
            document.Servers =
            [
                new OpenApiServer { Url = "/", Description = "The gateway (or load balancer) that served this document." },
                new OpenApiServer { Url = "http://127.0.0.1:8080", Description = "A local cluster started with `./orderly up`, through HAProxy." },
            ];
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = $"""
                    A JWT in `Authorization: Bearer …`, from the issuer the gateway trusts (Auth:Authority). A customer's
                    token has the customer id as its subject (`sub`); a staff token carries the scope `{staffScope}`.
                    Each operation says which of them it accepts.
                    """,
            };
            foreach (var operation in (document.Paths ?? []).Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []))
                operation.Responses = SortedByStatus(operation.Responses);
            return Task.CompletedTask;
        });
        return options;
    }

    public static OpenApiSecurityRequirement BearerRequirement(OpenApiDocument? document) =>
        new() { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] };

    private static void SetHeader(OpenApiResponse response, string name, OpenApiHeader header)
    {
        response.Headers ??= new Dictionary<string, IOpenApiHeader>();
        response.Headers[name] = header;
    }

    /// <summary>Success first, then errors, each by code: the order a reader looks for them in.</summary>
    private static OpenApiResponses? SortedByStatus(OpenApiResponses? responses)
    {
        if (responses is null)
            return null;
        var sorted = new OpenApiResponses { Extensions = responses.Extensions };
        foreach (var (status, response) in responses.OrderBy(r => r.Key, StringComparer.Ordinal))
            sorted[status] = response;
        return sorted;
    }
}
