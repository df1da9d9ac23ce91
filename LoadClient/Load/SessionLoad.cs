using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Orderly.LoadClient.Verify;

namespace Orderly.LoadClient.Load;

/// <summary>How a session holds its connection to the load balancer.</summary>
public enum ConnectionMode
{
    /// <summary>One pooled keep-alive connection, reused request after request (a browser, an SDK).</summary>
    KeepAlive,
    /// <summary>A new connection for every request, closed after the answer (the original sample's curl loop).</summary>
    NewPerRequest,
}

public static class ConnectionModes
{
    public const string KeepAliveName = "keepalive";
    public const string NewPerRequestName = "new-connection";

    /// <summary>The name counted in summaries and the command line: keepalive or new-connection.</summary>
    public static string Name(this ConnectionMode mode) => mode == ConnectionMode.KeepAlive ? KeepAliveName : NewPerRequestName;

    /// <summary>
    /// Sessions' modes for --clients: keepalive, new-connection, or mixed (every other session opens a
    /// new connection per request, so both kinds see the same events at the same load).
    /// </summary>
    public static Func<int, ConnectionMode> Mix(string clients) => clients switch
    {
        KeepAliveName => _ => ConnectionMode.KeepAlive,
        NewPerRequestName => _ => ConnectionMode.NewPerRequest,
        "mixed" => i => i % 2 == 0 ? ConnectionMode.KeepAlive : ConnectionMode.NewPerRequest,
        _ => throw new ArgumentOutOfRangeException(nameof(clients), clients, "keepalive, new-connection or mixed"),
    };
}

/// <summary>What one session does, over and over, until it is stopped.</summary>
public delegate Task SessionScript(Session session, CancellationToken stop);

/// <summary>How many sessions run and how they behave.</summary>
public sealed record LoadOptions
{
    public required Uri Target { get; init; }
    /// <summary>Prefix of every customer id this run uses, so verification sees only its own orders.</summary>
    public required string CustomerPrefix { get; init; }
    public int FloorSessions { get; init; } = 4;
    public int PeakSessions { get; init; } = 16;
    public TimeSpan Period { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan ThinkMin { get; init; } = TimeSpan.FromMilliseconds(50);
    public TimeSpan ThinkMax { get; init; } = TimeSpan.FromMilliseconds(250);
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public int Seed { get; init; } = 42;
    /// <summary>The connection mode of session i; every session keeps its connections alive unless told otherwise.</summary>
    public Func<int, ConnectionMode> Connections { get; init; } = _ => ConnectionMode.KeepAlive;
    /// <summary>
    /// Where sessions get bearer tokens: each session acts as its customer, and as staff for what only
    /// staff may do (<see cref="Session.SendAsync"/>). Null sends none (the bench's stateless baseline).
    /// </summary>
    public BearerTokens? Tokens { get; init; }
    /// <summary>What every session does; by default an order's journey (<see cref="Scripts.OrderJourney"/>).</summary>
    public SessionScript Script { get; init; } = Scripts.OrderJourney;

    /// <summary>Sessions at time t: a sine wave from the floor (t = 0) up to the peak and back over a period.</summary>
    public int SessionsAt(TimeSpan t)
    {
        var phase = 2 * Math.PI * t.TotalSeconds / Period.TotalSeconds;
        var level = (1 - Math.Cos(phase)) / 2;
        return FloorSessions + (int)Math.Round((PeakSessions - FloorSessions) * level);
    }
}

/// <summary>An order a user was told about (2xx), with the version the answer carried.</summary>
public sealed record AcknowledgedOrder(Guid Id, string CustomerId, string IdempotencyKey, int Version)
{
    /// <summary>Second of the run when the user was last told about this order.</summary>
    public int AtSecond { get; init; }
}

/// <summary>One request a user saw fail, for a test or a log to show (the counts live in <see cref="RunMetrics"/>).</summary>
public sealed record FailedRequest(TimeSpan At, string Request, string Kind, int? Status, bool RetryAfter, TimeSpan Took, string Detail);

/// <summary>
/// The one load driver: closed-loop virtual users, like the original load simulator. Each session runs
/// its script (by default an order's journey: place, read, change, pack, now and then list the day,
/// thinking between steps); the number of sessions follows a sine wave between a floor and a peak
/// (a fixed number when they are equal). Nothing is ever retried: every failure a user would see is
/// counted, by kind, in <see cref="RunMetrics"/>. The experiment, chaos, the Kubernetes mode, the bench's
/// closed loop and the process-level tests all drive load through it.
/// </summary>
public sealed class SessionLoad : IAsyncDisposable
{
    /// <summary>How many failures are kept with their details; the counts are never capped.</summary>
    public const int FailuresKept = 10_000;

