using Orderly.Grains.Storage.Schema;
using Orderly.Silo.Database;
using Orderly.ServiceDefaults.Hosting;

namespace Orderly.Silo.Hosting;

public sealed class SchemaOptions
{
    public const string Section = "Schema";

    /// <summary>Apply pending migrations when the silo starts. Off when a Kubernetes Job does it.</summary>
    public bool ApplyOnStart { get; set; } = true;
}

public static class SchemaHosting
{
    /// <summary>Registers the migrator and, unless Schema:ApplyOnStart is false, runs it before Orleans starts.</summary>
    public static IHostApplicationBuilder AddSchemaOnStart(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SchemaMigrator>();
        builder.Services.AddOptions<SchemaOptions>().Bind(builder.Configuration.GetSection(SchemaOptions.Section));
        if (builder.Configuration.GetSection(SchemaOptions.Section).Get<SchemaOptions>()?.ApplyOnStart ?? true)
            builder.Services.AddHostedService<ApplySchemaOnStart>();
        return builder;
    }

    private sealed class ApplySchemaOnStart(SchemaMigrator migrator) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => migrator.ApplyAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary><c>Orderly.Silo migrate</c>: apply the schema, print the version, exit.</summary>
public static class MigrateCommand
{
    public static async Task RunAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.AddOrderlyDefaults();
        builder.AddOrderlyDatabase();
        builder.Services.AddSingleton<SchemaMigrator>();
        using var host = builder.Build();
        await host.StartAsync();
        var applied = await host.Services.GetRequiredService<SchemaMigrator>().ApplyAsync();
        await Console.Out.WriteLineAsync(applied.Count == 0
            ? $"schema already at version {SchemaMigrator.LatestVersion}"
            : $"schema now at version {SchemaMigrator.LatestVersion} (applied {string.Join(", ", applied)})");
        await host.StopAsync();
    }
}
