using Orleans.Configuration;

namespace Orderly.Silo.Hosting;

/// <summary>
/// How long Orleans takes to declare dead a silo that stopped answering without a word (a lost node, a
/// partition), derived from its membership settings. The gateway's retry budget must outlast it, or
/// calls to that silo's grains fail before they can move (docs/reliability.md).
/// </summary>
public static class FailureDetection
{
    /// <summary>
    /// A vote needs <see cref="ClusterMembershipOptions.NumMissedProbesLimit"/> missed probes and no
    /// message from the silo for MaxProbeTimeout × NumMissedProbesLimit (Orleans' connection liveness
    /// check); probes run back to back and each fails after at most MaxProbeTimeout, so the first vote
    /// that counts comes at most one probe after that window. The other voters probe in parallel;
    /// the table write and gossip that follow take milliseconds.
    /// </summary>
    public static TimeSpan DeclaredDeadWithin(ClusterMembershipOptions options) =>
        options.MaxProbeTimeout * (options.NumMissedProbesLimit + 1);
}
