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
    /// How often the client re-reads the list of Orleans gateways (DNS or the file): how soon it sees a
    /// new silo, and a leaving one the list has dropped. A silo's list entry goes when it terminates (at
    /// once) or fails its readiness probe; it must be gone well inside <c>GrainCalls:BudgetSeconds</c> (10).
    /// </summary>
    [Range(1, 300)]
    public int OrleansGatewayListRefreshSeconds { get; set; } = 2;

    /// <summary>
    /// How long the client keeps off an Orleans gateway it could not connect to (or that said it is
    /// stopping) while the list still names it: Orleans' <c>MaxStaleness</c>, how stale the list may be.
    /// Kubernetes keeps a lost node's pods in the headless Service until the node controller gives up on
    /// the node (node-monitor-grace-period, 40–50 s) and DNS caches expire; if the client forgot sooner it
    /// would try the silent silo again at every refresh, and each try holds its calls for a connection
    /// timeout. A silo that really comes back at the same address waits this long for new callers.
    /// </summary>
    [Range(1, 600)]
    public int DeadOrleansGatewayMemorySeconds { get; set; } = 60;

    /// <summary>
    /// How long a silo that left the list stays a candidate (<see cref="ListedOrleansGatewayProvider"/>).
    /// Off by default: the list cannot say why a silo left it. For a terminating silo a linger longer
    /// than its preStop keeps the answers on its connection (15 s removed every 3-s wait from the
    /// graceful experiment), but a frozen silo leaves the list too, and while it lingered its connection
    /// would still look open; how it does against the silo-pause fault is not measured (docs/reliability.md).
    /// </summary>
    [Range(0, 300)]
    public int LeftOrleansGatewayLingerSeconds { get; set; }

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
