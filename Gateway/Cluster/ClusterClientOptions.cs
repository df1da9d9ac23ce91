using System.ComponentModel.DataAnnotations;

namespace Orderly.Gateway.Cluster;

/// <summary>How the gateway finds and talks to the silos (section "Cluster"), validated at start.</summary>
public sealed class ClusterClientOptions
{
    public const string Section = "Cluster";

    /// <summary>How long start-up keeps trying to reach a silo before failing (silos may start later).</summary>
    [Range(1, 3600)]
    public int ConnectTimeoutSeconds { get; set; } = 60;

    /// <summary>
    /// How often the client re-reads the list of silo gateways from membership. A silo gateway that went
    /// silent (a lost node) keeps the grains it routes timing out until this re-read drops it, so declared
    /// dead (≈ 4.5 s) plus this must stay well inside <c>GrainCalls:BudgetSeconds</c> (10): at 5 s a call
    /// could spend its last attempt on the dead silo and answer 503 (seen in the node-loss chaos run).
    /// </summary>
    [Range(1, 300)]
    public int GatewayListRefreshSeconds { get; set; } = 2;

    /// <summary>
    /// When set (Kubernetes: the silos' headless Service), silos are found through DNS instead of the
    /// membership table, and the gateway needs no database.
    /// </summary>
    public string? SiloGatewayDns { get; set; }

    /// <summary>The silos' Orleans gateway port, for DNS discovery.</summary>
    [Range(1, 65535)]
    public int SiloGatewayPort { get; set; } = 30000;

    public bool UsesDns => !string.IsNullOrWhiteSpace(SiloGatewayDns);

    /// <summary>How long the client waits for one grain call's answer (Orleans' ResponseTimeout).</summary>
    [Range(1, 300)]
    public int CallTimeoutSeconds { get; set; } = 5;
}
