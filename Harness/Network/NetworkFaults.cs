using System.Globalization;
using System.Text;
using Orderly.Harness.Cluster;

namespace Orderly.Harness.Network;

/// <summary>
/// Network faults with the kernel's own machinery, on this machine only: packets dropped (not refused)
/// by nftables rules in a table of the harness's own. What a process sends is told apart by its cgroup
/// (every silo and gateway the harness starts is placed in one of its own, <see cref="PodCgroups"/>):
/// a socket belongs to the cgroup of the process that made it, so only processes placed at start can
/// be cut off. What a process receives is told by its ports.
/// </summary>
/// <remarks>
/// The whole rule set is written in one <c>nft -f</c> transaction each time it changes, and the table is
/// deleted by <see cref="ClearAsync"/>: at the end of every run, by <c>./orderly down</c> (which the entry
/// script runs when interrupted), and at the start of every run, so a rule left by a killed run cannot
/// break the next one. See docs/experiment.md ("Network faults").
/// </remarks>
public sealed class NetworkFaults
{
    /// <summary>nft names cgroups by their path under /sys/fs/cgroup, counts levels from the hierarchy's root.</summary>
    private static readonly string NftPrefix = PodCgroups.Unified == "/sys/fs/cgroup" ? "" : "unified/";

    private static string Folder => PodCgroups.Folder;
    private static string TableName => Folder;

    private readonly List<(string Fault, string Rule)> _rules = [];
    private readonly Lock _gate = new();

    /// <summary>Whether this machine lets the harness do it: root, cgroup v2 mounted, nft installed.</summary>
    public static bool Available => PodCgroups.CanPlace && File.Exists("/usr/sbin/nft");

    /// <summary>nft resolves a cgroup's path when the rule is loaded: the group must exist by then (a process may join it later).</summary>
    private static string Group(string name)
    {
        Directory.CreateDirectory(PodCgroups.UnifiedGroup(name));
        return $"\"{NftPrefix}{Folder}/{name}\"";
    }

    /// <summary>Everything <paramref name="name"/> sends is dropped, except to <paramref name="exceptTo"/> and from <paramref name="exceptFrom"/> (ports).</summary>
    public Task SilenceAsync(string fault, string name, IReadOnlyCollection<int> exceptTo, IReadOnlyCollection<int> exceptFrom)
    {
        var rule = new StringBuilder($"socket cgroupv2 level 2 {Group(name)} meta l4proto tcp");
        if (exceptTo.Count > 0)
            rule.Append($" tcp dport != {Set(exceptTo)}");
        if (exceptFrom.Count > 0)
            rule.Append($" tcp sport != {Set(exceptFrom)}");
        return AddAsync(fault, rule.Append(" drop").ToString());
    }

    /// <summary>Everything sent to these ports, by anyone, is dropped.</summary>
    public Task DropToAsync(string fault, IReadOnlyCollection<int> ports) => AddAsync(fault, $"tcp dport {Set(ports)} drop");

    /// <summary>What <paramref name="name"/> sends to these ports is dropped (one direction of one path).</summary>
    public Task DropFromToAsync(string fault, string name, IReadOnlyCollection<int> ports) =>
        AddAsync(fault, $"socket cgroupv2 level 2 {Group(name)} tcp dport {Set(ports)} drop");

    /// <summary>Removes a fault's rules; the others stay.</summary>
    public Task HealAsync(string fault)
    {
        lock (_gate)
            _rules.RemoveAll(r => r.Fault == fault);
        return ApplyAsync();
    }

    private Task AddAsync(string fault, string rule)
    {
        lock (_gate)
            _rules.Add((fault, rule));
        return ApplyAsync();
    }

    private async Task ApplyAsync()
    {
        string[] rules;
        lock (_gate)
            rules = [.. _rules.Select(r => $"    {r.Rule} comment \"{r.Fault}\"")];
        // "table …" then "delete table …" is nft's idiom for "replace, whether or not it exists".
        var script = $"""
            table inet {TableName}
            delete table inet {TableName}
            table inet {TableName} {"{"}
              chain out {"{"}
                type filter hook output priority 0; policy accept;
            {string.Join("\n", rules)}
              {"}"}
            {"}"}

            """;
        await RunNftAsync(script);
    }

    /// <summary>Deletes the harness's table (every rule of every run) and the empty cgroups; safe to call when there is none.</summary>
    public static async Task ClearAsync()
    {
        if (Available)
            await RunNftAsync($"table inet {TableName}\ndelete table inet {TableName}\n");
        PodCgroups.RemoveEmpty();
    }

    /// <summary>The rules in force now, as nft lists them (tests look at it).</summary>
    public static async Task<string> ListAsync()
    {
        var run = await Tool.RunAsync("nft", ["list", "ruleset"], CancellationToken.None);
        var text = run.Output;
        var start = text.IndexOf($"table inet {TableName} ", StringComparison.Ordinal);
        return start < 0 ? "" : text[start..];
    }

    private static string Set(IEnumerable<int> ports) => "{ " + string.Join(", ", ports.Order()) + " }";

    private static async Task RunNftAsync(string script)
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, script);
            var run = await Tool.RunAsync("nft", ["-f", file], CancellationToken.None);
            if (run.ExitCode != 0)
                throw new ClusterException($"nft refused the harness's rules: {run.Printed}");
        }
        finally
        {
            File.Delete(file);
        }
    }
}
