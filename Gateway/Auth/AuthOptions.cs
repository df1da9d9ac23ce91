using System.ComponentModel.DataAnnotations;

namespace Orderly.Gateway.Auth;

/// <summary>
/// Who issues the bearer tokens the API accepts (section "Auth"), validated at start: there is no way
/// to run the API without them. Locally the harness runs an issuer on loopback; on EKS it is Amazon
/// Cognito or any OpenID Connect provider (docs/api.md, docs/eks.md).
/// </summary>
public sealed class AuthOptions : IValidatableObject
{
    public const string Section = "Auth";

    /// <summary>
    /// The issuer's URL (the token's <c>iss</c>); its keys are read from
    /// <c>{Authority}/.well-known/openid-configuration</c>. HTTPS, except on a loopback address.
    /// </summary>
    [Required(ErrorMessage = "Auth:Authority is required: the OpenID Connect issuer whose tokens the API accepts (locally ./orderly up runs one).")]
    public string Authority { get; set; } = "";

    /// <summary>The audience tokens must be issued for.</summary>
    [Required, MinLength(1)]
    public string Audience { get; set; } = "orderly";

    /// <summary>
    /// The claim that carries the audience: <c>aud</c> for most providers; Amazon Cognito's access
    /// tokens carry the app client id in <c>client_id</c> instead.
    /// </summary>
    [Required, RegularExpression("^(aud|client_id)$", ErrorMessage = "Auth:AudienceClaim must be aud or client_id.")]
    public string AudienceClaim { get; set; } = "aud";

    /// <summary>The scope (in <c>scope</c> or <c>scp</c>) that makes a caller staff.</summary>
    [Required, RegularExpression(@"^[\x21\x23-\x5B\x5D-\x7E]+$", ErrorMessage = "Auth:StaffScope must be one scope token.")]
    public string StaffScope { get; set; } = "orders:staff";

    /// <summary>Clock skew allowed on exp and nbf.</summary>
    [Range(0, 300)]
    public int ClockSkewSeconds { get; set; } = 30;

    /// <summary>
    /// How long a validated token is remembered, so the signature is checked once per token and not
    /// once per request. Never past the token's own expiry; 0 checks every request.
    /// </summary>
    [Range(0, 300)]
    public int ValidatedTokenCacheSeconds { get; set; } = 60;

    public bool RequiresHttps => !Uri.TryCreate(Authority, UriKind.Absolute, out var uri) || !uri.IsLoopback;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrEmpty(Authority))
            yield break;
        if (!Uri.TryCreate(Authority, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
            yield return new ValidationResult($"Auth:Authority '{Authority}' is not an absolute http(s) URL.", [nameof(Authority)]);
        else if (uri.Scheme == "http" && !uri.IsLoopback)
            yield return new ValidationResult($"Auth:Authority '{Authority}' must use https (plain http only on a loopback address).", [nameof(Authority)]);
    }
}
