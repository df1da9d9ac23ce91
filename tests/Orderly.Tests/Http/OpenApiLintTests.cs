using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Http;

/// <summary>
/// Two linters nobody here wrote read docs/openapi.json with their stock rulesets (.spectral.yaml,
/// redocly.yaml), through the same command people run: ./orderly lint-openapi, which installs them pinned.
/// </summary>
public sealed class OpenApiLintTests
{
    [Fact]
    public async Task The_committed_OpenAPI_document_has_no_Spectral_or_Redocly_errors()
    {
        var result = await Processes.RunAsync(Path.Combine(Processes.Layout.Root, "orderly"), ["lint-openapi"], timeout: TimeSpan.FromMinutes(5));
        var printed = $"{result.Output}\n{result.Error}";

        Assert.True(result.ExitCode == 0, $"./orderly lint-openapi exited {result.ExitCode}:\n{printed}");
        // Each linter's own verdict, so a linter that never ran cannot pass for one that found nothing.
        Assert.True(printed.Contains("(0 errors,", StringComparison.Ordinal)
            || printed.Contains("No results with a severity of 'error' found!", StringComparison.Ordinal), $"no verdict from Spectral:\n{printed}");
        Assert.True(printed.Contains("Your API description is valid", StringComparison.Ordinal), $"no verdict from Redocly:\n{printed}");
    }
}
