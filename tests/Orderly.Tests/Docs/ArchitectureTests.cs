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
    public void The_gateway_ships_without_a_database_driver()
    {
        // Its .deps.json lists every library the gateway's build resolved, its own and those it inherits.
        var deps = Path.ChangeExtension(Processes.GatewayDll, ".deps.json");
        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(deps));
        var libraries = document.RootElement.GetProperty("libraries").EnumerateObject().Select(l => l.Name).ToList();
        Assert.Contains(libraries, l => l.StartsWith("Microsoft.Orleans.Core/", StringComparison.Ordinal));
        var database = libraries.Where(l => l.StartsWith("Npgsql", StringComparison.OrdinalIgnoreCase) || l.Contains("AdoNet", StringComparison.Ordinal)).ToList();
        Assert.True(database.Count == 0, $"the gateway's build pulls in {string.Join(", ", database)}");
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

    /// <summary>
    /// A file is named after a type it declares. A few files hold a family of small types on purpose
    /// and are named after the family; they are listed here, so a new one is a decision, not an accident.
    /// </summary>
    [Fact]
    public void Every_file_is_named_after_a_type_it_holds()
    {
        string[] families =
        [
            "Gateway/Orders/Contracts.cs",                // the HTTP request and response records
            "Grains.Abstractions/Orders/Commands.cs",     // the grain's commands and their results
            "Grains.Abstractions/Orders/OrderTypes.cs",   // status, line and snapshot of an order
            "ServiceDefaults/Networking/PeerSockets.cs",  // the options, factory and registration of one feature
            "bench/Baseline/Contracts.cs",                // the baseline's request and response records
        ];
        var wrong = Projects.Where(p => !p.Folder.StartsWith("tests/", StringComparison.Ordinal))
            .SelectMany(SourceFiles)
            .Where(f => !families.Contains(f) && Path.GetFileName(f) != "Program.cs") // an entry point may hold its own small types
            .Select(f => (File: f, Types: TopLevelType().Matches(Repository.Text(f)).Select(m => m.Groups[1].Value).ToList()))
            .Where(f => f.Types.Count > 0 && !f.Types.Contains(Path.GetFileNameWithoutExtension(f.File)))
            .Select(f => $"{f.File} holds {string.Join(", ", f.Types)}")
            .ToList();
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

    [GeneratedRegex(@"^(?:public |internal )?(?:(?:static|sealed|abstract|partial|readonly) )*(?:class|record|struct|interface|enum)(?: struct| class)? ([A-Z]\w*)", RegexOptions.Multiline)]
    private static partial Regex TopLevelType();

    [GeneratedRegex(@"EventId\s*=\s*(\d+)")]
    private static partial Regex LogEventId();

    [GeneratedRegex(@"`([^`]+)`")]
    private static partial Regex Code();
}
