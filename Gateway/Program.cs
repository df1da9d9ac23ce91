// Orderly gateway: the public HTTP API, stateless, in front of the Orleans cluster.
using Orderly.Gateway.Auth;
using Orderly.Gateway.Silos;
using Orderly.Gateway.Errors;
using Orderly.Gateway.Hosting;
using Orderly.Gateway.Orders;
using Orderly.ServiceDefaults.Health;
using Orderly.ServiceDefaults.Hosting;
using Orderly.ServiceDefaults.Observability;

return await FailFast.RunAsync("gateway", async () =>
{
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
    // The silos are all the gateway talks to: no database (they are found by DNS or the local runner's file).
    builder.AddOrderlyDefaults();
    builder.AddGatewayHost();
    builder.AddOrderlyAuthentication();
    builder.AddSiloConnection();
    builder.Services.AddOrderlyProblems();
    builder.Services.AddGrainCalls(builder.Configuration);
    builder.Services.AddOrderApi();

    var app = builder.Build();
    // Operators' port first: /metrics lives there and nowhere on the public port.
    app.UseManagementListener();
    app.UseDrainingConnectionClose();
    app.UseOrderlyProblems();
    app.UseRequestTimeouts();
    app.UseAuthentication();
    app.UseAuthorization();
    app.MapHealthEndpoints();
    app.MapOrders();
    app.MapOpenApi();
    await app.RunAsync();
});
