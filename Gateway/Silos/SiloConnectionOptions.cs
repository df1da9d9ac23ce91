using System.ComponentModel.DataAnnotations;

namespace Orderly.Gateway.Silos;

/// <summary>How the gateway finds and talks to the silos (section "Silos"), validated at start.</summary>
public sealed class SiloConnectionOptions
{
    public const string Section = "Silos";

    /// <summary>How long start-up keeps trying to reach a silo before failing (silos may start later).</summary>
    [Range(1, 3600)]
    public int ConnectTimeoutSeconds { get; set; } = 60;

    /// <summary>
    /// How often the client re-reads the list of Orleans gateways from membership. An Orleans gateway that went
    /// silent (a lost node) keeps the grains it routes timing out until this re-read drops it, so declared
    /// dead (≈ 4.5 s) plus this must stay well inside <c>GrainCalls:BudgetSeconds</c> (10): at 5 s a call
    /// could spend its last attempt on the dead silo and answer 503 (seen in the node-loss chaos run).
    /// </summary>
    [Range(1, 300)]
    public int OrleansGatewayListRefreshSeconds { get; set; } = 2;

    /// <summary>
    /// When set (Kubernetes: the silos' headless Service), silos are found through DNS instead of the
    /// membership table, and the gateway needs no database.
    /// </summary>
    public string? OrleansGatewayDns { get; set; }

    /// <summary>The silos' Orleans gateway port, for DNS discovery.</summary>
    [Range(1, 65535)]
    public int OrleansGatewayPort { get; set; } = 30000;

    public bool UsesDns => !string.IsNullOrWhiteSpace(OrleansGatewayDns);

    /// <summary>How long the client waits for one grain call's answer (Orleans' ResponseTimeout).</summary>
    [Range(1, 300)]
    public int CallTimeoutSeconds { get; set; } = 5;
}
