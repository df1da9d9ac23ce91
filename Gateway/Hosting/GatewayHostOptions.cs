using System.ComponentModel.DataAnnotations;
using System.Net;

namespace Orderly.Gateway.Hosting;

/// <summary>The gateway's listeners, limits and timeouts (section "Gateway"), validated at start.</summary>
public sealed class GatewayHostOptions : IValidatableObject
{
    public const string Section = "Gateway";

    /// <summary>Address both listeners bind to: 127.0.0.1 locally, 0.0.0.0 in a pod.</summary>
    [Required]
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>The public port: the API and health, what the load balancer sends to. Locally 5100 + i; 0 takes any free port.</summary>
    [Range(0, 65535)]
    public int Port { get; set; } = 5100;

    /// <summary>
    /// The operators' port: /metrics, and nothing the load balancer routes. Locally 5300 + i, next to the
    /// silos' management ports (5200 + i); in Kubernetes no Service or Ingress names it.
    /// </summary>
    [Range(1, 65535)]
    public int ManagementPort { get; set; } = 5300;

    /// <summary>Largest accepted request body; larger ones get 413 before any of it is parsed.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>Largest accepted request line plus headers.</summary>
    [Range(4 * 1024, 1024 * 1024)]
    public int MaxRequestHeadersBytes { get; set; } = 32 * 1024;

    /// <summary>A client must finish sending request headers within this (slow-loris guard); else 408 and the connection closes.</summary>
    [Range(1, 300)]
    public int RequestHeadersTimeoutSeconds { get; set; } = 10;

    /// <summary>A request may take this long in all (above the grain-call budget); past it, 503 with Retry-After.</summary>
    [Range(1, 600)]
    public int RequestTimeoutSeconds { get; set; } = 15;

    /// <summary>Open connections at most; more wait in the accept queue. HTTP/1.1 serves one request at a time per connection.</summary>
    [Range(1, 1_000_000)]
    public int MaxConcurrentConnections { get; set; } = 10_000;

    /// <summary>The load balancer's idle timeout (ALB default 60 s; the local HAProxy uses the same).</summary>
    [Range(1, 4000)]
    public int LoadBalancerIdleTimeoutSeconds { get; set; } = 60;

    /// <summary>
    /// Kestrel's keep-alive timeout. It must outlast the load balancer's idle timeout, or the gateway
    /// closes a connection the balancer is about to reuse and that request fails.
    /// </summary>
    [Range(1, 4000)]
    public int KeepAliveTimeoutSeconds { get; set; } = 75;

    public IPAddress Listen => IPAddress.Parse(ListenAddress);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!IPAddress.TryParse(ListenAddress, out _))
            yield return new ValidationResult($"Gateway:ListenAddress '{ListenAddress}' is not an IP address", [nameof(ListenAddress)]);
        if (Port == ManagementPort)
            yield return new ValidationResult($"Gateway:Port and Gateway:ManagementPort must differ (both {Port}): operator endpoints never share the public port", [nameof(ManagementPort)]);
        if (KeepAliveTimeoutSeconds <= LoadBalancerIdleTimeoutSeconds)
            yield return new ValidationResult(
                $"Gateway:KeepAliveTimeoutSeconds ({KeepAliveTimeoutSeconds}) must be greater than Gateway:LoadBalancerIdleTimeoutSeconds ({LoadBalancerIdleTimeoutSeconds})",
                [nameof(KeepAliveTimeoutSeconds)]);
    }
}
