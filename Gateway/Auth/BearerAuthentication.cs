using System.Net.Http;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Orderly.Gateway.Errors;

namespace Orderly.Gateway.Auth;

/// <summary>
/// OAuth 2.0 bearer tokens (JWT) on the /orders routes, with ASP.NET Core's JwtBearer handler: issuer,
/// audience, lifetime and signature checked against the keys the issuer publishes. Health and the
/// OpenAPI document stay anonymous. A missing or refused token is a 401 problem document with
/// <c>WWW-Authenticate</c>; an issuer whose keys cannot be read is a 503 with Retry-After, since the
/// client's token may be fine.
/// </summary>
public static partial class BearerAuthentication
{
    /// <summary>Algorithms a token may be signed with: asymmetric only, so no shared secret can mint one.</summary>
    public static readonly string[] Algorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384,
    ];

    public static WebApplicationBuilder AddOrderlyAuthentication(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>()
            .Bind(builder.Configuration.GetSection(AuthOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddAuthorization();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>, TimeProvider>((jwt, options, time) => Configure(jwt, options.Value, time));
        return builder;
    }

    private static void Configure(JwtBearerOptions jwt, AuthOptions auth, TimeProvider time)
    {
        jwt.Authority = auth.Authority;
        jwt.RequireHttpsMetadata = auth.RequiresHttps;
        // Claims keep their JWT names (sub, scope), not the WS-Federation URIs.
        jwt.MapInboundClaims = false;
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidateAudience = auth.AudienceClaim == "aud",
            ValidAudience = auth.Audience,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            ValidAlgorithms = Algorithms,
            ClockSkew = TimeSpan.FromSeconds(auth.ClockSkewSeconds),
            NameClaimType = "sub",
        };
        jwt.TokenHandlers.Clear();
        jwt.TokenHandlers.Add(new RememberingTokenHandler(time, TimeSpan.FromSeconds(auth.ValidatedTokenCacheSeconds)) { MapInboundClaims = false });
        jwt.Events = new JwtBearerEvents
        {
            OnTokenValidated = context =>
            {
                // Amazon Cognito's access tokens name their app client in client_id, not aud.
                if (auth.AudienceClaim == "client_id" && context.Principal?.FindFirst("client_id")?.Value != auth.Audience)
                    context.Fail(new SecurityTokenInvalidAudienceException($"The token's client_id is not '{auth.Audience}'."));
                return Task.CompletedTask;
            },
            OnChallenge = WriteChallengeAsync,
        };
    }

    private static async Task WriteChallengeAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var http = context.HttpContext;
        if (context.AuthenticateFailure is InvalidOperationException or HttpRequestException or OperationCanceledException)
        {
            // The issuer's metadata or keys could not be read: nothing is known about the token yet.
            LogIssuerUnreachable(http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(BearerAuthentication)), context.AuthenticateFailure);
            await Unavailable.WriteAsync(http, "The token issuer's keys cannot be read right now; retry shortly.");
            return;
        }
        var header = "Bearer";
        if (!string.IsNullOrEmpty(context.Error))
            header += $", error=\"{context.Error}\"";
        if (!string.IsNullOrEmpty(context.ErrorDescription))
            header += $", error_description=\"{HeaderSafe(context.ErrorDescription)}\"";
        http.Response.StatusCode = StatusCodes.Status401Unauthorized;
        http.Response.Headers.WWWAuthenticate = header;
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Authentication required",
                Detail = context.AuthenticateFailure is null
                    ? "This operation needs a bearer token: Authorization: Bearer <token>."
                    : $"The bearer token was refused: {context.ErrorDescription}",
            },
        });
    }

    /// <summary>The description may quote the token (an audience, an issuer): only printable ASCII, no quotes, goes in a header.</summary>
    private static string HeaderSafe(string text) =>
        string.Create(text.Length, text, (span, t) =>
        {
            for (var i = 0; i < t.Length; i++)
                span[i] = t[i] is >= ' ' and <= '~' and not '"' and not '\\' ? t[i] : '?';
        });

    [LoggerMessage(EventId = 9120, Level = LogLevel.Warning, Message = "the token issuer's keys could not be read; answered 503")]
    private static partial void LogIssuerUnreachable(ILogger logger, Exception exception);
}
