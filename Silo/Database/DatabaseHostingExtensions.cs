using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using Orderly.Grains.Storage;

namespace Orderly.Silo.Database;

/// <summary>How a silo connects to Postgres: the options, one pooled data source, the start-up check.</summary>
public static class DatabaseHostingExtensions
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
            var db = NpgsqlDefaults.Tuned(o.ConnectionString!, o.ConnectionLifetimeSeconds);
            if (o.WritersOnly)
                sp.GetRequiredService<WriterCheck>().Install(db);
            return db.Build();
        });
        builder.Services.AddHostedService<DatabaseStartupCheck>();
        return builder;
    }

    public static string? ResolveConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString("Orderly") is { Length: > 0 } cs ? cs
        : configuration["ORDERLY_DB"] is { Length: > 0 } env ? env
        : null;
}
