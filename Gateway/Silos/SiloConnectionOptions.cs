using System.ComponentModel.DataAnnotations;

namespace Orderly.Gateway.Silos;

/// <summary>
/// How the gateway finds and talks to the silos (section "Silos"), validated at start. It finds them
/// as Kubernetes lists them, never through the database: by the headless Service's DNS name in a
/// cluster, from the file the local runner's endpoints controller writes on one machine.
/// </summary>
public sealed class SiloConnectionOptions : IValidatableObject
{
    public const string Section = "Silos";

    /// <summary>How long start-up keeps trying to reach a silo before failing (silos may start later).</summary>
    [Range(1, 3600)]
    public int ConnectTimeoutSeconds { get; set; } = 60;

    /// <summary>
    /// How often the client re-reads the list of Orleans gateways (DNS or the file). An Orleans gateway that went
    /// silent (a lost node) keeps the grains it routes timing out until this re-read drops it, so declared
    /// dead (≈ 4.5 s) plus this must stay well inside <c>GrainCalls:BudgetSeconds</c> (10): at 5 s a call
    /// could spend its last attempt on the dead silo and answer 503 (seen in the node-loss chaos run).
    /// </summary>
    [Range(1, 300)]
    public int OrleansGatewayListRefreshSeconds { get; set; } = 2;

    /// <summary>Kubernetes: the silos' headless Service, whose DNS name lists the silo pods that are ready.</summary>
    public string? OrleansGatewayDns { get; set; }

    /// <summary>
    /// One machine: a file of <c>address:port</c> lines, one per ready silo, re-read at every refresh
    /// (the local runner writes it; see <see cref="FileOrleansGatewayListProvider"/>).
    /// </summary>
    public string? OrleansGatewayListFile { get; set; }

    /// <summary>The silos' Orleans gateway port, for DNS discovery.</summary>
    [Range(1, 65535)]
    public int OrleansGatewayPort { get; set; } = 30000;

    public bool UsesDns => !string.IsNullOrWhiteSpace(OrleansGatewayDns);

    public bool UsesFile => !string.IsNullOrWhiteSpace(OrleansGatewayListFile);

    /// <summary>How long the client waits for one grain call's answer (Orleans' ResponseTimeout).</summary>
    [Range(1, 300)]
    public int CallTimeoutSeconds { get; set; } = 5;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (UsesDns == UsesFile)
            yield return new ValidationResult(UsesDns
                ? $"set only one of {Section}:{nameof(OrleansGatewayDns)} and {Section}:{nameof(OrleansGatewayListFile)}: the gateway finds silos one way"
                : $"the gateway cannot find the silos: set {Section}:{nameof(OrleansGatewayDns)} (Kubernetes: the headless Service) or {Section}:{nameof(OrleansGatewayListFile)} (one machine: the list ./orderly up writes)",
                [nameof(OrleansGatewayDns), nameof(OrleansGatewayListFile)]);
    }
}
