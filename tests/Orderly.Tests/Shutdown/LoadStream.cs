using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Orderly.Harness.Cluster;

namespace Orderly.Tests.Shutdown;

/// <summary>
/// A steady stream of order operations through HAProxy, like users would send: place, read, update,
/// advance status, over and over from a few concurrent workers. It never retries: every failure a
/// user would see is recorded, with its kind. Acknowledged orders are remembered with the version
/// the user was told, so storage can be checked afterwards.
/// </summary>
public sealed class LoadStream : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _workers = [];
    private readonly HttpClient _http;

    public ConcurrentQueue<string> Failures { get; } = new();
    public ConcurrentDictionary<Guid, int> Acknowledged { get; } = new();
    public ConcurrentBag<(string Kind, string? RetryAfter, TimeSpan Elapsed)> FailureDetails { get; } = [];
    private long _succeeded;

    public long Succeeded => Interlocked.Read(ref _succeeded);

    /// <summary>Every customer id this stream uses starts with it.</summary>
    public const string CustomerPrefix = "load-";

    public LoadStream(int workers = 6)
    {
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) })
        {
            BaseAddress = ClusterLayout.FrontEndUrl,
            Timeout = TimeSpan.FromSeconds(30),
        };
        for (var i = 0; i < workers; i++)
        {
            var worker = i;
            _workers.Add(Task.Run(() => RunAsync(worker)));
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> more requests have succeeded (with a deadline).</summary>
    public async Task WaitForSuccessesAsync(long count, TimeSpan timeout)
    {
        var target = Succeeded + count;
        var deadline = DateTime.UtcNow + timeout;
        while (Succeeded < target)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"load made no progress: {Succeeded}/{target} succeeded, failures: {string.Join("; ", Failures.Take(5))}");
            await Task.Delay(50);
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
    }

    private async Task RunAsync(int worker)
    {
        var step = 0;
        while (!_stop.IsCancellationRequested)
        {
            var customer = $"{CustomerPrefix}{worker}";
            var created = await Send(HttpMethod.Post, "/orders",
                new { customerId = customer, items = new[] { new { sku = "SKU-LOAD", quantity = 1 + (step++ % 5) } }, deliveryAddress = "1 Load St" });
            if (created is null)
                continue;
            var id = created.Value.GetProperty("id").GetGuid();
            await Send(HttpMethod.Get, $"/orders/{id}", null);
            await Send(HttpMethod.Patch, $"/orders/{id}", new { deliveryAddress = $"{step} Update St" });
            await Send(HttpMethod.Post, $"/orders/{id}/status", new { status = "packed" });
        }
    }

    private async Task<JsonElement?> Send(HttpMethod method, string path, object? body)
    {
        if (_stop.IsCancellationRequested)
            return null;
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        var started = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            using var response = await _http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
            {
                Fail($"{(int)response.StatusCode} {method} {path}: {text[..Math.Min(text.Length, 200)]}", $"http {(int)response.StatusCode}",
                    response.Headers.RetryAfter?.ToString(), started.Elapsed);
                return null;
            }
            Interlocked.Increment(ref _succeeded);
            if (method == HttpMethod.Get)
                return null;
            var order = JsonDocument.Parse(text).RootElement.Clone();
            var id = order.GetProperty("id").GetGuid();
            var version = order.GetProperty("version").GetInt32();
            Acknowledged.AddOrUpdate(id, version, (_, old) => Math.Max(old, version));
            return order;
        }
        catch (HttpRequestException e)
        {
            Fail($"{method} {path}: {e.HttpRequestError} {e.Message}", e.HttpRequestError.ToString(), null, started.Elapsed);
        }
        catch (TaskCanceledException) when (!_stop.IsCancellationRequested)
        {
            Fail($"{method} {path}: client timeout", "timeout", null, started.Elapsed);
        }
        catch (TaskCanceledException)
        {
        }
        return null;
    }

    private void Fail(string detail, string kind, string? retryAfter, TimeSpan elapsed)
    {
        Failures.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {detail}");
        FailureDetails.Add((kind, retryAfter, elapsed));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
            await StopAsync();
        _http.Dispose();
        _stop.Dispose();
    }
}
