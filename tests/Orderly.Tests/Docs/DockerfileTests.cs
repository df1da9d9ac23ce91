using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Orderly.Tests.Docs;

/// <summary>
/// An image builds from what its Dockerfile copies, not from the repository: every folder its project
/// reads outside its own (project references, transitively, and files it links in, such as the load
/// client's audit queries from Grains/Storage/Audit) must be copied, or the image fails to build on
/// a machine where no test ever ran it.
/// </summary>
public sealed partial class DockerfileTests
{
    public static TheoryData<string> Images() => new(Repository.Files.Where(f => f.EndsWith("/Dockerfile", StringComparison.Ordinal)));

    [Theory]
    [MemberData(nameof(Images))]
    public void An_image_copies_every_folder_its_project_reads(string dockerfile)
    {
        var folder = Path.GetDirectoryName(dockerfile)!.Replace('\\', '/');
        var copied = Copy().Matches(Repository.Text(dockerfile))
            .SelectMany(m => m.Groups["from"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(p => p.TrimEnd('/'))
            .ToHashSet(StringComparer.Ordinal);
        var read = Reads(folder + "/" + Path.GetFileName(folder) + ".csproj", []);
        Assert.NotEmpty(read);
        var missing = read.Where(path => !copied.Any(c => path == c || path.StartsWith(c + "/", StringComparison.Ordinal))).ToList();
        Assert.True(missing.Count == 0, $"{dockerfile} does not copy {string.Join(", ", missing)}");
    }

    /// <summary>The folders a project's build reads: its own, its references' (transitively), and the folders of files it includes from outside.</summary>
    private static HashSet<string> Reads(string project, HashSet<string> seen)
    {
        var dir = Path.GetDirectoryName(project)!.Replace('\\', '/');
        if (!seen.Add(dir)) return seen;
        foreach (var include in XDocument.Parse(Repository.Text(project)).Descendants()
                     .Select(e => (Name: e.Name.LocalName, Path: (string?)e.Attribute("Include")))
                     .Where(i => i.Path is not null && i.Path.StartsWith("..", StringComparison.Ordinal)))
        {
            var target = Repository.Normalize(Path.Combine(dir, include.Path!));
            if (include.Name == "ProjectReference")
                Reads(target, seen);
            else
                seen.Add(Path.GetDirectoryName(target)!.Replace('\\', '/'));
        }
        return seen;
    }

    /// <summary>COPY from the build context (not --from=another stage); the last word is the destination.</summary>
    [GeneratedRegex(@"^COPY (?!--from)(?<from>(\S+ )+)\S+\s*$", RegexOptions.Multiline)]
    private static partial Regex Copy();
}
