using Microsoft.Kiota.Abstractions.Authentication;

namespace Orderly.Client;

/// <summary>
/// One token, fixed for the client's life, given only to the allowed hosts (so it is not sent on to another host).
/// A caller whose tokens expire implements <see cref="IAccessTokenProvider"/> over its own token source instead.
/// </summary>
public sealed class StaticAccessTokenProvider(string token, params string[] allowedHosts) : IAccessTokenProvider
{
    public AllowedHostsValidator AllowedHostsValidator { get; } = new(allowedHosts);

    public Task<string> GetAuthorizationTokenAsync(
        Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(AllowedHostsValidator.IsUrlHostValid(uri) ? token : "");
}
