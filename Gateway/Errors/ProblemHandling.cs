using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;
using Orderly.Gateway.Silos;
using Orderly.Gateway.Hosting;

namespace Orderly.Gateway.Errors;

/// <summary>
/// Every error leaves as an RFC 9457 problem document: bad input is a 4xx that says what was wrong,
/// a cluster that is momentarily unreachable is a 503 with Retry-After (<see cref="Failures"/> decides
/// what is momentary), and anything else is a bug: a 500 whose trace id is in the log next to the exception.
/// </summary>
public static partial class ProblemHandling
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
        services.AddExceptionHandler<FailureHandler>();
        return services;
    }

    private sealed partial class FailureHandler(
        IProblemDetailsService problems, IOptions<GatewayHostOptions> options, ILogger<FailureHandler> log) : IExceptionHandler
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
                    (503, Unavailable.Title, Unavailable.Detail),
                // The client went away: nobody reads an answer (the middleware records it as 499).
                OperationCanceledException => null,
                _ when Failures.IsTransient(exception) =>
                    (503, Unavailable.Title, Unavailable.Detail),
                _ => (500, "Internal error", $"The request failed unexpectedly; it is logged with trace id {TraceId(http)}. Retrying will not help."),
            };
            if (problem is not { } p)
                return false;
            if (p.Status == StatusCodes.Status503ServiceUnavailable)
            {
                await Unavailable.WriteAsync(http, p.Detail, exception);
                return true;
            }
            if (p.Status == StatusCodes.Status500InternalServerError)
                LogUnexpected(log, exception, TraceId(http));
            http.Response.StatusCode = p.Status;
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                Exception = exception,
                ProblemDetails = { Status = p.Status, Title = p.Title, Detail = p.Detail },
            });
        }

        /// <summary>The id the problem document carries as traceId, so the answer and the log line meet.</summary>
        private static string TraceId(HttpContext http) => Activity.Current?.Id ?? http.TraceIdentifier;

        /// <summary>
        /// Says where and why the JSON was refused, from the exception's type and path — never its
        /// message, which is not a contract and names .NET types. System.Text.Json raises one type for
        /// every refusal; what caused it is told by its inner exception.
        /// </summary>
        private static string Describe(JsonException e)
        {
            var path = string.IsNullOrEmpty(e.Path) ? "$" : e.Path;
            var why = e.InnerException switch
            {
                // The reader's own exception derives from JsonException: the bytes are not JSON.
                JsonException => "malformed JSON (or bytes that are not UTF-8 outside a string, or nesting deeper than 16)",
                InvalidOperationException { InnerException: DecoderFallbackException } => "a string that is not valid UTF-8 (an invalid or overlong sequence)",
                InvalidOperationException => "a value of the wrong JSON type, or a string that is not valid Unicode (an unpaired surrogate)",
                FormatException or OverflowException => "a number that is not a whole number in range",
                // Unknown, repeated and null fields and missing required ones carry no cause; the path tells which field.
                null => path == "$" ? "a required field is missing, or a field is unknown, repeated or null"
                    : "an unknown, repeated or null field",
                _ => "a value that cannot be read",
            };
            return $"The request body is not acceptable at '{path}': {why}.";
        }

        [LoggerMessage(EventId = 9110, Level = LogLevel.Error, Message = "request failed unexpectedly, answered 500 without retrying; trace id {TraceId}")]
        private static partial void LogUnexpected(ILogger logger, Exception exception, string traceId);
    }
}
