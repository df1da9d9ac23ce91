// Orderly silo: hosts OrderGrains. `Orderly.Silo migrate` applies the schema and exits (the k8s Job).
using Orderly.ServiceDefaults.Hosting;
using Orderly.Silo.Hosting;
using Orderly.Silo.Schema;

return await FailFast.RunAsync("silo", async () =>
{
    if (args is ["migrate", ..])
    {
        await MigrateCommand.RunAsync(args[1..]);
        return;
    }

    // Settings ship next to the binary; the working directory does not matter.
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
    builder.AddOrderlyDefaults();
    builder.AddSchemaOnStart();
    builder.AddOrderlySilo();

    var app = builder.Build();
    app.MapSiloManagement();
    await app.RunAsync();
});
