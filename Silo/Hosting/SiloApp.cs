using Orderly.Silo.Database;
using Orderly.ServiceDefaults.Hosting;

namespace Orderly.Silo.Hosting;

/// <summary>The silo application as Program runs it; tests host the very same thing in-process.</summary>
public static class SiloApp
{
    public static WebApplication Create(string[] args)
    {
        // Settings ship next to the binary; the working directory does not matter.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.AddOrderlyDefaults();
        builder.AddOrderlyDatabase();
        builder.AddSchemaOnStart();
        builder.AddOrderlySilo();

        var app = builder.Build();
        app.MapSiloManagement();
        return app;
    }
}