    private readonly LoadOptions _options;
    private readonly RunMetrics _metrics;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly List<(Task Task, CancellationTokenSource Stop)> _sessions = [];
    private int _nextSession;
    private int _failuresKept;

    public ConcurrentDictionary<Guid, AcknowledgedOrder> Acknowledged { get; } = new();

    /// <summary>Every answer that carried an order, with when its request began and ended: what the consistency checker reads.</summary>
    public RequestHistory History { get; } = new();

    /// <summary>The first <see cref="FailuresKept"/> failures, in the order they happened.</summary>
    public ConcurrentQueue<FailedRequest> Failures { get; } = new();

    public RunMetrics Metrics => _metrics;

    public int ActiveSessions { get; private set; }

    public LoadOptions Options => _options;

    /// <param name="http">A client to share (its base address is used); by default one of its own for <see cref="LoadOptions.Target"/>.</param>
    public SessionLoad(LoadOptions options, RunMetrics metrics, HttpClient? http = null)
    {
        _options = options;
        _metrics = metrics;
        _ownsHttp = http is null;
        _http = http ?? new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(50),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        })
        {
            BaseAddress = options.Target,
            Timeout = options.RequestTimeout,
        };
    }

    /// <summary>Runs until <paramref name="duration"/> has passed (or cancellation), adjusting the session count as it goes.</summary>
    public async Task RunAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        while (_metrics.Elapsed < duration && !cancellationToken.IsCancellationRequested)
        {
            var wanted = _options.SessionsAt(_metrics.Elapsed);
            while (_sessions.Count < wanted)
            {
                var stop = new CancellationTokenSource();
                // Every session is a new user: ids are never reused, so neither are idempotency keys.
                var session = new Session(this, _nextSession++);
                _sessions.Add((Task.Run(() => _options.Script(session, stop.Token), CancellationToken.None), stop));
            }
            while (_sessions.Count > wanted)
            {
                var (task, stop) = _sessions[^1];
                _sessions.RemoveAt(_sessions.Count - 1);
                await stop.CancelAsync();
                _ = task.ContinueWith(_ => stop.Dispose(), TaskScheduler.Default);
            }
            ActiveSessions = _sessions.Count;
            _metrics[_metrics.Second].Sessions = ActiveSessions;
            var left = duration - _metrics.Elapsed;
            try
            {
                await Task.Delay(left < TimeSpan.FromMilliseconds(250) ? left.Duration() : TimeSpan.FromMilliseconds(250), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        await StopAllAsync();
    }

    private async Task StopAllAsync()
    {
        foreach (var (_, stop) in _sessions)
            await stop.CancelAsync();
        await Task.WhenAll(_sessions.Select(s => s.Task));
        foreach (var (_, stop) in _sessions)
            stop.Dispose();
        _sessions.Clear();
        ActiveSessions = 0;
    }

    /// <summary>One request, timed and classified. Returns the order id when <paramref name="track"/> and the answer carried one.</summary>
    internal async Task<Guid?> SendAsync(Session session, HttpRequestMessage request, string? idempotencyKey, bool track, bool asStaff)
    {
        var startedAt = _metrics.Elapsed;
        var started = TimeProvider.System.GetTimestamp();
        if (idempotencyKey is not null)
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        if (session.Connection == ConnectionMode.NewPerRequest)
            request.Headers.ConnectionClose = true;
        try
        {
            if (_options.Tokens is { } tokens && request.Headers.Authorization is null)
                request.Headers.Authorization = await tokens.HeaderAsync(asStaff ? null : session.Customer);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, CancellationToken.None);
            var took = TimeProvider.System.GetElapsedTime(started);
            var status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                var kind = status >= 500 ? FailureKind.Http5xx : FailureKind.Http4xx;
                var retryAfter = response.Headers.RetryAfter is not null;
                var fromLoadBalancer = status >= 500 && response.Content.Headers.ContentType?.MediaType != "application/problem+json";
                _metrics.Record(startedAt, took, kind, status, retryAfter, session.ConnectionName, fromLoadBalancer);
                var text = await response.Content.ReadAsStringAsync(CancellationToken.None);
                Keep(new FailedRequest(startedAt, Describe(request), kind, status, retryAfter, took, text[..Math.Min(text.Length, 200)]));
                return null;
            }
            _metrics.Record(startedAt, took, null, client: session.ConnectionName);
            if (!track || request.Method == HttpMethod.Get && request.RequestUri?.OriginalString.StartsWith("/orders/", StringComparison.Ordinal) != true)
                return null;
            await using var body = await response.Content.ReadAsStreamAsync(CancellationToken.None);
            using var doc = await JsonDocument.ParseAsync(body, cancellationToken: CancellationToken.None);
            var id = doc.RootElement.GetProperty("id").GetGuid();
            var version = doc.RootElement.GetProperty("version").GetInt32();
            History.Add(new Observation(id, request.Method == HttpMethod.Get ? Operation.Read : request.Method == HttpMethod.Post && request.RequestUri?.OriginalString == "/orders" ? Operation.Place : Operation.Change,
                started, TimeProvider.System.GetTimestamp(), version));
            var key = idempotencyKey ?? Acknowledged.GetValueOrDefault(id)?.IdempotencyKey ?? "";
            var second = (int)startedAt.TotalSeconds;
            Acknowledged.AddOrUpdate(id, new AcknowledgedOrder(id, session.Customer, key, version) { AtSecond = second },
                (_, old) => old with { Version = Math.Max(old.Version, version), AtSecond = second });
            return id;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            var took = TimeProvider.System.GetElapsedTime(started);
            var kind = Classify(e);
            _metrics.Record(startedAt, took, kind, client: session.ConnectionName,
                fromLoadBalancer: kind is FailureKind.ConnectionReset or FailureKind.ConnectionRefused);
            Keep(new FailedRequest(startedAt, Describe(request), kind, null, false, took, e is HttpRequestException h ? $"{h.HttpRequestError} {h.Message}" : e.Message));
            return null;
        }
    }

    private void Keep(FailedRequest failure)
    {
        if (Interlocked.Increment(ref _failuresKept) <= FailuresKept)
            Failures.Enqueue(failure);
    }

    private static string Describe(HttpRequestMessage request) => $"{request.Method} {request.RequestUri?.OriginalString}";

    internal static string Classify(Exception e)
    {
        if (e is TaskCanceledException)
            return FailureKind.Timeout;
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException s)
            {
                return s.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => FailureKind.ConnectionRefused,
                    SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown => FailureKind.ConnectionReset,
                    SocketError.TimedOut => FailureKind.Timeout,
                    _ => FailureKind.Other,
                };
            }
        }
        return e is HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } ? FailureKind.ConnectionReset : FailureKind.Other;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAllAsync();
        if (_ownsHttp)
            _http.Dispose();
    }
}

