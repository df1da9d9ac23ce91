// The bench's stateless baseline: same routes and the same row per order as Orderly, one SQL
// statement per request, no cache, no cluster. See bench/README.md.
using Orderly.Baseline;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddBaselineStore();
builder.Services.AddBaselineApi();

var app = builder.Build();
await app.Services.GetRequiredService<BaselineStore>().EnsureTableAsync(app.Lifetime.ApplicationStopping);
app.MapGet("/health/live", () => TypedResults.Ok("live"));
app.MapGet("/health/ready", () => TypedResults.Ok("ready"));
app.MapBaselineOrders();
await app.RunAsync();
