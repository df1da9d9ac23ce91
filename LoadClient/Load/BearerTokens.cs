using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace Orderly.LoadClient.Load;

/// <summary>
/// Bearer tokens from an issuer's token endpoint (the local issuer's <c>POST /token</c>: a subject and
/// a scope in, a signed JWT out), one per customer and one for staff, each kept until shortly before
/// it expires. The load client, the chaos probes and <c>./orderly token</c> get theirs here.
/// </summary>
public sealed class BearerTokens(Uri issuer) : IDisposable
{
    public const string CustomerScope = "orders";
    public const string StaffScope = "orders:staff";
    public const string StaffSubject = "staff";

    private static readonly TimeSpan RenewBefore = TimeSpan.FromMinutes(5);
    private readonly HttpClient _http = new() { BaseAddress = issuer, Timeout = TimeSpan.FromSeconds(10) };
    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset Renew)> _kept = new(StringComparer.Ordinal);

    public ValueTask<string> CustomerAsync(string customer, CancellationToken cancellationToken = default) =>
        GetAsync(customer, CustomerScope, cancellationToken);

    public ValueTask<string> StaffAsync(CancellationToken cancellationToken = default) =>
        GetAsync(StaffSubject, $"{CustomerScope} {StaffScope}", cancellationToken);

    /// <summary>The Authorization header for a customer, or for staff when <paramref name="customer"/> is null.</summary>
    public async ValueTask<AuthenticationHeaderValue> HeaderAsync(string? customer, CancellationToken cancellationToken = default) =>
        new("Bearer", customer is null ? await StaffAsync(cancellationToken) : await CustomerAsync(customer, cancellationToken));

    private async ValueTask<string> GetAsync(string subject, string scope, CancellationToken cancellationToken)
    {
        var key = $"{scope}\n{subject}";
        if (_kept.TryGetValue(key, out var kept) && kept.Renew > DateTimeOffset.UtcNow)
            return kept.Token;
        using var response = await _http.PostAsync("/token", new FormUrlEncodedContent(
            [new("subject", subject), new("scope", scope)]), cancellationToken);
        response.EnsureSuccessStatusCode();
        var issued = await response.Content.ReadFromJsonAsync<Issued>(cancellationToken)
            ?? throw new HttpRequestException("the issuer answered no token");
        _kept[key] = (issued.access_token, DateTimeOffset.UtcNow + TimeSpan.FromSeconds(issued.expires_in) - RenewBefore);
        return issued.access_token;
    }

#pragma warning disable IDE1006, CA1707 // the token response's names (RFC 6749)
    private sealed record Issued(string access_token, int expires_in);
#pragma warning restore IDE1006, CA1707

    public void Dispose() => _http.Dispose();
}
