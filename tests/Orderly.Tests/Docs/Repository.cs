using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Docs;

/// <summary>The repository's own files, as paths relative to its root with '/' separators; build output, packages and downloaded tools left out.</summary>
internal static class Repository
{
    private static readonly string[] Skipped = ["bin", "obj", "node_modules", ".git", ".orderly", "Schemas", "TestResults"];
    private static readonly Dictionary<string, string> Texts = new(StringComparer.Ordinal);

    public static IReadOnlyList<string> Files { get; } = Walk().ToList();

    public static HashSet<string> Folders { get; } = Files.SelectMany(Parents).ToHashSet(StringComparer.Ordinal);

    private static readonly HashSet<string> FileSet = Files.ToHashSet(StringComparer.Ordinal);

    public static bool Exists(string path) => FileSet.Contains(path.TrimEnd('/')) || Folders.Contains(path.TrimEnd('/'))
        // Generated schemas and downloaded tools are left out of the walk but may be cited.
        || File.Exists(Path.Combine(TestDatabase.Layout.Root, path)) || Directory.Exists(Path.Combine(TestDatabase.Layout.Root, path));

    public static string Normalize(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Replace('\\', '/').Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == ".." && parts.Count > 0) parts.RemoveAt(parts.Count - 1);
            else parts.Add(part);
        }
        return string.Join('/', parts);
    }

    public static string Text(string file)
    {
        lock (Texts)
        {
            if (!Texts.TryGetValue(file, out var text))
                Texts[file] = text = File.ReadAllText(Path.Combine(TestDatabase.Layout.Root, file));
            return text;
        }
    }

    private static IEnumerable<string> Parents(string file)
    {
        for (var d = Path.GetDirectoryName(file)?.Replace('\\', '/'); !string.IsNullOrEmpty(d); d = Path.GetDirectoryName(d)?.Replace('\\', '/'))
            yield return d;
    }

    private static IEnumerable<string> Walk()
    {
        var root = TestDatabase.Layout.Root;
        var pending = new Stack<string>([root]);
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            foreach (var sub in Directory.EnumerateDirectories(dir))
                if (!Skipped.Contains(Path.GetFileName(sub))) pending.Push(sub);
            foreach (var file in Directory.EnumerateFiles(dir))
                yield return Path.GetRelativePath(root, file).Replace('\\', '/');
        }
    }
}
