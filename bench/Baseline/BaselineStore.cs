using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Orderly.Grains.Storage;

namespace Orderly.Baseline;

public sealed class BaselineOptions
{
    [Required(ErrorMessage = "ConnectionStrings:Orderly is required (an Npgsql connection string)")]
    public string? ConnectionString { get; set; }
}

/// <summary>
/// One table shaped like Orderly's <c>orders</c>, one statement per operation. The connection pool is Npgsql's; every write is a single autocommit statement.
/// </summary>
public sealed class BaselineStore(NpgsqlDataSource db)
{
    public const string Table = "baseline_orders";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// The table is a copy of Orderly's <c>orders</c> (columns, generated day, keys, indexes), so the
    /// baseline writes the same row by construction. The bench applies Orderly's schema first.
    /// </summary>
    public async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        // Advisory lock: two baselines starting at once must not race on CREATE TABLE IF NOT EXISTS.
        await using var command = db.CreateCommand($"""
            SELECT pg_advisory_lock(7700100);
            CREATE TABLE IF NOT EXISTS {Table} (LIKE orders INCLUDING ALL);
            SELECT pg_advisory_unlock(7700100);
            """);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<Order> InsertAsync(PlaceOrderRequest request, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var order = new Order(Guid.CreateVersion7(now), "placed", request.CustomerId, request.Items, request.DeliveryAddress, now, now, 1);
        await using var command = db.CreateCommand(
            $"INSERT INTO {Table} (id, customer_id, status, created_at, updated_at, version, doc) VALUES ($1, $2, 'placed', $3, $3, 1, $4)");
        command.Parameters.Add(new() { Value = order.Id });
        command.Parameters.Add(new() { Value = order.CustomerId });
        command.Parameters.Add(new() { Value = now });
        command.Parameters.Add(new() { Value = JsonSerializer.Serialize(order, Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
        await command.ExecuteNonQueryAsync(cancellationToken);
        return order;
    }

    /// <summary>The stored document as JSON text, or null.</summary>
    public async Task<string?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"SELECT doc::text FROM {Table} WHERE id = $1");
        command.Parameters.Add(new() { Value = id });
        return (string?)await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>Applies a change while the order is open, in one statement. Null when the order is missing or closed.</summary>
    public async Task<string?> UpdateAsync(Guid id, UpdateOrderRequest change, CancellationToken cancellationToken)
    {
        var patch = new Dictionary<string, object>();
        if (change.Items is not null)
            patch["items"] = change.Items;
        if (change.DeliveryAddress is not null)
            patch["deliveryAddress"] = change.DeliveryAddress;
        await using var command = db.CreateCommand($"""
            UPDATE {Table}
               SET version = version + 1, updated_at = now(),
                   doc = doc || $2 || jsonb_build_object('version', version + 1, 'updatedAt', now())
             WHERE id = $1 AND status IN ('placed', 'packed')
            RETURNING doc::text
            """);
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = JsonSerializer.Serialize(patch, Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
        return (string?)await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>The statuses an order may move to <paramref name="status"/> from (Orderly's rules), or null for a status no one may set.</summary>
    public static string[]? AllowedFrom(string? status) => status switch
    {
        "packed" => ["placed"],
        "shipped" => ["packed"],
        "delivered" => ["shipped"],
        "cancelled" => ["placed", "packed"],
        _ => null,
    };

    /// <summary>Moves the order to <paramref name="status"/> if it is in one of <paramref name="from"/>, in one statement. Null when it is missing or elsewhere.</summary>
    public async Task<string?> ChangeStatusAsync(Guid id, string status, string[] from, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"""
            UPDATE {Table}
               SET status = $2, version = version + 1, updated_at = now(),
                   doc = doc || jsonb_build_object('status', $2::text, 'version', version + 1, 'updatedAt', now())
             WHERE id = $1 AND status = ANY($3)
            RETURNING doc::text
            """);
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = status });
        command.Parameters.Add(new() { Value = from });
        return (string?)await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>The day's orders, oldest first, as one JSON array built by Postgres.</summary>
    public async Task<string> ListByDayAsync(DateOnly day, int limit, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"""
            SELECT coalesce(jsonb_agg(doc ORDER BY created_at, id), '[]')::text
              FROM (SELECT doc, created_at, id FROM {Table} WHERE created_day = $1 ORDER BY created_at, id LIMIT $2) page
            """);
        command.Parameters.Add(new() { Value = day });
        command.Parameters.Add(new() { Value = limit });
        return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}

public static class BaselineStoreExtensions
{
    public static WebApplicationBuilder AddBaselineStore(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<BaselineOptions>()
            .Configure<IConfiguration>((o, c) => o.ConnectionString = c.GetConnectionString("Orderly"))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // Orderly's own Npgsql tuning (no reset on return to the pool, automatic preparation), so the
        // bench compares designs, not connection settings.
        builder.Services.AddSingleton(sp =>
            NpgsqlDefaults.Tuned(sp.GetRequiredService<IOptions<BaselineOptions>>().Value.ConnectionString!).Build());
        builder.Services.AddSingleton<BaselineStore>();
        return builder;
    }
}