/// <summary>One virtual user: its number, its customer id, its connection mode, its own random numbers.</summary>
public sealed class Session
{
    private readonly SessionLoad _load;

    internal Session(SessionLoad load, int index)
    {
        _load = load;
        Index = index;
        Customer = $"{load.Options.CustomerPrefix}-{index}";
        Connection = load.Options.Connections(index);
        ConnectionName = Connection.Name();
        Random = new Random(HashCode.Combine(load.Options.Seed, index));
    }

    public int Index { get; }
    public string Customer { get; }
    public ConnectionMode Connection { get; }
    public string ConnectionName { get; }
    public Random Random { get; }

    /// <summary>
    /// Sends a request as this user (its customer's token, or with <paramref name="asStaff"/> a staff
    /// token: packing an order, listing a day); records the answer; remembers the order it acknowledged.
    /// </summary>
    public Task<Guid?> SendAsync(HttpMethod method, string path, object? body = null, string? idempotencyKey = null, bool asStaff = false)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        return SendAndDisposeAsync(request, idempotencyKey, track: true, asStaff);
    }

    /// <summary>Sends a prepared request, recording only its timing and outcome (no order is tracked).</summary>
    public Task SendUntrackedAsync(HttpRequestMessage request, bool asStaff = false) => SendAndDisposeAsync(request, null, track: false, asStaff);

    private async Task<Guid?> SendAndDisposeAsync(HttpRequestMessage request, string? idempotencyKey, bool track, bool asStaff)
    {
        using (request)
            return await _load.SendAsync(this, request, idempotencyKey, track, asStaff);
    }

    /// <summary>Waits a think time; false when the session was stopped meanwhile.</summary>
    public async Task<bool> ThinkAsync(CancellationToken stop)
    {
        var (min, max) = ((int)_load.Options.ThinkMin.TotalMilliseconds, (int)_load.Options.ThinkMax.TotalMilliseconds);
        var ms = max <= 0 ? 0 : Random.Next(min, max + 1);
        try
        {
            if (ms > 0)
                await Task.Delay(ms, stop);
            return !stop.IsCancellationRequested;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}

/// <summary>What sessions do.</summary>
public static class Scripts
{
    /// <summary>
    /// An order's journey, like the original load simulator's users: place it, read it, change the
    /// address, pack it, and every fifth order list the day. A user who saw an error comes back after
    /// a pause with a new order.
    /// </summary>
    public static async Task OrderJourney(Session s, CancellationToken stop)
    {
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var placed = await s.SendAsync(HttpMethod.Post, "/orders", new
            {
                customerId = s.Customer,
                items = new[] { new { sku = $"SKU-{s.Random.Next(1, 50)}", quantity = s.Random.Next(1, 5) } },
                deliveryAddress = $"{s.Random.Next(1, 999)} Main St",
            }, idempotencyKey: $"{s.Customer}-{n}");
            if (!await s.ThinkAsync(stop))
                break;
            if (placed is not { } id)
                continue;
            await s.SendAsync(HttpMethod.Get, $"/orders/{id}");
            if (!await s.ThinkAsync(stop))
                break;
            await s.SendAsync(HttpMethod.Patch, $"/orders/{id}", new { deliveryAddress = $"{s.Random.Next(1, 999)} High St" });
            if (!await s.ThinkAsync(stop))
                break;
            // The warehouse packs it, and now and then looks at the day's orders: staff's part.
            await s.SendAsync(HttpMethod.Post, $"/orders/{id}/status", new { status = "packed" }, asStaff: true);
            if (n % 5 == 4)
                await s.SendAsync(HttpMethod.Get, $"/orders?date={DateTime.UtcNow:yyyy-MM-dd}&limit=20", asStaff: true);
            if (!await s.ThinkAsync(stop))
                break;
        }
    }

    /// <summary>One prepared request after another as fast as answers come (a benchmark's closed loop): request(session, n).</summary>
    public static SessionScript Repeat(Func<int, long, HttpRequestMessage> request) => async (s, stop) =>
    {
        for (long n = 0; !stop.IsCancellationRequested; n++)
            await s.SendUntrackedAsync(request(s.Index, n));
    };
}
