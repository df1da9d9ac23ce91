using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Http;

/// <summary>
/// docs/openapi.json is the document the gateway serves, committed: a change to the API shows up in
/// review as a change to that file, and the linters (OpenApiLintTests) read it without starting anything.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class OpenApiSnapshotTests(GatewayFixture fixture)
{
    public const string UpdateVariable = "ORDERLY_UPDATE_OPENAPI";

    public static string SnapshotPath => Path.Combine(TestDatabase.Layout.Root, "docs", "openapi.json");

    private static readonly JsonSerializerOptions Pretty = new()
    {
        WriteIndented = true,
        // Keep "—", quotes and '<' readable in the committed file; it is never embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The document as committed: two-space indents, LF line ends, a final newline.</summary>
    public static string Normalize(string json) =>
        JsonNode.Parse(json)!.ToJsonString(Pretty).ReplaceLineEndings("\n") + "\n";

    [Fact]
    public async Task The_served_OpenAPI_document_matches_the_committed_snapshot()
    {
        using var http = fixture.CreateClient();
        var served = Normalize(await http.GetStringAsync("/openapi/v1.json"));

        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            await File.WriteAllTextAsync(SnapshotPath, served);
            return;
        }

        var committed = File.Exists(SnapshotPath) ? (await File.ReadAllTextAsync(SnapshotPath)).ReplaceLineEndings("\n") : "";
        if (committed == served)
            return;
        Assert.Fail($"""
            docs/openapi.json is not the document the gateway serves at /openapi/v1.json ({FirstDifference(committed, served)}).
            If the API change is intended, rewrite the snapshot and review the diff before committing it:
                {UpdateVariable}=1 ./orderly test --fast --filter "FullyQualifiedName~{nameof(OpenApiSnapshotTests)}"
                git diff docs/openapi.json
            """);
    }

    private static string FirstDifference(string committed, string served)
    {
        if (committed.Length == 0)
            return "the snapshot is missing or empty";
        var a = committed.Split('\n');
        var b = served.Split('\n');
        for (var i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            var left = i < a.Length ? a[i] : "<end of file>";
            var right = i < b.Length ? b[i] : "<end of file>";
            if (left != right)
                return $"first difference at line {i + 1}: committed `{left.Trim()}`, served `{right.Trim()}`";
        }
        return "they differ";
    }
}
