using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Orderly.Harness.Cluster;
using Orderly.LoadClient.Load;
using Orderly.LoadClient.Reporting;
using Orderly.LoadClient.Verify;

namespace Orderly.Harness.Chaos;

/// <summary>What one system did through one database fault.</summary>
/// <param name="ReadsServed">Reads of orders that were active before the fault, answered 200.</param>
/// <param name="WritesFailed">Places and changes that failed, of <paramref name="Writes"/>.</param>
/// <param name="How">The failures by kind: "503+Retry-After 812, 500 4, …".</param>
/// <param name="WritesBackSeconds">
/// When the last failed write was answered, in seconds after the moment writes could first work again
/// (the cluster endpoint moved; with instance endpoints, the promotion): 0 is at once; null is never within the window.
/// </param>
public sealed record FailoverOutcome(string System, string Fault, long Reads, long ReadsServed, long Writes, long WritesFailed,
    long Http500, long FailuresWithoutRetryAfter, string How, double? WritesBackSeconds, int Acknowledged, int Lost, int Duplicated)
{
    public double ReadsServedShare => Reads == 0 ? 1 : (double)ReadsServed / Reads;
}

/// <summary>
/// Steady writers and readers against one system (Orderly through the load balancer, or the
/// stateless baseline) while a database fault plays: writers place an order (with an
/// Idempotency-Key) and change it, over and over; readers read orders placed and read before the
/// fault, so Orderly holds them in active grains. Nothing is retried by the client.
/// </summary>
public sealed class FailoverProbe(string system, Uri target, string customerPrefix, string table, BearerTokens tokens) : IAsyncDisposable
{
    public const int Writers = 3;
    public const int Readers = 3;
    private const int WarmOrders = 24;

    /// <summary>When the probe's clock started: its seconds count from here.</summary>
    private readonly long _origin = TimeProvider.System.GetTimestamp();
    private readonly RunMetrics _writes = new(TimeProvider.System);
    private readonly RunMetrics _reads = new(TimeProvider.System);
    private readonly List<Guid> _warm = [];
    private SessionLoad? _writers;
    private SessionLoad? _readers;
    private Task? _running;
    private readonly CancellationTokenSource _stop = new();

    public string Name => system;

