using System.Collections.Concurrent;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Orderly.Gateway.Auth;

/// <summary>
/// The JWT handler ASP.NET Core uses, remembering tokens it has validated: a client sends the same
/// token on every request, and checking its signature once instead of each time is most of what
/// validation costs (docs/performance.md). A remembered token is answered as valid until its own
/// expiry or <see cref="AuthOptions.ValidatedTokenCacheSeconds"/>, whichever is first — so a key the
/// issuer withdraws stops admitting tokens it signed within that time. Refused tokens are not remembered.
/// </summary>
public sealed class RememberingTokenHandler(TimeProvider time, TimeSpan remember, int capacity = 20_000) : JsonWebTokenHandler
{
    private readonly ConcurrentDictionary<string, Remembered> _valid = new(StringComparer.Ordinal);

    private sealed record Remembered(TokenValidationResult Result, DateTimeOffset Until);

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        var now = time.GetUtcNow();
        if (_valid.TryGetValue(token, out var hit))
        {
            if (hit.Until > now)
                return hit.Result;
            _valid.TryRemove(token, out _);
        }
        var result = await base.ValidateTokenAsync(token, validationParameters);
        if (result.IsValid && remember > TimeSpan.Zero && result.SecurityToken is { } validated)
        {
            var expires = new DateTimeOffset(DateTime.SpecifyKind(validated.ValidTo, DateTimeKind.Utc));
            var until = now + remember < expires ? now + remember : expires;
            // Bounded: tokens are many only under abuse, and forgetting them all costs one check each.
            if (_valid.Count >= capacity)
                _valid.Clear();
            _valid[token] = new Remembered(result, until);
        }
        return result;
    }
}
