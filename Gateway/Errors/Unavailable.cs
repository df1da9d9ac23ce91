namespace Orderly.Gateway.Errors;

/// <summary>
/// The one 503 the gateway gives: a problem document with Retry-After, for a failure that a later try
/// can get past (a silo leaving, the database restarting, the request budget spent). Nothing else
/// writes a 503, so every one of them tells the client when to come back.
/// </summary>
public static class Unavailable
{
    public const string Title = "Temporarily unavailable";
    public const string Detail = "The order service is briefly unavailable; retry shortly.";
    public const string RetryAfterSeconds = "1";

    public static async Task WriteAsync(HttpContext http, string detail = Detail, Exception? exception = null)
    {
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = RetryAfterSeconds;
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails = { Status = StatusCodes.Status503ServiceUnavailable, Title = Title, Detail = detail },
        });
    }
}
