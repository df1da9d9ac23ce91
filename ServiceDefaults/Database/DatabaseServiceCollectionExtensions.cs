using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Orderly.ServiceDefaults.Database;

public static class DatabaseServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates <see cref="DatabaseOptions"/>, registers one pooled <see cref="NpgsqlDataSource"/>,
    /// and makes start-up fail with one clear message when the database cannot be reached.
    /// Call before UseOrleans so the check runs before Orleans starts.
    /// </summary>
    public static IHostApplicationBuilder AddOrderlyDatabase(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DatabaseOptions>()
            .Bind(builder.Configuration.GetSection(DatabaseOptions.Section))
            .Configure(o => o.ConnectionString ??= ResolveConnectionString(builder.Configuration))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<WriterCheck>();
        builder.Services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            var db = Tuned(o.ConnectionString!, o.ConnectionLifetimeSeconds);
            if (o.WritersOnly)
                sp.GetRequiredService<WriterCheck>().Install(db);
            return db.Build();
        });
        builder.Services.AddHostedService<DatabaseStartupCheck>();
        return builder;
    }

    /// <summary>Connections per process when the connection string does not say (Postgres: 2–4 per core serve best).</summary>
    public const int DefaultMaxPoolSize = 20;

    /// <summary>
    /// Orderly's Npgsql defaults, each kept when the connection string sets it. Orleans' queries and
    /// Orderly's own leave no session state behind, so a pooled connection need not be reset on
    /// return (the reset also throws away the server's cached plans); statements used twice are
    /// prepared once per connection. Measured by ./orderly bench on the 2-core machine: create and
    /// update throughput rose by about 40%. The pool is capped at <see cref="DefaultMaxPoolSize"/>
    /// connections per process (Npgsql's own default is 100): every silo and gateway has its own pool, and
    /// a seed-scale run on a busy machine got "too many clients already" from a Postgres with
    /// max_connections 300, which 13 processes × 100 can exceed (13 × 20 cannot). Size it so that
    /// pods × Maximum Pool Size stays under the server's max_connections (Aurora: by instance class).
    /// </summary>
    /// <param name="connectionLifetimeSeconds">Npgsql's Connection Lifetime unless the connection string sets it (see <see cref="DatabaseOptions.ConnectionLifetimeSeconds"/>).</param>
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

    public static string? ResolveConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString("Orderly") is { Length: > 0 } cs ? cs
        : configuration["ORDERLY_DB"] is { Length: > 0 } env ? env
        : null;
}
