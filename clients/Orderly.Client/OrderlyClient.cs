using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;
using Orderly.Client.Generated;

namespace Orderly.Client;

/// <summary>Builds the generated <see cref="OrderlyApiClient"/> for one base address and one bearer token.</summary>
public static class OrderlyClient
{
    /// <summary>
    /// A client that sends <paramref name="token"/> as <c>Authorization: Bearer …</c> to <paramref name="baseUrl"/>'s
    /// host only, or no token when it is null. <paramref name="http"/> (its handlers, timeouts) belongs to the caller;
    /// without one, Kiota's default HttpClient is used (retry, redirect and header-inspection handlers).
    /// </summary>
    public static OrderlyApiClient Create(Uri baseUrl, string? token, HttpClient? http = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        IAuthenticationProvider authentication = token is null
            ? new AnonymousAuthenticationProvider()
            : new BaseBearerTokenAuthenticationProvider(new StaticAccessTokenProvider(token, baseUrl.Host));
        var adapter = new HttpClientRequestAdapter(authentication, httpClient: http)
        {
            BaseUrl = baseUrl.ToString().TrimEnd('/'),
        };
        return new OrderlyApiClient(adapter);
    }
}
