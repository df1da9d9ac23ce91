using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;
using Orderly.Gateway.Hosting;
using Orleans.Runtime;

namespace Orderly.Gateway.Errors;

/// <summary>
/// Every error leaves as an RFC 9457 problem document: bad input is a 4xx that says what was wrong,
/// a cluster that is momentarily unreachable is a 503 with Retry-After, and only a real bug is a 500.
/// </summary>
public static class ProblemHandling
{
    public static WebApplication UseOrderlyProblems(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }

    public static IServiceCollection AddOrderlyProblems(this IServiceCollection services)
    {
        services.AddProblemDetails();
        services.AddExceptionHandler<ExpectedFailureHandler>();
        return services;
    }

    /// <summary>
    /// Failures a retry can fix: a silo left or froze, a connection broke, a call timed out, placement
    /// or directory registration raced a membership change, the database was briefly away. Every
    /// mutating command is idempotent, so retrying any of these is safe.
    /// </summary>
    /// <remarks>
    /// OrleansException covers silo-unavailable, message rejections, connection failures, gateway
    /// too busy, lost write races (InconsistentStateException) and placement/directory errors.
    /// </remarks>
    public static bool IsTransientClusterFailure(Exception e) =>
        e is OrleansException or TimeoutException or Polly.Timeout.TimeoutRejectedException or Npgsql.NpgsqlException;

    private sealed class ExpectedFailureHandler(IProblemDetailsService problems, IOptions<GatewayHostOptions> options) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
        {
            (int Status, string Title, string Detail)? problem = exception switch
            {
                BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
                    (413, "Request body too large", $"The request body must be at most {options.Value.MaxRequestBodyBytes} bytes."),
                BadHttpRequestException { InnerException: JsonException json } =>
                    (400, "Invalid request body", Describe(json)),
                BadHttpRequestException bad =>
                    (bad.StatusCode, "Invalid request", bad.Message),
                // Canceled without the client going away: Orleans gave up (e.g. placement during a membership change).
                OperationCanceledException when !http.RequestAborted.IsCancellationRequested =>
                    (503, "Temporarily unavailable", "The order service is briefly unavailable; retry shortly."),
                _ when IsTransientClusterFailure(exception) =>
                    (503, "Temporarily unavailable", "The order service is briefly unavailable; retry shortly."),
                _ => null,
            };
            if (problem is not { } p)
                return false;
            http.Response.StatusCode = p.Status;
            if (p.Status == StatusCodes.Status503ServiceUnavailable)
                http.Response.Headers.RetryAfter = "1";
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                Exception = exception,
                ProblemDetails = { Status = p.Status, Title = p.Title, Detail = p.Detail },
            });
        }

        /// <summary>Says where and roughly why the JSON was refused, without leaking .NET type names.</summary>
        private static string Describe(JsonException e)
        {
            var path = string.IsNullOrEmpty(e.Path) ? "$" : e.Path;
            var message = e.Message;
            var why = message.Contains("could not be mapped", StringComparison.Ordinal) ? "unknown field"
                : message.Contains("missing required properties", StringComparison.Ordinal) ? "a required field is missing"
                : message.Contains("null", StringComparison.OrdinalIgnoreCase) ? "null is not allowed here"
                : message.Contains("could not be converted", StringComparison.Ordinal) ? "wrong type or value out of range"
                : message.Contains("depth", StringComparison.OrdinalIgnoreCase) ? "nested too deeply"
                : "malformed JSON";
            return $"The request body is not acceptable at '{path}': {why}.";
        }
    }
}
