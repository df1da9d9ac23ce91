using System.Globalization;

namespace Orderly.Harness.Chaos;

/// <summary>
/// Reads HAProxy's request log (option httplog) to tell the load balancer's own losses from Orderly's:
/// a request HAProxy sent to a gateway that vanished (no connect, a reset, an answer that never came)
/// is lost before Orderly can do anything about it, as with an ALB and a lost node.
/// </summary>
public static class HaproxyLog
{
    /// <summary>
    /// Failed requests HAProxy accepted in [from, until) (local time, as HAProxy logs it) and sent to
    /// <paramref name="server"/>, and those it ended itself on any server (a termination state other
    /// than "----": no server left to take it, a connection that broke): a gateway's own answers, 503
    /// with Retry-After included, end normally and stay Orderly's.
    /// </summary>
    public static int FailedOn(IEnumerable<string> lines, string server, DateTime from, DateTime until) =>
        lines.Select(Parse).Count(r => r is { } x && x.AcceptedAt >= from && x.AcceptedAt < until && x.Failed
            && (x.Server == server || x.Termination.Length > 0 && x.Termination[0] != '-'));

    /// <summary>One request line, or null for anything else (start-up notices, health-check lines of another shape).</summary>
    public static Request? Parse(string line)
    {
        // 127.0.0.1:52842 [02/Dec/2026:07:06:00.046] alb gateways/gateway-2 0/0/-1/-1/2002 503 0 - - sC-- 7/7/5/2/0 0/0 "GET /orders/… HTTP/1.1"
        var fields = line.Split(' ', 11, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 10 || fields[1].Length < 3 || fields[1][0] != '[')
            return null;
        if (!DateTime.TryParseExact(fields[1][1..^1], "dd/MMM/yyyy:HH:mm:ss.fff", CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var at)
            || !int.TryParse(fields[5], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var status))
            return null;
        var slash = fields[3].IndexOf('/', StringComparison.Ordinal);
        return new Request(at, slash < 0 ? fields[3] : fields[3][(slash + 1)..], status, fields[9]);
    }

    /// <param name="Termination">HAProxy's termination state: "----" for a normal end, "sC--" for a connect timeout, "SD--" for a server that went away mid-answer.</param>
    public sealed record Request(DateTime AcceptedAt, string Server, int Status, string Termination)
    {
        public bool Failed => Status >= 500 || Termination.Length > 0 && Termination[0] != '-';
    }
}
