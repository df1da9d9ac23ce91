namespace Orderly.Harness.Cluster;

/// <summary>
/// Where the PostgreSQL programs are: $PG_BIN when set (./orderly sets it to what it found), else the
/// newest /usr/lib/postgresql/&lt;version&gt;/bin (Debian's layout), else the PATH. One answer for every caller.
/// </summary>
public static class PostgresBinaries
{
    public static string Find(string program)
    {
        if (Environment.GetEnvironmentVariable("PG_BIN") is { Length: > 0 } bin)
            return Path.Combine(bin, program);
        const string debian = "/usr/lib/postgresql";
        if (Directory.Exists(debian))
        {
            var newest = Directory.GetDirectories(debian)
                .Select(d => (Dir: d, Version: int.TryParse(Path.GetFileName(d), out var v) ? v : -1))
                .Where(d => d.Version >= 0 && File.Exists(Path.Combine(d.Dir, "bin", program)))
                .OrderByDescending(d => d.Version)
                .FirstOrDefault();
            if (newest.Dir is not null)
                return Path.Combine(newest.Dir, "bin", program);
        }
        return program;
    }
}
