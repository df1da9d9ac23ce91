using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Orderly.Harness.Identity;

/// <summary>
/// A real OpenID Connect token issuer for the local cluster and the tests, on loopback: an RSA key made
/// at start, its discovery document and JWKS served as any provider serves them, and a token endpoint
/// that mints a bearer token per subject and scope. The gateway validates its tokens exactly as it
/// validates Cognito's on EKS (Auth:Authority points here). In a test process the key lives as long
/// as the issuer; the local cluster's issuer keeps its key in a file (made on first start, mode 0600),
/// so a cluster brought down and up again — as the bench and the tests do — still accepts the tokens
/// its clients hold, as a real provider's keys outlive a restart. Delete the file to rotate the key.
/// </summary>
public sealed class LocalIssuer : IAsyncDisposable
{
    /// <summary>What the gateway expects by default (Auth:Audience, Auth:StaffScope).</summary>
    public const string Audience = "orderly";
    public const string CustomerScope = "orders";
    public const string StaffScope = "orders:staff";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(2);

    private readonly RSA _rsa = RSA.Create(2048);
    private readonly RsaSecurityKey _key;
    private readonly SigningCredentials _signing;
    private readonly JsonWebTokenHandler _tokens = new();
    private readonly WebApplication _app;

    /// <summary>The issuer's URL, its tokens' <c>iss</c>: <c>http://127.0.0.1:port</c>.</summary>
    public string Url { get; }

    private LocalIssuer(int port, string? keyFile)
    {
        if (keyFile is not null)
            LoadOrCreateKey(keyFile);
        _key = new RsaSecurityKey(_rsa) { KeyId = Convert.ToHexStringLower(SHA256.HashData(_rsa.ExportRSAPublicKey()))[..16] };
        _signing = new SigningCredentials(_key, SecurityAlgorithms.RsaSha256);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, port));
        _app = builder.Build();
        Url = "";
        MapRoutes();
        _app.StartAsync().GetAwaiter().GetResult();
        var bound = _app.Urls.Single();
        Url = new Uri(bound).GetLeftPart(UriPartial.Authority);
    }

    /// <summary>Starts one on <paramref name="port"/> (0: any free port), with the key in <paramref name="keyFile"/> or a new one.</summary>
    public static Task<LocalIssuer> StartAsync(int port = 0, string? keyFile = null) => Task.Run(() => new LocalIssuer(port, keyFile));

    private void LoadOrCreateKey(string keyFile)
    {
        if (File.Exists(keyFile))
        {
            _rsa.ImportFromPem(File.ReadAllText(keyFile));
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(keyFile))!);
        var temporary = keyFile + ".new";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        // Only the owner may read the key; Windows has no Unix modes (CA1416), and its ACLs default to the owner.
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
            writer.Write(_rsa.ExportPkcs8PrivateKeyPem());
        File.Move(temporary, keyFile, overwrite: true);
    }

    /// <summary>A token for a customer (subject = customer id) or, with <paramref name="staff"/>, for staff.</summary>
    /// <param name="issuedAt">When the token says it was issued (tests mint expired ones); now by default.</param>
    public string Mint(string subject, bool staff, TimeSpan? lifetime = null, string? audience = null, DateTime? issuedAt = null) =>
        Mint(subject, staff ? $"{CustomerScope} {StaffScope}" : CustomerScope, lifetime ?? Lifetime, audience ?? Audience, issuedAt);

    private string Mint(string subject, string scope, TimeSpan lifetime, string audience, DateTime? issuedAt = null)
    {
        var now = issuedAt ?? DateTime.UtcNow;
        return _tokens.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Url,
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim("sub", subject), new Claim("scope", scope), new Claim("jti", Guid.NewGuid().ToString("N"))]),
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = _signing,
        });
    }

    private static readonly string[] ResponseTypes = ["token"];
    private static readonly string[] SubjectTypes = ["public"];
    private static readonly string[] Algorithms = [SecurityAlgorithms.RsaSha256];
    private static readonly string[] Scopes = [CustomerScope, StaffScope];

    private void MapRoutes()
    {
        _app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Url,
            ["jwks_uri"] = $"{Url}/jwks",
            ["token_endpoint"] = $"{Url}/token",
            ["response_types_supported"] = ResponseTypes,
            ["subject_types_supported"] = SubjectTypes,
            ["id_token_signing_alg_values_supported"] = Algorithms,
            ["scopes_supported"] = Scopes,
        }));
        _app.MapGet("/jwks", () =>
        {
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_rsa.ExportParameters(false)) { KeyId = _key.KeyId });
            return Results.Json(new { keys = new[] { new { kty = jwk.Kty, use = "sig", alg = SecurityAlgorithms.RsaSha256, kid = jwk.Kid, n = jwk.N, e = jwk.E } } });
        });
        _app.MapGet("/health/ready", () => Results.Text("ready"));
        // A development token endpoint: subject and scope as asked, for the load client, tests and ./orderly token.
        _app.MapPost("/token", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            var subject = form["subject"].ToString();
            var scope = form["scope"].ToString() is { Length: > 0 } s ? s : CustomerScope;
            if (subject.Length is 0 or > 256)
                return Results.Json(new { error = "invalid_request", error_description = "subject is required (1-256 characters)" }, statusCode: 400);
            var lifetime = int.TryParse(form["lifetime_seconds"], out var seconds) && seconds is > 0 and <= 86_400 ? TimeSpan.FromSeconds(seconds) : Lifetime;
            var audience = form["audience"].ToString() is { Length: > 0 } a ? a : Audience;
            return Results.Json(new { access_token = Mint(subject, scope, lifetime, audience), token_type = "Bearer", expires_in = (int)lifetime.TotalSeconds });
        });
    }

    /// <summary>Runs until the process is told to stop (<c>./orderly up</c> starts it like HAProxy).</summary>
    public static async Task RunAsync(int port, string? keyFile, CancellationToken cancellationToken)
    {
        await using var issuer = await StartAsync(port, keyFile);
        Console.WriteLine($"issuer {issuer.Url} ready");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _rsa.Dispose();
    }
}
