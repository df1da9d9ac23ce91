using System.Globalization;
using System.Text;

namespace Orderly.Harness.Cluster;

/// <summary>
/// The local stand-in for the endpoints controller behind the silos' headless Service: a process of
/// its own (<c>endpoints</c>, started by <c>up</c>) that writes the list of silos the gateways
/// may connect to, one <c>address:port</c> line per silo, to the file the gateways read
/// (<c>Silos:OrleansGatewayListFile</c>). A silo is listed as Kubernetes lists a pod: once its
/// readiness probe passes, until the probe fails twice in a row (the silo's <c>failureThreshold</c>),
/// its process is gone (kubelet sees the container exit), or it is marked terminating (the endpoints
/// controller drops a terminating pod at once, before preStop ends). A silo on a lost node is
/// <em>unreported</em> (<see cref="MarkUnreported"/>): its kubelet is silent, so its entry stays as it was,
/// as Kubernetes keeps it until the node controller gives up on the node (40–50 s). The gateways never
/// read the database to find silos, here or in a cluster.
/// </summary>
public static class SiloEndpoints
{
    /// <summary>The process's name (not "silo-…": it is no silo, and names with that prefix are counted as silos).</summary>
    public const string Name = "endpoints";

    /// <summary>How often every silo slot is probed (faster than the pods' 5 s: the local runs are short).</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    /// <summary>Misses in a row that take a silo out of the list, as the silo's readiness probe has it (k8s/base/silo.yaml).</summary>
    public const int FailureThreshold = 2;

    /// <summary>Marks a silo pod terminating: it leaves the list at the next pass, whatever its probe says.</summary>
    public static void MarkTerminating(ClusterLayout layout, string name) => File.WriteAllText(layout.TerminatingFile(name), "");

    /// <summary>The node of a silo pod is lost: nothing about it is reported, its entry stays as it is, until <see cref="ClearMarks"/>.</summary>
    public static void MarkUnreported(ClusterLayout layout, string name) => File.WriteAllText(layout.UnreportedFile(name), "");

    /// <summary>A new pod in the slot, or the lost one's end known: the marks of the one before go.</summary>
    public static void ClearMarks(ClusterLayout layout, string name)
    {
        File.Delete(layout.TerminatingFile(name));
        File.Delete(layout.UnreportedFile(name));
    }

    /// <summary>Keeps the list until cancelled.</summary>
    public static async Task RunAsync(ClusterLayout layout, CancellationToken cancellationToken)
    {
        var misses = new int[ClusterLayout.MaxReplicas];
        var listed = new bool[ClusterLayout.MaxReplicas];
        string? written = null;
        using var timer = new PeriodicTimer(Period);
        do
        {
            await Task.WhenAll(Enumerable.Range(0, ClusterLayout.MaxReplicas).Select(async i =>
            {
                var name = ClusterLayout.SiloName(i);
                if (File.Exists(layout.UnreportedFile(name)))
                    return;
                if (ManagedProcess.FromPidFile(layout, name) is not { IsAlive: true } || File.Exists(layout.TerminatingFile(name)))
                {
                    (listed[i], misses[i]) = (false, 0);
                    return;
                }
                var ready = await LocalCluster.ProbeAsync(new Uri(ClusterLayout.SiloManagementUrl(i), "/health/ready"), cancellationToken) == "ready";
                misses[i] = ready ? 0 : misses[i] + 1;
                listed[i] = ready || (listed[i] && misses[i] < FailureThreshold);
            }));
            var list = Render(Enumerable.Range(0, ClusterLayout.MaxReplicas).Where(i => listed[i]));
            if (list != written)
            {
                Write(layout.OrleansGatewayListFile, list);
                written = list;
                await Console.Out.WriteLineAsync($"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} listed: {(list.Length == 0 ? "none" : list.ReplaceLineEndings(" ").Trim())}");
            }
        }
        while (await WaitAsync(timer, cancellationToken));
    }

    /// <summary>The silos in <paramref name="slots"/>, one Orleans gateway endpoint per line.</summary>
    private static string Render(IEnumerable<int> slots)
    {
        var text = new StringBuilder();
        foreach (var i in slots)
            text.Append(CultureInfo.InvariantCulture, $"127.0.0.1:{ClusterLayout.OrleansGatewayPort(i)}\n");
        return text.ToString();
    }

    /// <summary>Replaces the file in one step (write, then rename), so a gateway never reads half a list.</summary>
    private static void Write(string file, string list)
    {
        var next = file + ".next";
        File.WriteAllText(next, list);
        File.Move(next, file, overwrite: true);
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try { return await timer.WaitForNextTickAsync(cancellationToken); }
        catch (OperationCanceledException) { return false; }
    }
}
