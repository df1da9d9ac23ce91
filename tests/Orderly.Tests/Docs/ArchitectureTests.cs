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
        var actual = Projects().ToDictionary(p => p.Folder, p => p.References);
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
        var unprefixed = Projects()
            .Select(p => (p.Folder, Name: AssemblyName(p.Path)))
            .Where(p => !p.Name.StartsWith("Orderly.", StringComparison.Ordinal))
            .Select(p => $"{p.Folder}: {p.Name}")
            .ToList();
        Assert.True(unprefixed.Count == 0, string.Join('\n', unprefixed));
    }

    [Fact]
    public void Every_namespace_matches_its_folder()
    {
        var wrong = new List<string>();
        foreach (var project in Projects())
        {
            var root = XDocument.Load(project.Path).Descendants("RootNamespace").Select(e => e.Value).FirstOrDefault()
                ?? Path.GetFileNameWithoutExtension(project.Path);
            var dir = Path.GetDirectoryName(project.Path)!;
            foreach (var file in SourceFiles(dir))
            {
                var folder = Path.GetRelativePath(dir, Path.GetDirectoryName(file)!).Replace('\\', '/');
                var expected = folder == "." ? root : root + "." + folder.Replace('/', '.');
                foreach (Match m in Namespace().Matches(File.ReadAllText(file)))
                    if (m.Groups[1].Value != expected)
                        wrong.Add($"{Path.GetRelativePath(Root, file)}: namespace {m.Groups[1].Value}, folder says {expected}");
            }
        }
        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
    }

    [Fact]
    public void No_two_log_events_share_an_id()
    {
        var shared = Projects().Where(p => !p.Folder.StartsWith("tests/", StringComparison.Ordinal))
            .SelectMany(p => SourceFiles(Path.GetDirectoryName(p.Path)!))
            .SelectMany(f => LogEventId().Matches(File.ReadAllText(f)).Select(m => (Id: m.Groups[1].Value, File: Path.GetRelativePath(Root, f))))
            .GroupBy(e => e.Id)
            .Where(g => g.Count() > 1)
            .Select(g => $"event {g.Key}: {string.Join(", ", g.Select(e => e.File))}")
            .ToList();
        Assert.True(shared.Count == 0, string.Join('\n', shared));
    }

    /// <summary>A project's own C# files: not its build output, not generated clients, not another project's folder.</summary>
    private static IEnumerable<string> SourceFiles(string projectDir)
    {
        var others = Projects().Select(p => Path.GetDirectoryName(p.Path)!).Where(d => d != projectDir && d.StartsWith(projectDir + Path.DirectorySeparatorChar, StringComparison.Ordinal)).ToList();
        return Directory.EnumerateFiles(projectDir, "*.cs", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(projectDir, f).Split(Path.DirectorySeparatorChar).Any(s => s is "bin" or "obj" or "Generated"))
            .Where(f => !others.Any(o => f.StartsWith(o + Path.DirectorySeparatorChar, StringComparison.Ordinal)));
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

    private static IEnumerable<(string Folder, string Path, HashSet<string> References)> Projects() =>
        Directory.EnumerateFiles(Root, "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Split(Path.DirectorySeparatorChar).Any(s => s is "bin" or "obj" or "node_modules" or ".orderly"))
            .Select(p => (Folder(p), p, XDocument.Load(p).Descendants("ProjectReference")
                .Select(r => Folder(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(p)!, r.Attribute("Include")!.Value.Replace('\\', '/')))))
                .ToHashSet(StringComparer.Ordinal)));

    private static string Folder(string csproj) => Path.GetRelativePath(Root, Path.GetDirectoryName(csproj)!).Replace('\\', '/');

    private static string AssemblyName(string csproj) =>
        XDocument.Load(csproj).Descendants("AssemblyName").Select(e => e.Value).FirstOrDefault() ?? Path.GetFileNameWithoutExtension(csproj);

    [GeneratedRegex(@"^\| `([^`]+)` \| ([^|]+) \|", RegexOptions.Multiline)]
    private static partial Regex Row();

    [GeneratedRegex(@"^namespace\s+([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex Namespace();

    [GeneratedRegex(@"EventId\s*=\s*(\d+)")]
    private static partial Regex LogEventId();

    [GeneratedRegex(@"`([^`]+)`")]
    private static partial Regex Code();
}
