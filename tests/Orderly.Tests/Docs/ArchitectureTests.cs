using System.Text.RegularExpressions;
using System.Xml.Linq;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Docs;

/// <summary>
/// docs/architecture.md lists which project may reference which; every .csproj's project references
/// must be exactly that list, and every project must be in it. A new arrow is a decision written there
/// first.
/// </summary>
public sealed partial class ArchitectureTests
{
    private static string Root => TestDatabase.Layout.Root;

    [Fact]
    public void Project_references_are_exactly_the_ones_docs_architecture_allows()
    {
        var allowed = Allowed();
        var actual = Projects.ToDictionary(p => p.Folder, p => p.References);
        Assert.Equal(allowed.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        var wrong = actual
            .Where(p => !p.Value.SetEquals(allowed[p.Key]))
            .Select(p => $"{p.Key} references [{string.Join(", ", p.Value.Order(StringComparer.Ordinal))}], docs/architecture.md allows [{string.Join(", ", allowed[p.Key].Order(StringComparer.Ordinal))}]")
            .ToList();
        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
    }

    [Fact]
    public void Every_assembly_of_the_product_carries_the_Orderly_prefix()
    {
        var unprefixed = Projects
            .Where(p => !p.AssemblyName.StartsWith("Orderly.", StringComparison.Ordinal))
            .Select(p => $"{p.Folder}: {p.AssemblyName}")
            .ToList();
        Assert.True(unprefixed.Count == 0, string.Join('\n', unprefixed));
    }

    [Fact]
    public void Every_namespace_matches_its_folder()
    {
        var wrong = new List<string>();
        foreach (var project in Projects)
        {
            foreach (var file in SourceFiles(project))
            {
                var folder = Path.GetDirectoryName(file)!.Replace('\\', '/')[project.Folder.Length..].TrimStart('/');
                var expected = folder.Length == 0 ? project.RootNamespace : project.RootNamespace + "." + folder.Replace('/', '.');
                foreach (Match m in Namespace().Matches(Repository.Text(file)))
                    if (m.Groups[1].Value != expected)
                        wrong.Add($"{file}: namespace {m.Groups[1].Value}, folder says {expected}");
            }
        }
        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
    }

    [Fact]
    public void No_two_log_events_share_an_id()
    {
        var shared = Projects.Where(p => !p.Folder.StartsWith("tests/", StringComparison.Ordinal))
            .SelectMany(SourceFiles)
            .SelectMany(f => LogEventId().Matches(Repository.Text(f)).Select(m => (Id: m.Groups[1].Value, File: f)))
            .GroupBy(e => e.Id)
            .Where(g => g.Count() > 1)
            .Select(g => $"event {g.Key}: {string.Join(", ", g.Select(e => e.File))}")
            .ToList();
        Assert.True(shared.Count == 0, string.Join('\n', shared));
    }

    /// <summary>A project's own C# files: not its build output, not generated clients, not a project nested in its folder.</summary>
    private static IEnumerable<string> SourceFiles(Project project)
    {
        var nested = Projects.Where(p => p.Folder.StartsWith(project.Folder + "/", StringComparison.Ordinal)).Select(p => p.Folder + "/").ToList();
        return Repository.Files.Where(f => f.StartsWith(project.Folder + "/", StringComparison.Ordinal)
            && f.EndsWith(".cs", StringComparison.Ordinal)
            && !f.Contains("/Generated/", StringComparison.Ordinal)
            && !nested.Any(n => f.StartsWith(n, StringComparison.Ordinal)));
    }

    /// <summary>The table under "Which project may reference which": project folder → the folders it may reference.</summary>
    private static Dictionary<string, HashSet<string>> Allowed()
    {
        var doc = File.ReadAllText(Path.Combine(Root, "docs", "architecture.md"));
        var start = doc.IndexOf("### Which project may reference which", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/architecture.md has no section \"Which project may reference which\"");
        var section = doc[start..];
        var end = section.IndexOf("\n#", 4, StringComparison.Ordinal);
        section = end < 0 ? section : section[..end];
        var rows = Row().Matches(section).ToDictionary(
            m => m.Groups[1].Value,
            m => Code().Matches(m.Groups[2].Value).Select(c => c.Groups[1].Value).ToHashSet(StringComparer.Ordinal));
        Assert.NotEmpty(rows);
        return rows;
    }

    /// <summary>One project: its folder, and what its .csproj says, read once.</summary>
    private sealed record Project(string Folder, string RootNamespace, string AssemblyName, HashSet<string> References);

    private static readonly IReadOnlyList<Project> Projects = Repository.Files
        .Where(f => f.EndsWith(".csproj", StringComparison.Ordinal))
        .Select(f =>
        {
            var folder = Path.GetDirectoryName(f)!.Replace('\\', '/');
            var xml = XDocument.Load(Path.Combine(Root, f));
            var name = Path.GetFileNameWithoutExtension(f);
            return new Project(
                folder,
                xml.Descendants("RootNamespace").Select(e => e.Value).FirstOrDefault() ?? name,
                xml.Descendants("AssemblyName").Select(e => e.Value).FirstOrDefault() ?? name,
                xml.Descendants("ProjectReference")
                    .Select(r => Repository.Normalize(Path.GetDirectoryName(Path.Combine(folder, r.Attribute("Include")!.Value.Replace('\\', '/')))!))
                    .ToHashSet(StringComparer.Ordinal));
        })
        .ToList();

    [GeneratedRegex(@"^\| `([^`]+)` \| ([^|]+) \|", RegexOptions.Multiline)]
    private static partial Regex Row();

    [GeneratedRegex(@"^namespace\s+([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex Namespace();

    [GeneratedRegex(@"EventId\s*=\s*(\d+)")]
    private static partial Regex LogEventId();

    [GeneratedRegex(@"`([^`]+)`")]
    private static partial Regex Code();
}
