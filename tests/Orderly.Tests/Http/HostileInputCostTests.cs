using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orderly.Grains.Abstractions;
using Orderly.Tests.Infrastructure;
using Orderly.Tests.Orders;
using Xunit.Abstractions;
using GatewayEntry = Orderly.Gateway.Hosting.GatewayHostOptions;

namespace Orderly.Tests.Http;

/// <summary>
/// What hostile input costs, through the real gateway, silo and Postgres: a NUL-carrying place is
/// refused as fast as a valid place is served (it used to be retried for seconds, then a 503), and a
/// data error that does reach Postgres is answered at once as a 500 that the log explains.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class HostileInputCostTests(GatewayFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task A_NUL_carrying_place_is_answered_400_in_the_time_a_valid_place_takes()
    {
        const int Rounds = 30;
        using var http = fixture.CreateClient();
        var before = await fixture.CountAsync("orders");
        var good = new List<double>();
        var bad = new List<double>();
        // Interleaved, so both kinds see the same machine load.
        for (var i = 0; i < Rounds; i++)
        {
            var (status, took, body) = await Place(http, OrderApiTests.OrderBody("c-cost"));
            Assert.True(status == HttpStatusCode.Created, body);
            good.Add(took);
            (status, took, body) = await Place(http, OrderApiTests.OrderBody("c-cost\\u0000"));
            Assert.True(status == HttpStatusCode.BadRequest, body);
            Assert.Contains("CustomerId", body, StringComparison.Ordinal);
            bad.Add(took);
        }

        var (goodMedian, badMedian) = (UnstorableTextTests.Median(good), UnstorableTextTests.Median(bad));
        output.WriteLine($"median of {Rounds}: NUL place {badMedian:F2} ms (max {bad.Max():F2}), valid place {goodMedian:F2} ms (max {good.Max():F2})");
        Assert.True(badMedian <= Math.Max(3 * goodMedian, 20), $"NUL place {badMedian:F2} ms, valid place {goodMedian:F2} ms");
        Assert.True(bad.Max() < 1000, $"slowest NUL place took {bad.Max():F0} ms");
        Assert.Equal(before + Rounds, await fixture.CountAsync("orders"));
    }

    [Fact]
    public async Task A_data_error_that_reaches_Postgres_is_a_500_at_once_never_retried_and_logged_with_its_trace_id()
    {
        // Stands for an Orderly bug: a value both validations let through but Postgres refuses. A
        // CHECK constraint on the real orders table makes the real storage write fail with 23514.
        const string Refused = "c-refused-by-postgres";
        await Sql($"ALTER TABLE orders ADD CONSTRAINT refuse_one_customer CHECK (customer_id <> '{Refused}')");
        var logs = new CapturedLogs();
        await using var gateway = StartGateway(logs);
        try
        {
            using var http = gateway.Client;
            var before = await fixture.StoredStateFingerprintAsync();

            var (status, took, body) = await Place(http, OrderApiTests.OrderBody(Refused));

            Assert.True(status == HttpStatusCode.InternalServerError, body);
            using var problem = JsonDocument.Parse(body);
            var traceId = problem.RootElement.GetProperty("traceId").GetString()!;
            Assert.Contains(traceId, problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
            // The retry budget is 10 s with backoff from 50 ms: one retry alone would show.
            Assert.True(took < 1000, $"took {took:F0} ms");
            Assert.DoesNotContain(logs.Entries, e => e.EventId == 9101); // GrainCalls.LogRetry
            Assert.Contains(logs.Entries, e => e.EventId == 9110 && e.Level == LogLevel.Error
                && e.Message.Contains(traceId, StringComparison.Ordinal)
                && e.Exception is StorageFailureException { Transient: false, Cause: nameof(PostgresException), SqlState: "23514" });
            Assert.Equal(before, await fixture.StoredStateFingerprintAsync());
        }
        finally
        {
            await Sql("ALTER TABLE orders DROP CONSTRAINT refuse_one_customer");
        }
    }

    private static async Task<(HttpStatusCode Status, double Milliseconds, string Body)> Place(HttpClient http, string body)
    {
        var clock = Stopwatch.StartNew();
        using var response = await http.PostAsync("/orders", OrderApiTests.Json(body));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, clock.Elapsed.TotalMilliseconds, text);
    }

    private async Task Sql(string sql)
    {
        await using var command = fixture.Db.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A second gateway on the fixture's cluster, whose log this test reads.</summary>
    private Gateway StartGateway(CapturedLogs logs)
    {
        var port = FreePorts.Next();
        var factory = new WebApplicationFactory<GatewayEntry>().WithWebHostBuilder(web =>
        {
            web.UseSetting("Gateway:Port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            web.UseSetting("Gateway:ManagementPort", FreePorts.Next().ToString(System.Globalization.CultureInfo.InvariantCulture));
            web.UseSetting("Silos:OrleansGatewayListFile", fixture.SiloListFile);
            web.UseSetting("Orleans:ClusterId", fixture.ClusterId);
            web.UseSetting("Orleans:ServiceId", fixture.ClusterId);
            web.UseSetting("Auth:Authority", fixture.Issuer.Url);
            web.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(logs));
        });
        factory.UseKestrel();
        factory.StartServer();
        return new Gateway(factory, OwnerTokens.From(fixture.Issuer).Client(new Uri($"http://127.0.0.1:{port}")));
    }

    private sealed record Gateway(WebApplicationFactory<GatewayEntry> Factory, HttpClient Client) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Factory.DisposeAsync();
    }

    private sealed record LogEntry(int EventId, LogLevel Level, string Message, Exception? Exception);

    private sealed class CapturedLogs : ILoggerProvider
    {
        public ConcurrentQueue<LogEntry> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturedLogs sink) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                sink.Entries.Enqueue(new LogEntry(eventId.Id, logLevel, formatter(state, exception), exception));
        }
    }
}
