using System.Text.RegularExpressions;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Docs;

/// <summary>
/// Nothing in the repository points at something that is not there: every relative link in a Markdown
/// file (and its #anchor), every repository path a comment, script or document cites, and every test
/// class a comment or document names. A rename that leaves a reader at a dead end fails here.
/// </summary>
public sealed partial class ReferenceTests
{
    [Fact]
    public void Every_relative_markdown_link_reaches_a_file_and_its_anchor()
    {
        var dead = new List<string>();
        foreach (var file in Repository.Files.Where(f => f.EndsWith(".md", StringComparison.Ordinal)))
        {
            var dir = Path.GetDirectoryName(file) ?? "";
            foreach (Match m in MarkdownLink().Matches(Repository.Text(file)))
            {
                var target = m.Groups[1].Value;
                if (UriScheme().IsMatch(target)) continue;
                var hash = target.IndexOf('#');
                var path = hash < 0 ? target : target[..hash];
                var anchor = hash < 0 ? null : target[(hash + 1)..];
                var resolved = path.Length == 0 ? file : Repository.Normalize(Path.Combine(dir, path));
                if (!Repository.Exists(resolved))
                    dead.Add($"{file}: link to {target} — no such file");
                else if (anchor is { Length: > 0 } && resolved.EndsWith(".md", StringComparison.Ordinal) && !Anchors(resolved).Contains(anchor))
                    dead.Add($"{file}: link to {target} — {resolved} has no heading with that anchor");
            }
        }
        Assert.True(dead.Count == 0, string.Join('\n', dead));
    }

    [Fact]
    public void Every_path_a_comment_script_or_document_cites_exists()
    {
        var dead = new List<string>();
        foreach (var file in Repository.Files.Where(Cites))
        {
            var dir = Path.GetDirectoryName(file) ?? "";
            foreach (var line in Repository.Text(file).Split('\n'))
            {
                // A path in another project's repository, cited with that repository and its version.
                if (OtherRepository().IsMatch(line)) continue;
                foreach (Match m in CitedPath().Matches(line))
                {
                    var path = m.Groups[1].Value;
                    if (Placeholder().IsMatch(path) || path.StartsWith(".orderly/", StringComparison.Ordinal)) continue;
                    if (!Resolves(path, dir))
                        dead.Add($"{file}: cites {path} — no such file or folder");
                }
            }
        }
        Assert.True(dead.Count == 0, string.Join('\n', dead));
    }

    [Fact]
    public void Every_test_class_a_comment_or_document_names_exists()
    {
        var classes = Repository.Files.Where(f => f.StartsWith("tests/", StringComparison.Ordinal) && f.EndsWith(".cs", StringComparison.Ordinal))
            .SelectMany(f => TestClassDeclaration().Matches(Repository.Text(f)).Select(m => m.Groups[1].Value))
            .ToHashSet(StringComparer.Ordinal);
        Assert.Contains(nameof(ReferenceTests), classes);
        var dead = Repository.Files.Where(Cites)
            .SelectMany(f => TestClassName().Matches(Repository.Text(f)).Select(m => (File: f, Name: m.Groups[1].Value)))
            .Where(r => !classes.Contains(r.Name))
            .Select(r => $"{r.File}: names {r.Name} — no such test class")
            .Distinct()
            .ToList();
        Assert.True(dead.Count == 0, string.Join('\n', dead));
    }

    [Theory]
    [InlineData("See Gateway/Silos/NoSuchFile.cs for the rule.", false)]
    [InlineData("See Gateway/Program.cs for the rule.", true)]
    [InlineData("The schema (docs/storage.md) and k8s/base", true)]
    [InlineData("written to DIR/bench.json", true)]
    [InlineData("(aws/karpenter-provider-aws v1.14.1, website/content/en/v1.14/upgrading/compatibility.md)", true)]
    public void The_path_check_itself_tells_a_dead_path_from_a_live_one(string line, bool live)
    {
        var cited = OtherRepository().IsMatch(line) ? [] : CitedPath().Matches(line).Select(m => m.Groups[1].Value)
            .Where(p => !Placeholder().IsMatch(p)).ToList();
        Assert.Equal(live, cited.All(p => Resolves(p, "")));
    }

    /// <summary>Paths resolve from the repository root, from the citing file's folder or any folder above it, or as the tail of a path that exists (a project-relative path in a table of projects).</summary>
    private static bool Resolves(string path, string dir)
    {
        for (var d = dir; ; d = Path.GetDirectoryName(d) ?? "")
        {
            if (Repository.Exists(Repository.Normalize(Path.Combine(d, path)))) return true;
            if (d.Length == 0) break;
        }
        return Repository.Files.Any(f => f.EndsWith("/" + path, StringComparison.Ordinal))
            || Repository.Folders.Any(f => f.EndsWith("/" + path.TrimEnd('/'), StringComparison.Ordinal));
    }

    private static bool Cites(string file) =>
        file is "orderly" or ".ci/run"
        || (file.EndsWith(".md", StringComparison.Ordinal) || file.EndsWith(".cs", StringComparison.Ordinal)
            || file.EndsWith(".sh", StringComparison.Ordinal) || file.EndsWith(".yaml", StringComparison.Ordinal)
            || file.EndsWith(".yml", StringComparison.Ordinal) || file.EndsWith(".props", StringComparison.Ordinal)
            || file.EndsWith(".csproj", StringComparison.Ordinal) || file.EndsWith(".sql", StringComparison.Ordinal))
        && !file.Contains("/Generated/", StringComparison.Ordinal)
        && file != "tests/Orderly.Tests/Docs/ReferenceTests.cs"; // its own examples of dead paths

    /// <summary>GitHub's anchors for a Markdown file's headings: lower case, punctuation dropped, spaces to hyphens.</summary>
    private static HashSet<string> Anchors(string file) =>
        Heading().Matches(Repository.Text(file))
            .Select(m => AnchorPunctuation().Replace(m.Groups[1].Value.Trim().ToLowerInvariant(), "").Replace(' ', '-'))
            .ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex MarkdownLink();

    [GeneratedRegex(@"^[a-z][a-z0-9+.-]*:", RegexOptions.IgnoreCase)]
    private static partial Regex UriScheme();

    [GeneratedRegex(@"^#{1,6}\s+(.+?)\s*#*\s*$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\p{L}\p{N}\s_-]")]
    private static partial Regex AnchorPunctuation();

    /// <summary>A path with at least one folder and a file extension, not part of a URL or a longer path.</summary>
    [GeneratedRegex(@"(?<![\w./:@$}-])((?:[A-Za-z0-9_.-]+/)+[A-Za-z0-9_-]+\.(?:md|cs|json|ya?ml|sql|sh|csproj|http|props|slnx|py|js))\b")]
    private static partial Regex CitedPath();

    /// <summary>DIR/bench.json, NNNN_name.sql, ROOT/…: a shape, not a file.</summary>
    [GeneratedRegex(@"(^|/)[A-Z_]{3,}(/|_)")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"\b[\w.-]+/[\w.-]+ v\d+\.\d+")]
    private static partial Regex OtherRepository();

    [GeneratedRegex(@"\bclass\s+(\w+Tests)\b")]
    private static partial Regex TestClassDeclaration();

    [GeneratedRegex(@"\b([A-Z][A-Za-z0-9]+Tests)\b")]
    private static partial Regex TestClassName();
}
