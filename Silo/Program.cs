// Orderly silo: hosts OrderGrains. `Orderly.Silo migrate` applies the schema and exits (the k8s Job).
using Orderly.ServiceDefaults.Hosting;
using Orderly.Silo.Hosting;

return await FailFast.RunAsync("silo", async () =>
{
    if (args is ["migrate", ..])
        await MigrateCommand.RunAsync(args[1..]);
    else
        await SiloApp.Create(args).RunAsync();
});
