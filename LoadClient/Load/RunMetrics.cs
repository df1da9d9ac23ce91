using System.Collections.Concurrent;
using HdrHistogram;

namespace Orderly.LoadClient.Load;

/// <summary>Failure kinds a user can see, as counted in summaries and timelines.</summary>
public static class FailureKind
{
    public const string Http5xx = "http5xx";
    public const string Http4xx = "http4xx";
    public const string ConnectionRefused = "connectionRefused";
    public const string ConnectionReset = "connectionReset";
    public const string Timeout = "timeout";
    public const string Other = "other";

    public static readonly string[] All = [Http5xx, Http4xx, ConnectionRefused, ConnectionReset, Timeout, Other];
}

/// <summary>One second of the run: what was sent, what failed and how, and latency.</summary>
public sealed class SecondBucket
{
    private long _requests;
    private long _failures;
    private long _retryAfter503;
    private long _fromLoadBalancer;

    /// <summary>
    /// Failures the load balancer made itself, as the client can tell: no answer at all (a reset, a
    /// refusal, an answer cut off — the client's only peer is the load balancer) or a 5xx that is not a
    /// problem document (the load balancer's own error page; every gateway answer is problem+json).
    /// </summary>
    public long FromLoadBalancer => Interlocked.Read(ref _fromLoadBalancer);

    /// <summary>503 answers that told the client when to retry (Retry-After).</summary>
    public long RetryAfter503 => Interlocked.Read(ref _retryAfter503);

    public ConcurrentDictionary<string, long> ByKind { get; } = new();
    /// <summary>Requests and failures per client kind (keepalive, new-connection): "client" and "client/failure-kind" keys.</summary>
    public ConcurrentDictionary<string, long> ByClient { get; } = new();
    /// <summary>The machine's CPU use in this second (0–100, all cores), or null when not sampled.</summary>
    public double? CpuPercent { get; set; }
    public ConcurrentDictionary<int, long> ByStatus { get; } = new();
    public LongConcurrentHistogram Latency { get; } = new(1, 120_000_000, 2);
    private int _sessions;
    private int _gateways;
    private int _silos;

    /// <summary>Whether sessions or replicas were recorded for this second (a sampler can miss one).</summary>
    public bool Sampled { get; private set; }

    public int Sessions { get => _sessions; set => (_sessions, Sampled) = (value, true); }
    public int Gateways { get => _gateways; set => (_gateways, Sampled) = (value, true); }
    public int Silos { get => _silos; set => (_silos, Sampled) = (value, true); }

    public long Requests => Interlocked.Read(ref _requests);
    public long Failures => Interlocked.Read(ref _failures);

    public void Add(long micros, string? failureKind, int? status, bool retryAfter = false, string? client = null, bool fromLoadBalancer = false)
    {
        Interlocked.Increment(ref _requests);
        Latency.RecordValue(Math.Clamp(micros, 1, 120_000_000));
        if (client is not null)
            ByClient.AddOrUpdate(client, 1, (_, n) => n + 1);
        if (failureKind is null)
            return;
        if (client is not null)
            ByClient.AddOrUpdate($"{client}/{failureKind}", 1, (_, n) => n + 1);
        Interlocked.Increment(ref _failures);
        ByKind.AddOrUpdate(failureKind, 1, (_, n) => n + 1);
        if (status is { } s)
            ByStatus.AddOrUpdate(s, 1, (_, n) => n + 1);
        if (status == 503 && retryAfter)
            Interlocked.Increment(ref _retryAfter503);
        if (fromLoadBalancer)
            Interlocked.Increment(ref _fromLoadBalancer);
    }

    public double P99Ms => Requests == 0 ? 0 : Latency.GetValueAtPercentile(99) / 1000.0;
}

/// <summary>Every request of a run, bucketed per second since the start; plus the whole-run latency.</summary>
public sealed class RunMetrics(TimeProvider time)
{
    private readonly ConcurrentDictionary<int, SecondBucket> _seconds = new();
    private readonly long _start = time.GetTimestamp();

    public LongConcurrentHistogram Latency { get; } = new(1, 120_000_000, 3);

    public TimeSpan Elapsed => time.GetElapsedTime(_start);

    public int Second => (int)Elapsed.TotalSeconds;

    public SecondBucket this[int second] => _seconds.GetOrAdd(second, _ => new SecondBucket());

    public IEnumerable<(int Second, SecondBucket Bucket)> Seconds =>
        _seconds.OrderBy(kv => kv.Key).Select(kv => (kv.Key, kv.Value));

    /// <summary>Records one request, attributed to the second it started in.</summary>
    public void Record(TimeSpan startedAt, TimeSpan took, string? failureKind, int? status = null, bool retryAfter = false, string? client = null,
        bool fromLoadBalancer = false)
    {
        var micros = (long)took.TotalMicroseconds;
        this[(int)startedAt.TotalSeconds].Add(micros, failureKind, status, retryAfter, client, fromLoadBalancer);
        Latency.RecordValue(Math.Clamp(micros, 1, 120_000_000));
    }
}
