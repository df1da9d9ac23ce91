using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orderly.Gateway.Silos;
using Orderly.Grains.Abstractions;
using Orderly.Grains.Storage;
using Orderly.Tests.Infrastructure;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;
using Polly.Timeout;

namespace Orderly.Tests.Http;

/// <summary>
/// The retry classifier, per error class: only what a retry can fix is transient. Database failures
/// are decided in the silo (<see cref="StorageFailures"/>): Postgres errors are real ones, raised by the
/// shared Postgres, and each verdict is checked again after the silo's <see cref="StorageFailureException"/>
/// crossed the Orleans wire with the gateway's own serializer, where the gateway's classifier reads it.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class FailuresTests(GatewayFixture fixture)
{
    private Exception OverTheWire(Exception e)
    {
        var serializer = fixture.Factory.Services.GetRequiredService<Serializer>();
        return serializer.Deserialize<Exception>(serializer.SerializeToArray<Exception>(e))!;
    }

    /// <summary>What the silo sends for a database failure, and what the gateway decides once it arrived.</summary>
    private FailureKind SiloThenGateway(Exception databaseFailure, string? sqlState = null)
    {
        var wire = StorageFailures.ToWire(databaseFailure);
        Assert.NotNull(wire);
        var arrived = Assert.IsType<StorageFailureException>(OverTheWire(wire));
        Assert.Equal(wire.Transient, arrived.Transient);
        Assert.Equal(wire.Cause, arrived.Cause);
        Assert.Equal(wire.Message, arrived.Message);
        Assert.Equal(sqlState, arrived.SqlState);
        var verdict = Failures.Classify(arrived);
        Assert.Equal(wire.Transient ? FailureKind.Transient : FailureKind.Permanent, verdict);
        return verdict;
    }

    private async Task<PostgresException> Raise(string sql)
    {
        await using var connection = await fixture.Db.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
    }

    public static TheoryData<string, string, FailureKind> PostgresErrors() => new()
    {
        // name, SQL that makes Postgres refuse, verdict
        { "22P05 NUL in jsonb (data exception)", """SELECT '{"a":"\u0000"}'::jsonb""", FailureKind.Permanent },
        { "22003 numeric out of range (data exception)", "SELECT 2147483647::int + 1", FailureKind.Permanent },
        { "22P02 invalid text representation (data exception)", "SELECT 'x'::uuid", FailureKind.Permanent },
        { "23505 unique violation (integrity)", "CREATE TEMP TABLE u (k int PRIMARY KEY); INSERT INTO u VALUES (1), (1)", FailureKind.Permanent },
        { "23514 check violation (integrity)", "CREATE TEMP TABLE c (k int CHECK (k > 0)); INSERT INTO c VALUES (0)", FailureKind.Permanent },
        { "42601 syntax error", "SELEKT 1", FailureKind.Permanent },
        { "42P01 undefined table", "SELECT * FROM no_such_table_here", FailureKind.Permanent },
        { "P0001 raised exception", "DO $$ BEGIN RAISE EXCEPTION 'refused'; END $$", FailureKind.Permanent },
        { "57014 statement timeout", "SET LOCAL statement_timeout = 1; SELECT pg_sleep(1)", FailureKind.Transient },
        { "57P01 connection terminated by an administrator", "SELECT pg_terminate_backend(pg_backend_pid())", FailureKind.Transient },
        // What a failover's old writer, back as a reader, answers every write (seen in the baseline's log under db-failover).
        { "25006 write in a read-only transaction", "SET LOCAL transaction_read_only = on; CREATE TABLE read_only_probe (k int)", FailureKind.Transient },
    };

    [Theory]
    [MemberData(nameof(PostgresErrors))]
    public async Task A_real_Postgres_error_is_decided_by_its_SQLSTATE_in_the_silo_and_arrives_decided(string name, string sql, FailureKind expected)
    {
        var error = await Raise(sql);
        Assert.True(expected == SiloThenGateway(error, error.SqlState), $"{name}: {error.SqlState}");
        // Wrapped (e.g. by the storage provider), the innermost database failure still decides.
        Assert.True(expected == SiloThenGateway(new InvalidOperationException("write failed", error), error.SqlState), $"{name} wrapped");
        // Arrived, and wrapped by Orleans on the way, the silo's verdict stands.
        Assert.True(expected == Failures.Classify(new OrleansException("grain call failed", StorageFailures.ToWire(error)!)), $"{name} wrapped by Orleans");
    }

    [Theory]
    [InlineData("08000", FailureKind.Transient)] // connection exception
    [InlineData("08006", FailureKind.Transient)] // connection failure
    [InlineData("08001", FailureKind.Transient)] // unable to establish a connection
    [InlineData("40001", FailureKind.Transient)] // serialization failure
    [InlineData("40P01", FailureKind.Transient)] // deadlock detected
    [InlineData("53300", FailureKind.Transient)] // too many connections
    [InlineData("53200", FailureKind.Transient)] // out of memory
    [InlineData("57P02", FailureKind.Transient)] // crash shutdown
    [InlineData("57P03", FailureKind.Transient)] // cannot connect now (starting up; a switchover's writer shutting down)
    [InlineData("25006", FailureKind.Transient)] // read-only transaction (a failover's old writer, back as a reader)
    [InlineData("55P03", FailureKind.Transient)] // lock not available
    [InlineData("58030", FailureKind.Transient)] // I/O error
    [InlineData("57P04", FailureKind.Permanent)] // database dropped
    [InlineData("22021", FailureKind.Permanent)] // character not in repertoire (NUL in text)
    [InlineData("22001", FailureKind.Permanent)] // string too long
    [InlineData("23502", FailureKind.Permanent)] // not null violation
    [InlineData("23503", FailureKind.Permanent)] // foreign key violation
    [InlineData("42501", FailureKind.Permanent)] // insufficient privilege
    [InlineData("42883", FailureKind.Permanent)] // undefined function
    [InlineData("25P02", FailureKind.Permanent)] // in failed transaction
    [InlineData("XX000", FailureKind.Permanent)] // internal error
    [InlineData("", FailureKind.Permanent)] // no SQLSTATE at all
    public void Every_SQLSTATE_class_gets_its_verdict(string sqlState, FailureKind expected)
    {
        var error = new PostgresException("refused", "ERROR", "ERROR", sqlState);
        Assert.Equal(expected, SiloThenGateway(error, sqlState));
    }

    [Fact]
    public async Task A_refused_connection_is_transient_in_the_silo_and_after_the_Orleans_wire()
    {
        var closed = new NpgsqlConnectionStringBuilder(fixture.ConnectionString) { Port = FreePorts.Next(), Timeout = 2 }.ToString();
        await using var connection = new NpgsqlConnection(closed);
        var error = await Assert.ThrowsAsync<NpgsqlException>(() => connection.OpenAsync());
        Assert.IsNotType<PostgresException>(error);
        Assert.Equal(FailureKind.Transient, SiloThenGateway(error));
    }

    /// <summary>
    /// What the silos logged during ./orderly chaos --faults db-failover,db-switchover: a connection the
    /// crash cut mid-read, and a new connection refused because it reached the old writer (WriterCheck).
    /// </summary>
    public static TheoryData<string, Exception> FailoverErrors() => new()
    {
        { "a connection cut by the writer's crash", new NpgsqlException("Exception while reading from stream", new EndOfStreamException()) },
        { "a new connection that reached a reader", new NpgsqlException("127.0.0.1:55440 is a read-only server; refused for writes") },
        { "the same, wrapped", new InvalidOperationException("write failed", new NpgsqlException("127.0.0.1:55440 is a read-only server; refused for writes")) },
    };

    [Theory]
    [MemberData(nameof(FailoverErrors))]
    public void What_a_failover_raises_is_transient_in_the_silo_and_after_the_Orleans_wire(string name, Exception error)
    {
        Assert.True(SiloThenGateway(error) == FailureKind.Transient, name);
    }

    [Fact]
    public void A_failure_without_a_database_cause_is_left_as_it_is_and_counted_by_its_own_name()
    {
        Assert.Null(StorageFailures.ToWire(new InvalidOperationException("a bug", new ArgumentException("x"))));
        Assert.Equal("PostgresException", Failures.NameOf(StorageFailures.ToWire(new PostgresException("refused", "ERROR", "ERROR", "57P01"))!));
        Assert.Equal("TimeoutException", Failures.NameOf(new TimeoutException()));
    }

    public static TheoryData<string, Exception, FailureKind> ClusterAndCodeErrors() => new()
    {
        { "silo unavailable", new SiloUnavailableException("gone"), FailureKind.Transient },
        { "a bare Orleans failure (placement raced membership)", new OrleansException("placement failed"), FailureKind.Transient },
        { "lost write race", new InconsistentStateException("etag mismatch", "1", "2"), FailureKind.Transient },
        { "Orleans response timeout", new TimeoutException("no response"), FailureKind.Transient },
        { "the retry budget's timeout", new TimeoutRejectedException("budget"), FailureKind.Transient },
        { "socket reset", new SocketException((int)SocketError.ConnectionReset), FailureKind.Transient },
        { "broken stream", new IOException("reset"), FailureKind.Transient },
        { "Orleans failure caused by a broken connection", new OrleansException("call failed", new SocketException((int)SocketError.ConnectionRefused)), FailureKind.Transient },
        { "Orleans failure with a cause it does not know", new OrleansException("call failed", new InvalidOperationException("odd")), FailureKind.Transient },
        { "a value Orleans cannot serialize", new CodecNotFoundException("no codec"), FailureKind.Permanent },
        { "Orleans failure caused by a serializer error", new OrleansException("call failed", new CodecNotFoundException("no codec")), FailureKind.Permanent },
        { "stored JSON that does not read back", new JsonException("bad doc"), FailureKind.Permanent },
        { "argument error", new ArgumentException("bad", "x"), FailureKind.Permanent },
        { "argument out of range", new ArgumentOutOfRangeException("x"), FailureKind.Permanent },
        { "format error", new FormatException("bad"), FailureKind.Permanent },
        { "invalid cast", new InvalidCastException("bad"), FailureKind.Permanent },
        { "Orleans failure caused by a null reference (a bug)", new OrleansException("call failed", NullReference()), FailureKind.Permanent },
        { "an unknown exception (a bug)", new InvalidOperationException("odd"), FailureKind.Permanent },
        { "a data error behind a transient-looking timeout", new TimeoutException("x", StorageFailures.ToWire(new PostgresException("refused", "ERROR", "ERROR", "22P05"))!), FailureKind.Permanent },
        { "Orleans failure caused by a Postgres data error", new OrleansException("call failed", StorageFailures.ToWire(new PostgresException("refused", "ERROR", "ERROR", "22P05"))!), FailureKind.Permanent },
        { "Orleans failure caused by a Postgres connection error", new OrleansException("call failed", StorageFailures.ToWire(new PostgresException("refused", "FATAL", "FATAL", "57P01"))!), FailureKind.Transient },
    };

    private static Exception NullReference()
    {
        string? missing = null;
        try
        {
            return new InvalidOperationException(missing!.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (NullReferenceException e)
        {
            return e;
        }
    }

    [Theory]
    [MemberData(nameof(ClusterAndCodeErrors))]
    public void Cluster_failures_are_transient_and_code_errors_are_not(string name, Exception error, FailureKind expected)
    {
        Assert.True(expected == Failures.Classify(error), name);
    }
}
