using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace Orderly.LoadClient.Load;

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

/// <summary>
/// Closed-loop virtual users, like the original load simulator: each places an order, reads it,
/// changes it, packs it (and now and then reads the day list), thinking between steps. The number of
/// sessions follows a sine wave. Nothing is ever retried: every failure a user would see is counted.
/// </summary>
public sealed class SessionLoad : IAsyncDisposable
{
    private readonly LoadOptions _options;
    private readonly RunMetrics _metrics;
    private readonly HttpClient _http;
    private readonly List<(Task Task, CancellationTokenSource Stop)> _sessions = [];
    private int _nextSession;

    public ConcurrentDictionary<Guid, AcknowledgedOrder> Acknowledged { get; } = new();

    public int ActiveSessions { get; private set; }

    public SessionLoad(LoadOptions options, RunMetrics metrics)
    {
        _options = options;
        _metrics = metrics;
        _http = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(50),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        })
        {
            BaseAddress = options.Target,
            Timeout = options.RequestTimeout,
        };
    }

    /// <summary>Runs until <paramref name="duration"/> has passed, adjusting the session count as it goes.</summary>
    public async Task RunAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        while (_metrics.Elapsed < duration && !cancellationToken.IsCancellationRequested)
        {
            var wanted = _options.SessionsAt(_metrics.Elapsed);
            while (_sessions.Count < wanted)
            {
                var stop = new CancellationTokenSource();
                // Every session is a new user: ids are never reused, so neither are idempotency keys.
                var id = _nextSession++;
                _sessions.Add((Task.Run(() => SessionAsync(id, stop.Token), CancellationToken.None), stop));
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
            try
            {
                await Task.Delay(250, cancellationToken);
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

    private async Task SessionAsync(int session, CancellationToken stop)
    {
        var random = new Random(HashCode.Combine(_options.Seed, session));
        var customer = $"{_options.CustomerPrefix}-{session}";
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var key = $"{customer}-{n}";
            var placed = await Send(HttpMethod.Post, "/orders", new
            {
                customerId = customer,
                items = new[] { new { sku = $"SKU-{random.Next(1, 50)}", quantity = random.Next(1, 5) } },
                deliveryAddress = $"{random.Next(1, 999)} Main St",
            }, key, customer);
            if (!await Think(random, stop))
                break;
            if (placed is not { } id)
                continue; // a user who saw an error comes back after a pause, with a new order
            await Send(HttpMethod.Get, $"/orders/{id}", null, null, customer);
            if (!await Think(random, stop))
                break;
            await Send(HttpMethod.Patch, $"/orders/{id}", new { deliveryAddress = $"{random.Next(1, 999)} High St" }, null, customer);
            if (!await Think(random, stop))
                break;
            await Send(HttpMethod.Post, $"/orders/{id}/status", new { status = "packed" }, null, customer);
            if (n % 5 == 4)
                await Send(HttpMethod.Get, $"/orders?date={DateTime.UtcNow:yyyy-MM-dd}&limit=20", null, null, customer);
            if (!await Think(random, stop))
                break;
        }
    }

    private async Task<bool> Think(Random random, CancellationToken stop)
    {
        var ms = random.Next((int)_options.ThinkMin.TotalMilliseconds, (int)_options.ThinkMax.TotalMilliseconds + 1);
        try
        {
            await Task.Delay(ms, stop);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>One request, timed and classified. Returns the order id when the answer carried one.</summary>
    private async Task<Guid?> Send(HttpMethod method, string path, object? body, string? idempotencyKey, string customer)
    {
        var startedAt = _metrics.Elapsed;
        var started = TimeProvider.System.GetTimestamp();
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        if (idempotencyKey is not null)
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        try
        {
            using var response = await _http.SendAsync(request, CancellationToken.None);
            var text = await response.Content.ReadAsStringAsync(CancellationToken.None);
            var took = TimeProvider.System.GetElapsedTime(started);
            var status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                _metrics.Record(startedAt, took, status >= 500 ? FailureKind.Http5xx : FailureKind.Http4xx, status, response.Headers.RetryAfter is not null);
                return null;
            }
            _metrics.Record(startedAt, took, null);
            if (!path.StartsWith("/orders/", StringComparison.Ordinal) && method == HttpMethod.Get)
                return null;
            using var doc = JsonDocument.Parse(text);
            var id = doc.RootElement.GetProperty("id").GetGuid();
            var version = doc.RootElement.GetProperty("version").GetInt32();
            var key = idempotencyKey ?? Acknowledged.GetValueOrDefault(id)?.IdempotencyKey ?? "";
            var second = (int)startedAt.TotalSeconds;
            Acknowledged.AddOrUpdate(id, new AcknowledgedOrder(id, customer, key, version) { AtSecond = second },
                (_, old) => old with { Version = Math.Max(old.Version, version), AtSecond = second });
            return id;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            _metrics.Record(startedAt, TimeProvider.System.GetElapsedTime(started), Classify(e));
            return null;
        }
    }

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
        _http.Dispose();
    }
}