    /// <summary>Places and reads the orders readers will read, then starts writers and readers.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using (var http = new HttpClient { BaseAddress = target, Timeout = TimeSpan.FromSeconds(10) })
        {
            for (var n = 0; n < WarmOrders; n++)
            {
                var customer = $"{customerPrefix}-warm";
                using var place = new HttpRequestMessage(HttpMethod.Post, "/orders")
                {
                    Content = JsonContent.Create(new { customerId = customer, items = new[] { new { sku = "SKU-1", quantity = 1 } }, deliveryAddress = "1 Warm St" }),
                };
                place.Headers.Add("Idempotency-Key", $"{customer}-{n}");
                place.Headers.Authorization = await tokens.HeaderAsync(customer, cancellationToken);
                using var placed = await http.SendAsync(place, cancellationToken);
                if (!placed.IsSuccessStatusCode)
                    continue;
                using var doc = JsonDocument.Parse(await placed.Content.ReadAsStringAsync(cancellationToken));
                var id = doc.RootElement.GetProperty("id").GetGuid();
                // Read once, so Orleans holds the order in an active grain before the fault.
                using var readRequest = new HttpRequestMessage(HttpMethod.Get, $"/orders/{id}");
                readRequest.Headers.Authorization = place.Headers.Authorization;
                using var read = await http.SendAsync(readRequest, cancellationToken);
                if (read.IsSuccessStatusCode)
                    _warm.Add(id);
            }
        }
        if (_warm.Count < WarmOrders / 2)
            throw new ClusterException($"{system}: only {_warm.Count} of {WarmOrders} orders could be placed before the fault");
        _writers = new SessionLoad(Options(customerPrefix, Write) with { FloorSessions = Writers, PeakSessions = Writers }, _writes);
        _readers = new SessionLoad(Options(customerPrefix + "-r", Read) with { FloorSessions = Readers, PeakSessions = Readers }, _reads);
        _running = Task.WhenAll(_writers.RunAsync(TimeSpan.FromHours(1), _stop.Token), _readers.RunAsync(TimeSpan.FromHours(1), _stop.Token));
        // The warm-up ran alone; a second of both before anyone measures.
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
    }

    /// <summary>A moment (a <see cref="TimeProvider"/> timestamp) on this probe's clock, in seconds.</summary>
    private double At(long timestamp) => (timestamp - _origin) / (double)TimeProvider.System.TimestampFrequency;

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        if (_running is not null)
            await _running;
    }

    /// <summary>
    /// What happened from <paramref name="faultStarted"/> (a timestamp) for <paramref name="seconds"/>;
    /// writes could work again <paramref name="writesPossibleAfter"/> seconds into the fault. Every
    /// acknowledged order is verified on <paramref name="writerConnectionString"/>.
    /// </summary>
    public async Task<FailoverOutcome> OutcomeAsync(string fault, long faultStarted, double seconds, double writesPossibleAfter,
        string writerConnectionString, bool idempotent)
    {
        var start = At(faultStarted);
        var (from, to) = ((int)start, (int)(start + seconds));
        var writes = Window(_writes, from, to);
        var reads = Window(_reads, from, to);
        var failures = writes.Concat(reads).ToList();
        long Status(int code) => failures.Sum(b => b.ByStatus.GetValueOrDefault(code));
        var http503 = Status(503);
        var retryAfter = failures.Sum(b => b.RetryAfter503);
        var kinds = new List<string>();
        if (retryAfter > 0)
            kinds.Add($"503+Retry-After {retryAfter}");
        if (http503 - retryAfter > 0)
            kinds.Add($"503 {http503 - retryAfter}");
        foreach (var code in failures.SelectMany(b => b.ByStatus.Keys).Distinct().Where(c => c != 503).Order())
            kinds.Add($"{code} {Status(code)}");
        var transport = failures.Sum(b => b.Failures - b.ByStatus.Values.Sum());
        if (transport > 0)
            kinds.Add($"no answer {transport}");

        // When the last failed write was answered: from then on, every write succeeded. Counted from
        // the answer, not the start, since a write held by the gateway's retries may end either way.
        var lastFailureEnd = _writers!.Failures.Where(f => f.At.TotalSeconds >= from && f.At.TotalSeconds < to)
            .Select(f => (double?)(f.At + f.Took).TotalSeconds).Max();
        var possible = start + writesPossibleAfter;
        double? back = lastFailureEnd is not { } end ? 0
            : end >= to - 2 ? null  // still failing as the window closed
            : Math.Max(0, end - possible);

        var acknowledged = _writers.Acknowledged.Values.ToList();
        var verification = await Verifier.VerifyAsync(writerConnectionString, acknowledged, customerPrefix, table);
        return new FailoverOutcome(system, fault, reads.Sum(b => b.Requests), reads.Sum(b => b.Requests - b.Failures),
            writes.Sum(b => b.Requests), writes.Sum(b => b.Failures), Status(500), failures.Sum(b => b.Failures) - retryAfter,
            kinds.Count == 0 ? "—" : string.Join(", ", kinds), back is { } b ? Math.Round(b, 1) : null,
            acknowledged.Count, verification.Lost, idempotent ? verification.Duplicated : 0);
    }

    private static List<SecondBucket> Window(RunMetrics metrics, int from, int to) =>
        metrics.Seconds.Where(s => s.Second >= from && s.Second < to).Select(s => s.Bucket).ToList();

    private LoadOptions Options(string prefix, SessionScript script) => new()
    {
        Target = target,
        CustomerPrefix = prefix,
        FloorSessions = 4,
        PeakSessions = 4,
        ThinkMin = TimeSpan.FromMilliseconds(20),
        ThinkMax = TimeSpan.FromMilliseconds(60),
        RequestTimeout = TimeSpan.FromSeconds(30),
        Script = script,
        Tokens = tokens,
    };

    private static async Task Write(Session s, CancellationToken stop)
    {
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            if (await Place(s, n) is { } id && await s.ThinkAsync(stop))
                await s.SendAsync(HttpMethod.Patch, $"/orders/{id}", new { deliveryAddress = $"{s.Random.Next(1, 999)} High St" });
            if (!await s.ThinkAsync(stop))
                break;
        }
    }

    private async Task Read(Session s, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            // The warm orders are one customer's; readers read them as staff, who may read any order.
            await s.SendAsync(HttpMethod.Get, $"/orders/{_warm[s.Random.Next(_warm.Count)]}", asStaff: true);
            if (!await s.ThinkAsync(stop))
                break;
        }
    }

    private static Task<Guid?> Place(Session s, int n) => s.SendAsync(HttpMethod.Post, "/orders", new
    {
        customerId = s.Customer,
        items = new[] { new { sku = $"SKU-{s.Random.Next(1, 50)}", quantity = s.Random.Next(1, 5) } },
        deliveryAddress = $"{s.Random.Next(1, 999)} Main St",
    }, idempotencyKey: $"{s.Customer}-{n}");

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_writers is not null)
            await _writers.DisposeAsync();
        if (_readers is not null)
            await _readers.DisposeAsync();
        _stop.Dispose();
    }

    /// <summary>The failover table: one row per system and fault.</summary>
    public static string Table(IEnumerable<FailoverOutcome> outcomes)
    {
        var inv = CultureInfo.InvariantCulture;
        var table = new TextTable("fault", "system", ">reads served", ">writes failed", "how they failed", ">writes back", ">lost", ">dup");
        foreach (var o in outcomes)
        {
            var back = o.WritesBackSeconds switch
            {
                null => "not within the window",
                < 0.5 => "at once",
                { } s => string.Create(inv, $"{s:0.0} s"),
            };
            table.Add(o.Fault, o.System, string.Create(inv, $"{o.ReadsServed:N0}/{o.Reads:N0} ({o.ReadsServedShare:P1})"),
                string.Create(inv, $"{o.WritesFailed:N0}/{o.Writes:N0}"), o.How, back, o.Lost.ToString(inv), o.Duplicated.ToString(inv));
        }
        return table.ToString();
    }
}
