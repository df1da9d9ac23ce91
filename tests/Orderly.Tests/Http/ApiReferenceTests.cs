using System.Text.Json;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Http;

/// <summary>
/// The browsable API reference: Redoc, built by Redocly from the committed document
/// (<c>./orderly api-docs</c>), opened in a real headless Chromium. Full tier: Chromium is installed there.
/// </summary>
[Trait(Tiers.Name, Tiers.Full)]
public sealed class ApiReferenceTests
{
    [Fact]
    public async Task The_API_reference_page_renders_every_operation_in_a_real_browser()
    {
        var built = await Processes.RunAsync(Path.Combine(Processes.Layout.Root, "orderly"), ["api-docs"], timeout: TimeSpan.FromMinutes(5));
        Assert.True(built.ExitCode == 0, built.Output + built.Error);
        var page = Path.Combine(Processes.Layout.State, "api", "index.html");
        Assert.True(File.Exists(page), built.Output);

        // Redoc renders in the browser: the DOM after its script ran holds what a reader sees.
        var dom = await HeadlessChromium.RunAsync(page, "--dump-dom", "--virtual-time-budget=20000");
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Processes.Layout.Root, "docs", "openapi.json")));
        Assert.Contains(document.RootElement.GetProperty("info").GetProperty("title").GetString()!, dom, StringComparison.Ordinal);
        var summaries = document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject()).Where(o => o.Value.ValueKind == JsonValueKind.Object && o.Value.TryGetProperty("summary", out _))
            .Select(o => o.Value.GetProperty("summary").GetString()!).ToList();
        Assert.Equal(5, summaries.Count);
        Assert.All(summaries, s => Assert.Contains(s.Replace("'", "&#39;", StringComparison.Ordinal), dom.Replace("'", "&#39;", StringComparison.Ordinal), StringComparison.Ordinal));

        var screenshot = Path.Combine(Processes.Layout.State, "api", "reference.png");
        await HeadlessChromium.RunAsync(page, $"--screenshot={screenshot}", "--window-size=1280,1600", "--virtual-time-budget=20000");
        Assert.True(new FileInfo(screenshot).Length > 20_000, "the screenshot is (nearly) blank");
    }
}
