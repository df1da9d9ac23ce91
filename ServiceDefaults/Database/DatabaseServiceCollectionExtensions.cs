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
        builder.Services.AddSingleton(sp =>
            new NpgsqlDataSourceBuilder(sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.ConnectionString).Build());
        builder.Services.AddHostedService<DatabaseStartupCheck>();
        return builder;
    }

    public static string? ResolveConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString("Orderly") is { Length: > 0 } cs ? cs
        : configuration["ORDERLY_DB"] is { Length: > 0 } env ? env
        : null;
}
