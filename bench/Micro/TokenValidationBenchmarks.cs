using System.Security.Claims;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Orderly.Gateway.Auth;

namespace Orderly.Bench.Micro;

/// <summary>
/// What checking a bearer token costs the gateway per request: a full validation (parse, claims,
/// lifetime, audience, an RS256 signature check) and the remembered path every later request of the
/// same token takes (docs/performance.md compares both with a hot read's CPU).
/// </summary>
[MemoryDiagnoser]
public class TokenValidationBenchmarks
{
    private readonly RSA _rsa = RSA.Create(2048);
    private TokenValidationParameters _parameters = null!;
    private JsonWebTokenHandler _plain = null!;
    private RememberingTokenHandler _remembering = null!;
    private string _token = "";

    [GlobalSetup]
    public async Task Setup()
    {
        var key = new RsaSecurityKey(_rsa) { KeyId = "bench" };
        _token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "https://issuer.bench",
            Audience = "orderly",
            Subject = new ClaimsIdentity([new Claim("sub", "c-42"), new Claim("scope", "orders")]),
            Expires = DateTime.UtcNow.AddHours(2),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });
        _parameters = new TokenValidationParameters
        {
            ValidIssuer = "https://issuer.bench",
            ValidAudience = "orderly",
            IssuerSigningKey = new RsaSecurityKey(_rsa.ExportParameters(false)) { KeyId = "bench" },
            ValidAlgorithms = BearerAuthentication.Algorithms,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
        };
        _plain = new JsonWebTokenHandler { MapInboundClaims = false };
        _remembering = new RememberingTokenHandler(TimeProvider.System, TimeSpan.FromSeconds(60)) { MapInboundClaims = false };
        if (!(await _remembering.ValidateTokenAsync(_token, _parameters)).IsValid)
            throw new InvalidOperationException("the bench token does not validate");
    }

    [GlobalCleanup]
    public void Cleanup() => _rsa.Dispose();

    [Benchmark(Baseline = true, Description = "validate a bearer token (RS256 signature checked)")]
    public async Task<bool> Full() => (await _plain.ValidateTokenAsync(_token, _parameters)).IsValid;

    [Benchmark(Description = "validate a remembered bearer token")]
    public async Task<bool> Remembered() => (await _remembering.ValidateTokenAsync(_token, _parameters)).IsValid;
}
