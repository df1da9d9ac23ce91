using System.ComponentModel.DataAnnotations;
using System.Net;

namespace Orderly.Silo.Hosting;

/// <summary>Where this silo listens and how it names itself. Locally: ports 11111+i, 30000+i, 5200+i.</summary>
public sealed class SiloHostOptions : IValidatableObject
{
    public const string Section = "Silo";

    [Required, StringLength(150, MinimumLength = 1)]
    public string Name { get; set; } = Environment.MachineName;

    /// <summary>Address other silos and clients use to reach this one (the pod IP in Kubernetes).</summary>
    [Required]
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>Address the silo, gateway and management listeners bind to.</summary>
    [Required]
    public string ListenAddress { get; set; } = "127.0.0.1";

    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    [Range(1, 65535)]
    public int OrleansGatewayPort { get; set; } = 30000;

    /// <summary>HTTP port for /health/*, never routed through the load balancer.</summary>
    [Range(1, 65535)]
    public int ManagementPort { get; set; } = 5200;

    /// <summary>
    /// Whether the silo hosts the Orleans Dashboard at /dashboard on the management port. Off unless asked
    /// for: the dashboard samples on timers of its own (an exporter every second, whatever its interval
    /// setting), busy or idle, measured at 0.7% of a core per idle silo (docs/performance.md). The local
    /// runner turns it on; in a cluster Prometheus and the Grafana dashboard are the operators' view.
    /// </summary>
    public bool Dashboard { get; set; }

    public IPAddress Advertised => IPAddress.Parse(AdvertisedAddress);

    public IPAddress Listen => IPAddress.Parse(ListenAddress);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!IPAddress.TryParse(AdvertisedAddress, out _))
            yield return new ValidationResult($"Silo:AdvertisedAddress '{AdvertisedAddress}' is not an IP address", [nameof(AdvertisedAddress)]);
        if (!IPAddress.TryParse(ListenAddress, out _))
            yield return new ValidationResult($"Silo:ListenAddress '{ListenAddress}' is not an IP address", [nameof(ListenAddress)]);
        if (new[] { SiloPort, OrleansGatewayPort, ManagementPort }.Distinct().Count() != 3)
            yield return new ValidationResult("Silo:SiloPort, Silo:OrleansGatewayPort and Silo:ManagementPort must differ");
    }
}
