using System.Globalization;
using Npgsql;
using Orderly.Harness.Cluster;
using Orderly.Harness.Emulation;

namespace Orderly.Harness.Database;

/// <summary>One step of a database fault, with when it happened (seconds since the fault began).</summary>
public sealed record DatabaseStep(double AtSeconds, string What);

/// <summary>The steps of a fault as they happen, timed from its start, echoed as they come.</summary>
public sealed class StepLog(TextWriter output, string source)
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly List<DatabaseStep> _all = [];

    public IReadOnlyList<DatabaseStep> All { get { lock (_all) return [.. _all]; } }

    public void Add(string what)
    {
        var step = new DatabaseStep(Math.Round(_clock.Elapsed.TotalSeconds, 1), what);
        lock (_all)
            _all.Add(step);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {source}: +{step.AtSeconds,5:0.0}s {what}"));
    }
}

/// <summary>
/// An Aurora-shaped database from real parts, on loopback: two PostgreSQL servers in streaming
/// replication with a synchronous standby (no acknowledged commit can be lost when the writer goes,
/// as with Aurora's quorum storage), an instance endpoint per server (its own port), and a cluster
/// endpoint — HAProxy in TCP mode — whose target the harness switches at run time, as Aurora moves
/// the cluster endpoint's DNS name. Like DNS, switching the target leaves connections already open
/// where they are; only new connections follow. See docs/failover.md.
/// </summary>
/// <remarks>
/// Ports: the cluster endpoint on <see cref="EndpointPort"/>, instance i on EndpointPort + 1 + i.
/// Data in .orderly/pg-pair/n0 and n1, owned by the 'postgres' system user (Postgres refuses root);
/// pid files postgres-n0, postgres-n1 and db-endpoint in .orderly/run. Which server is the writer is
/// never remembered: the servers say (pg_is_in_recovery).
/// </remarks>
public sealed class DatabasePair(ClusterLayout layout, TextWriter output)
{
    public const string User = "orderly";
    public const string Password = "orderly";
    public const string DatabaseName = "orderly";
    public const string EndpointName = "db-endpoint";
    public static readonly string[] Nodes = ["n0", "n1"];

    /// <summary>The cluster endpoint's port: the throwaway Postgres' port (ORDERLY_PG_PORT, 55432) + 8.</summary>
    public static int EndpointPort => PgPort + 8;
    public static int InstancePort(string node) => EndpointPort + 1 + Array.IndexOf(Nodes, node);

    private static int PgPort =>
        int.TryParse(Environment.GetEnvironmentVariable("ORDERLY_PG_PORT"), CultureInfo.InvariantCulture, out var p) ? p : 55432;

    public string Root => Path.Combine(layout.State, "pg-pair");
    public string DataDir(string node) => Path.Combine(Root, node);
    private string EndpointConfig => Path.Combine(layout.State, "db-endpoint.cfg");
    private string EndpointSocket => Path.Combine(layout.RunDir, "db-endpoint.sock");
    private static string ProcessName(string node) => $"postgres-{node}";

    /// <summary>What every Orderly process is given: the cluster endpoint only (Aurora's default).</summary>
    public static string ClusterEndpointConnectionString =>
        $"Host=127.0.0.1;Port={EndpointPort};Username={User};Password={Password};Database={DatabaseName}";

    /// <summary>
    /// Both instance endpoints, and Npgsql picks the one that takes writes (Target Session Attributes),
    /// looking again every second: writes return at promotion, without waiting for the cluster endpoint.
    /// </summary>
    public static string InstanceEndpointsConnectionString =>
        $"Host={string.Join(',', Nodes.Select(n => $"127.0.0.1:{InstancePort(n)}"))};Username={User};Password={Password};Database={DatabaseName};"
        + "Target Session Attributes=read-write;Host Recheck Seconds=1";

    public static string InstanceConnectionString(string node, string database = DatabaseName) =>
        $"Host=127.0.0.1;Port={InstancePort(node)};Username={User};Password={Password};Database={database};Pooling=false;Timeout=3";

