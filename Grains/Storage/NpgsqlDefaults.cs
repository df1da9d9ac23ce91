using Npgsql;

namespace Orderly.Grains.Storage;

/// <summary>The connection settings every Orderly process that talks to Postgres starts from (the silo, and the bench's baseline so it is compared like for like).</summary>
public static class NpgsqlDefaults
{
    /// <summary>Connections per process when the connection string does not say (Postgres: 2–4 per core serve best).</summary>
    public const int DefaultMaxPoolSize = 20;

    /// <summary>
    /// Orderly's Npgsql defaults, each kept when the connection string sets it. Orleans' queries and
    /// Orderly's own leave no session state behind, so a pooled connection need not be reset on
    /// return (the reset also throws away the server's cached plans); statements used twice are
    /// prepared once per connection. Measured by ./orderly bench on the 2-core machine: create and
    /// update throughput rose by about 40%. The pool is capped at <see cref="DefaultMaxPoolSize"/>
    /// connections per process (Npgsql's own default is 100): every silo has its own pool, and
    /// a seed-scale run on a busy machine got "too many clients already" from a Postgres with
    /// max_connections 300, which 13 processes × 100 can exceed (13 × 20 cannot). Size it so that
    /// pods × Maximum Pool Size stays under the server's max_connections (Aurora: by instance class).
    /// </summary>
    /// <param name="connectionLifetimeSeconds">Npgsql's Connection Lifetime unless the connection string sets it (see the silo's <c>Database:ConnectionLifetimeSeconds</c>).</param>
    public static NpgsqlDataSourceBuilder Tuned(string connectionString, int connectionLifetimeSeconds = 300)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var cs = builder.ConnectionStringBuilder;
        if (!given.ContainsKey("No Reset On Close") && !given.ContainsKey("NoResetOnClose"))
            cs.NoResetOnClose = true;
        if (!given.ContainsKey("Maximum Pool Size") && !given.ContainsKey("MaxPoolSize"))
            cs.MaxPoolSize = DefaultMaxPoolSize;
        if (!given.ContainsKey("Connection Lifetime") && !given.ContainsKey("ConnectionLifetime") && !given.ContainsKey("Load Balance Timeout"))
            cs.ConnectionLifetime = connectionLifetimeSeconds;
        if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare"))
            cs.MaxAutoPrepare = 64;
        if (!given.ContainsKey("Auto Prepare Min Usages") && !given.ContainsKey("AutoPrepareMinUsages"))
            cs.AutoPrepareMinUsages = 2;
        return builder;
    }
}