    /// <summary>Starts what is not running: creates the pair on first use, the standby following the writer, then the endpoint on the writer.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(layout.RunDir);
        Directory.CreateDirectory(layout.LogDir);
        if (!File.Exists(Path.Combine(DataDir("n0"), "PG_VERSION")) || !File.Exists(Path.Combine(DataDir("n1"), "PG_VERSION")))
            await CreateAsync(cancellationToken);
        else if (!await TryStartServersAsync(cancellationToken))
        {
            // A run stopped in the middle of a fault leaves no writer, or two: the pair is throwaway, so it starts afresh.
            output.WriteLine($"the database pair in {Root} was left mid-fault (not one writer and one reader); creating it afresh");
            await StopAsync();
            await CreateAsync(cancellationToken);
        }
        var writer = await WriterAsync(cancellationToken) ?? throw new ClusterException($"the database pair in {Root} has no writer");
        await StartEndpointAsync(writer, cancellationToken);
        await EnsureStandbyInSyncAsync(writer, cancellationToken);
    }

    /// <summary>Starts the servers that are not running; true when one is the writer and the other a reader.</summary>
    private async Task<bool> TryStartServersAsync(CancellationToken cancellationToken)
    {
        try
        {
            foreach (var node in Nodes)
            {
                if (!await IsRunningAsync(node))
                    await StartServerAsync(node, cancellationToken);
            }
        }
        catch (ClusterException)
        {
            return false;
        }
        var roles = new List<string>();
        foreach (var node in Nodes)
            roles.Add(await RoleAsync(node, cancellationToken));
        return roles.Order().SequenceEqual(["reader", "writer"]);
    }

    /// <summary>Stops the endpoint and both servers (fast shutdown); the data stays for the next start.</summary>
    public async Task StopAsync()
    {
        if (ManagedProcess.FromPidFile(layout, EndpointName) is { IsAlive: true } endpoint)
            await endpoint.StopAsync(TimeSpan.FromSeconds(5));
        foreach (var node in Nodes)
        {
            if (await IsRunningAsync(node))
                await PgCtlAsync(["-D", DataDir(node), "-m", "fast", "-w", "-t", "60", "stop"], CancellationToken.None);
            File.Delete(layout.PidFile(ProcessName(node)));
        }
    }

    /// <summary>The node that takes writes, or null when neither does (one is down, the other not yet promoted).</summary>
    public static async Task<string?> WriterAsync(CancellationToken cancellationToken)
    {
        foreach (var node in Nodes)
        {
            if (await RoleAsync(node, cancellationToken) == "writer")
                return node;
        }
        return null;
    }

    public static string Other(string node) => node == "n0" ? "n1" : "n0";

    /// <summary>"writer", "reader", or "down", as the server itself says.</summary>
    public static Task<string> RoleAsync(string node, CancellationToken cancellationToken) =>
        RoleAtAsync(InstanceConnectionString(node, "postgres"), cancellationToken);

    private static async Task<string> RoleAtAsync(string connectionString, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection);
            return (bool)(await command.ExecuteScalarAsync(cancellationToken))! ? "reader" : "writer";
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return "down";
        }
    }

    /// <summary>Where the cluster endpoint sends new connections now.</summary>
    public async Task<string> EndpointTargetAsync()
    {
        var stat = await EndpointCommandAsync("show stat");
        var lines = stat.Split('\n');
        var header = lines[0].TrimStart('#', ' ').Split(',');
        var status = Array.IndexOf(header, "status");
        return lines.Select(l => l.Split(',')).FirstOrDefault(f => f.Length > status && f[0] == "pg" && Nodes.Contains(f[1]) && f[status] != "MAINT")?[1]
            ?? "none";
    }

    /// <summary>Moves the cluster endpoint, as Aurora moves its DNS name: new connections go to <paramref name="node"/>; open ones stay.</summary>
    public async Task PointEndpointAtAsync(string node)
    {
        await EndpointCommandAsync($"set server pg/{node} state ready");
        await EndpointCommandAsync($"set server pg/{Other(node)} state maint");
    }

    // --- the faults --------------------------------------------------------------------------------

    /// <summary>
    /// An unplanned failover (host failure, AZ event): the writer crashes (immediate shutdown: no
    /// checkpoint, every connection cut), the standby is promoted <paramref name="promoteAfter"/>
    /// later, the old writer is rewound and returns as a read-only replica of the new one while the
    /// cluster endpoint still points at it, and only <paramref name="staleDns"/> after that does the
    /// endpoint move. Returns the steps with their times.
    /// </summary>
    public async Task<IReadOnlyList<DatabaseStep>> FailoverAsync(TimeSpan promoteAfter, TimeSpan staleDns, CancellationToken cancellationToken)
    {
        var steps = new StepLog(output, "db");
        var old = await WriterAsync(cancellationToken) ?? throw new ClusterException("db-failover: no writer to fail");
        var next = Other(old);
        await PgCtlAsync(["-D", DataDir(old), "-m", "immediate", "-w", "stop"], cancellationToken);
        steps.Add($"writer {old} crashed");
        await Task.Delay(promoteAfter, cancellationToken);
        steps.Add($"promoting standby {next}");
        await PromoteAsync(next, cancellationToken);
        steps.Add($"standby {next} promoted to writer");
        await RejoinAsReplicaAsync(old, next, cancellationToken);
        steps.Add($"old writer {old} back as a read-only replica; the cluster endpoint still points at it");
        await Task.Delay(staleDns, cancellationToken);
        await PointEndpointAtAsync(next);
        steps.Add($"cluster endpoint moved to {next}");
        await EnsureStandbyInSyncAsync(next, cancellationToken);
        steps.Add($"{old} is {next}'s synchronous standby again");
        return steps.All;
    }

    /// <summary>
    /// A planned switchover (minor-version upgrade, instance resize): the writer shuts down cleanly
    /// (its last WAL reaches the standby first), the standby is promoted, the endpoint moves, and the
    /// old writer comes back as the new one's standby.
    /// </summary>
    public async Task<IReadOnlyList<DatabaseStep>> SwitchoverAsync(CancellationToken cancellationToken)
    {
        var steps = new StepLog(output, "db");
        var old = await WriterAsync(cancellationToken) ?? throw new ClusterException("db-switchover: no writer");
        var next = Other(old);
        await PgCtlAsync(["-D", DataDir(old), "-m", "fast", "-w", "-t", "60", "stop"], cancellationToken);
        steps.Add($"writer {old} shut down cleanly");
        await PromoteAsync(next, cancellationToken);
        steps.Add($"standby {next} promoted to writer");
        await PointEndpointAtAsync(next);
        steps.Add($"cluster endpoint moved to {next}");
        await RejoinAsReplicaAsync(old, next, cancellationToken);
        await EnsureStandbyInSyncAsync(next, cancellationToken);
        steps.Add($"{old} back as {next}'s synchronous standby");
        return steps.All;
    }

    /// <summary>The writer restarts in place (fast shutdown, start); its standby waits, the endpoint does not move.</summary>
    public async Task RestartWriterAsync(CancellationToken cancellationToken)
    {
        var writer = await WriterAsync(cancellationToken) ?? throw new ClusterException("postgres-restart: no writer");
        await PgCtlAsync(["-D", DataDir(writer), "-m", "fast", "-w", "-t", "60", "stop"], cancellationToken);
        await StartServerAsync(writer, cancellationToken);
    }

    // --- servers -------------------------------------------------------------------------------------

    private async Task CreateAsync(CancellationToken cancellationToken)
    {
        output.WriteLine($"creating the database pair in {Root} (writer n0 on {InstancePort("n0")}, standby n1 on {InstancePort("n1")}, cluster endpoint on {EndpointPort})");
        if (Directory.Exists(Root))
            Directory.Delete(Root, recursive: true);
        var n0 = DataDir("n0");
        Directory.CreateDirectory(n0);
        GiveToPostgres(Root);
        GiveToPostgres(n0);
        var pwfile = Path.Combine(Root, ".pw");
        await File.WriteAllTextAsync(pwfile, Password + "\n", cancellationToken);
        GiveToPostgres(pwfile);
        await AsPostgresAsync(PostgresBinaries.Find("initdb"),
            ["-D", n0, "-U", User, $"--pwfile={pwfile}", "-A", "scram-sha-256", "-E", "UTF8", "--no-locale"], cancellationToken);
        File.Delete(pwfile);
        // Shared by both servers (pg_basebackup copies it): replication, hints for pg_rewind, and the
        // synchronous-standby setting in a file of its own that the harness rewrites per role.
        await File.AppendAllTextAsync(Path.Combine(n0, "postgresql.conf"), """

            # --- Orderly's Aurora-shaped pair (Harness/Database/DatabasePair.cs) ---
            listen_addresses = '127.0.0.1'
            unix_socket_directories = ''
            max_connections = 300
            shared_buffers = 128MB
            wal_level = replica
            max_wal_senders = 10
            wal_keep_size = 512MB
            hot_standby = on
            # A standby whose writer is gone retries the connection this often, and only between two
            # tries does it notice a promotion: PostgreSQL's 5 s default would delay every promotion.
            wal_retrieve_retry_interval = 500ms
            wal_log_hints = on
            synchronous_commit = on
            shared_preload_libraries = 'pg_stat_statements'
            include_if_exists = 'orderly_sync.conf'

            """, cancellationToken);
        await File.AppendAllTextAsync(Path.Combine(n0, "pg_hba.conf"), "host replication all 127.0.0.1/32 scram-sha-256\n", cancellationToken);
        await WriteSyncFileAsync("n0", standbyRequired: false);
        await StartServerAsync("n0", cancellationToken);
        await using (var connection = new NpgsqlConnection(InstanceConnectionString("n0", "postgres")))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand($"CREATE DATABASE {DatabaseName}", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        var n1 = DataDir("n1");
        Directory.CreateDirectory(n1);
        GiveToPostgres(n1);
        await AsPostgresAsync(PostgresBinaries.Find("pg_basebackup"),
            ["-D", n1, "-d", $"host=127.0.0.1 port={InstancePort("n0")} user={User} password={Password}", "-X", "stream", "-c", "fast"], cancellationToken);
        await MakeStandbyAsync("n1", following: "n0");
        await StartServerAsync("n1", cancellationToken);
    }

    private async Task StartServerAsync(string node, CancellationToken cancellationToken)
    {
        var log = layout.LogFile(ProcessName(node));
        if (!File.Exists(log))
            await File.WriteAllTextAsync(log, "", cancellationToken);
        GiveToPostgres(log);
        await PgCtlAsync(["-D", DataDir(node), "-l", log, "-o", $"-p {InstancePort(node)}", "-w", "-t", "60", "start"], cancellationToken);
        var pid = int.Parse((await File.ReadAllLinesAsync(Path.Combine(DataDir(node), "postmaster.pid"), cancellationToken))[0].Trim(), CultureInfo.InvariantCulture);
        ManagedProcess.Record(layout, ProcessName(node), pid);
    }

    private async Task<bool> IsRunningAsync(string node) =>
        File.Exists(Path.Combine(DataDir(node), "postmaster.pid"))
        && (await RunAsPostgresAsync(PostgresBinaries.Find("pg_ctl"), ["-D", DataDir(node), "status"], CancellationToken.None)).ExitCode == 0;

    private async Task PromoteAsync(string node, CancellationToken cancellationToken)
    {
        // A lone writer must not wait for a standby that is not there; the old writer rejoins later.
        await WriteSyncFileAsync(node, standbyRequired: false);
        await PgCtlAsync(["-D", DataDir(node), "reload"], cancellationToken);
        await PgCtlAsync(["-D", DataDir(node), "-w", "-t", "60", "promote"], cancellationToken);
    }

    /// <summary>Rewinds <paramref name="node"/> to where it parted from <paramref name="writer"/>'s history and starts it as its standby.</summary>
    private async Task RejoinAsReplicaAsync(string node, string writer, CancellationToken cancellationToken)
    {
        // pg_rewind learns the writer's timeline from its control file, which a promotion updates only
        // at the next checkpoint: without one it sees one history and rewinds nothing.
        await using (var connection = new NpgsqlConnection(InstanceConnectionString(writer, "postgres")))
        {
            await connection.OpenAsync(cancellationToken);
            await using var checkpoint = new NpgsqlCommand("CHECKPOINT", connection);
            await checkpoint.ExecuteNonQueryAsync(cancellationToken);
        }
        // pg_rewind runs crash recovery on a server that did not shut down cleanly, then discards what
        // the new writer never had: a commit that was never acknowledged (the standby had not confirmed it).
        await AsPostgresAsync(PostgresBinaries.Find("pg_rewind"),
            ["-D", DataDir(node), $"--source-server=host=127.0.0.1 port={InstancePort(writer)} user={User} password={Password} dbname=postgres"],
            cancellationToken);
        await MakeStandbyAsync(node, following: writer);
        await StartServerAsync(node, cancellationToken);
    }

    private async Task MakeStandbyAsync(string node, string following)
    {
        var dir = DataDir(node);
        await File.WriteAllTextAsync(Path.Combine(dir, "standby.signal"), "");
        await File.WriteAllTextAsync(Path.Combine(dir, "postgresql.auto.conf"),
            $"primary_conninfo = 'host=127.0.0.1 port={InstancePort(following)} user={User} password={Password} application_name={node}'\n"
            + "recovery_target_timeline = 'latest'\n");
        await WriteSyncFileAsync(node, standbyRequired: false);
        foreach (var file in new[] { "standby.signal", "postgresql.auto.conf" })
            GiveToPostgres(Path.Combine(dir, file));
    }

    /// <summary>Once the standby streams from the writer, commits wait for it again (no acknowledged commit lost on the next failover).</summary>
    private async Task EnsureStandbyInSyncAsync(string writer, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            await using (var connection = new NpgsqlConnection(InstanceConnectionString(writer, "postgres")))
            {
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'", connection);
                if ((long)(await command.ExecuteScalarAsync(cancellationToken))! > 0)
                    break;
            }
            if (DateTime.UtcNow > deadline)
                throw new ClusterException($"the standby did not start streaming from {writer} within 60 s; see {layout.LogFile(ProcessName(Other(writer)))}");
            await Task.Delay(200, cancellationToken);
        }
        await WriteSyncFileAsync(writer, standbyRequired: true);
        await PgCtlAsync(["-D", DataDir(writer), "reload"], cancellationToken);
    }

    private async Task WriteSyncFileAsync(string node, bool standbyRequired)
    {
        var file = Path.Combine(DataDir(node), "orderly_sync.conf");
        await File.WriteAllTextAsync(file, $"synchronous_standby_names = '{(standbyRequired ? "*" : "")}'\n");
        GiveToPostgres(file);
    }

    // --- the cluster endpoint ----------------------------------------------------------------------

    private async Task StartEndpointAsync(string writer, CancellationToken cancellationToken)
    {
        if (ManagedProcess.FromPidFile(layout, EndpointName) is { IsAlive: true })
        {
            await PointEndpointAtAsync(writer);
            return;
        }
        // TCP mode, no health checks (a DNS name has none), timeouts far above any pool's idle time:
        // the endpoint never closes a connection itself. One server is in service at a time.
        var servers = string.Join("\n", Nodes.Select(n => $"    server {n} 127.0.0.1:{InstancePort(n)}{(n == writer ? "" : " disabled")}"));
        await File.WriteAllTextAsync(EndpointConfig, $"""
            # Generated by the Orderly harness (Harness/Database/DatabasePair.cs): the cluster endpoint.
            global
                stats socket {EndpointSocket} mode 600 level admin
                maxconn 2048

            defaults
                mode tcp
                timeout connect 2s
                timeout client 1h
                timeout server 1h

            frontend cluster_endpoint
                bind 127.0.0.1:{EndpointPort}
                default_backend pg

            backend pg
            {servers}

            """, cancellationToken);
        var check = await Tool.RunAsync("haproxy", ["-c", "-q", "-f", EndpointConfig], cancellationToken);
        if (check.ExitCode != 0)
            throw new ClusterException($"HAProxy rejected {EndpointConfig}: {check.Printed}");
        ManagedProcess.Start(layout, EndpointName, "haproxy", ["-db", "-f", EndpointConfig]);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (await RoleAtAsync(ClusterEndpointConnectionString + ";Pooling=false;Timeout=2", cancellationToken) != "writer")
        {
            if (DateTime.UtcNow > deadline)
                throw new ClusterException($"the cluster endpoint on {EndpointPort} did not reach the writer; see {layout.LogFile(EndpointName)}");
            await Task.Delay(100, cancellationToken);
        }
    }

    private Task<string> EndpointCommandAsync(string command) => HaproxyRuntime.SendAsync(EndpointSocket, command);

    // --- running Postgres' programs as their user ----------------------------------------------------

    private static Task PgCtlAsync(string[] args, CancellationToken cancellationToken) =>
        AsPostgresAsync(PostgresBinaries.Find("pg_ctl"), args, cancellationToken);

    private static Task<Tool.Result> RunAsPostgresAsync(string program, string[] args, CancellationToken cancellationToken) =>
        Environment.IsPrivilegedProcess
            ? Tool.RunAsync("runuser", ["-u", "postgres", "--", program, .. args], cancellationToken, timeout: TimeSpan.FromSeconds(120))
            : Tool.RunAsync(program, args, cancellationToken, timeout: TimeSpan.FromSeconds(120));

    private static async Task AsPostgresAsync(string program, string[] args, CancellationToken cancellationToken)
    {
        var run = await RunAsPostgresAsync(program, args, cancellationToken);
        if (run.ExitCode != 0)
            throw new ClusterException($"{Path.GetFileName(program)} {string.Join(' ', args.Where(a => !a.Contains("password", StringComparison.Ordinal)))} failed: {run.Printed}");
    }

    /// <summary>Postgres refuses to run as root: its files belong to the 'postgres' system user.</summary>
    private static void GiveToPostgres(string path)
    {
        if (!Environment.IsPrivilegedProcess)
            return;
        var run = Tool.RunAsync("chown", ["postgres:postgres", path], CancellationToken.None).GetAwaiter().GetResult();
        if (run.ExitCode != 0)
            throw new ClusterException($"chown postgres {path} failed: {run.Printed}");
        if (Directory.Exists(path) && !OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
