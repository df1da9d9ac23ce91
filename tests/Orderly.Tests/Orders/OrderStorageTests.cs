using System.Text.Json;
using System.Text.RegularExpressions;
using Orderly.Grains.Abstractions.Orders;
using Orderly.Grains.Storage;
using Orderly.Grains.Storage.Schema;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Orders;

/// <summary>The order storage path end to end: the state's JSON names, the SQL that reads them, one row in Postgres.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed partial class OrderStorageTests(GrainClusterFixture fixture)
{
    [Fact]
    public void The_json_names_the_schema_reads_are_exactly_the_ones_the_state_writes()
    {
        var writeFunction = SchemaMigrator.Migrations.Last(m => m.Sql.Contains("FUNCTION orderly_write_state", StringComparison.Ordinal)).Sql;
        var read = StateField().Matches(writeFunction).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Equal(OrderJsonNames.All.Order(), read.Order());

        var state = new OrderState { Version = 1, IdempotencyKey = "k", CustomerId = "c" };
        var json = JsonDocument.Parse(new SystemTextJsonGrainStorageSerializer().Serialize(state).ToString()).RootElement;
        Assert.All(OrderJsonNames.All, name => Assert.True(json.TryGetProperty(name, out _), $"state JSON lacks '{name}'"));
    }

    [Fact]
    public void Remembered_commands_are_stored_as_one_string_of_ids_and_both_earlier_forms_still_read()
    {
        var state = new OrderState
        {
            Id = Guid.NewGuid(), Version = 40, CustomerId = "c", PlacedBy = Guid.CreateVersion7(),
            RecentCommands = [.. Enumerable.Range(9, 32).Select(_ => new AppliedCommand(Guid.NewGuid()))],
        };
        var json = JsonSerializer.Serialize(state, OrderStateJson.Default.OrderState);
        var back = JsonSerializer.Deserialize(json, OrderStateJson.Default.OrderState)!;
        Assert.Equal(state.RecentCommands.ToArray(), back.RecentCommands.ToArray());
        Assert.Equal(state.PlacedBy, back.PlacedBy);
        var document = JsonDocument.Parse(json).RootElement;
        Assert.Equal((32 * 16 * 4 + 2) / 3, document.GetProperty("recentCommands").GetString()!.Length);   // base64url, unpadded
        Assert.Equal(22, document.GetProperty("placedBy").GetString()!.Length);
        var empty = JsonSerializer.Serialize(new OrderState(), OrderStateJson.Default.OrderState);
        Assert.Empty(JsonSerializer.Deserialize(empty, OrderStateJson.Default.OrderState)!.RecentCommands);

        var placedBy = Guid.Parse("5d6c1a2b-0000-7000-8000-00000000000a");
        var first = Guid.Parse("0b9a1c36-5b1e-4a57-9c43-1f0e6a1c2b3d");
        var second = Guid.Parse("7c1e0f52-93aa-4c0e-8d1b-5f2a6e9b4c70");
        var asObjects = $$"""{"version":3,"placedBy":"{{placedBy}}","recentCommands":[{"commandId":"{{first}}","version":2},{"commandId":"{{second}}","version":3}]}""";
        var asStrings = $$"""{"version":3,"placedBy":"{{placedBy}}","recentCommands":["{{Short(first)}}.2","{{Short(second)}}.3"]}""";
        foreach (var earlier in new[] { asObjects, asStrings })
        {
            var read = JsonSerializer.Deserialize(earlier, OrderStateJson.Default.OrderState)!;
            Assert.Equal([new AppliedCommand(first), new AppliedCommand(second)], read.RecentCommands.ToArray());
            Assert.Equal(placedBy, read.PlacedBy);
            Assert.True(read.HasApplied(placedBy) && read.HasApplied(second) && !read.HasApplied(Guid.NewGuid()));
        }

        static string Short(Guid id) => System.Buffers.Text.Base64Url.EncodeToString(id.ToByteArray());
    }

    [Theory]
    [InlineData("""{"recentCommands":"AAAA"}""")]                 // 3 bytes: not whole ids
    [InlineData("""{"recentCommands":"!!"}""")]                   // not base64url
    [InlineData("""{"recentCommands":["nodot"]}""")]
    [InlineData("""{"recentCommands":7}""")]
    [InlineData("""{"placedBy":"not-an-id"}""")]
    public void A_damaged_document_is_refused_not_read_as_empty(string document) =>
        Assert.ThrowsAny<Exception>(() => JsonSerializer.Deserialize(document, OrderStateJson.Default.OrderState));

    [Fact]
    public async Task Grain_keys_map_to_order_ids_the_way_the_storage_provider_splits_them()
    {
        var ids = Enumerable.Range(0, 40).Select(i => i % 2 == 0 ? Guid.NewGuid() : Guid.CreateVersion7()).Append(Guid.Empty).Append(Guid.AllBitsSet);
        foreach (var id in ids)
        {
            // What the ADO.NET provider passes for a Guid key (AdoGrainKey in dotnet/orleans).
            var bytes = id.ToByteArray();
            var (n0, n1) = (BitConverter.ToInt64(bytes, 0), BitConverter.ToInt64(bytes, 8));
            await using var command = fixture.Db.CreateCommand("SELECT orderly_grain_guid(@n0, @n1), orderly_grain_n0(@id), orderly_grain_n1(@id)");
            command.Parameters.AddWithValue("n0", n0);
            command.Parameters.AddWithValue("n1", n1);
            command.Parameters.AddWithValue("id", id);
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal(id, reader.GetGuid(0));
            Assert.Equal(n0, reader.GetInt64(1));
            Assert.Equal(n1, reader.GetInt64(2));
        }

        // And in bulk, one round trip: 10,000 random ids, every sign of both halves among them.
        var many = Enumerable.Range(0, 10_000).Select(_ => Guid.NewGuid()).ToArray();
        await using var bulk = fixture.Db.CreateCommand("""
            SELECT count(*) FILTER (WHERE orderly_grain_guid(n0, n1) IS DISTINCT FROM id), min(id::text) FILTER (WHERE orderly_grain_guid(n0, n1) IS DISTINCT FROM id)
              FROM unnest(@n0, @n1, @id) AS t(n0, n1, id)
            """);
        bulk.Parameters.AddWithValue("n0", many.Select(g => BitConverter.ToInt64(g.ToByteArray(), 0)).ToArray());
        bulk.Parameters.AddWithValue("n1", many.Select(g => BitConverter.ToInt64(g.ToByteArray(), 8)).ToArray());
        bulk.Parameters.AddWithValue("id", many);
        await using var result = await bulk.ExecuteReaderAsync();
        Assert.True(await result.ReadAsync());
        Assert.True(result.GetInt64(0) == 0, $"{result.GetInt64(0)} ids mapped wrongly, e.g. {(result.IsDBNull(1) ? "" : result.GetString(1))}");
    }

    [Fact]
    public async Task An_order_round_trips_through_its_one_row()
    {
        var id = OrderIds.FromIdempotencyKey("c-rt", "key-rt");
        var grain = fixture.Client.GetGrain<IOrderGrain>(id);
        await grain.Place(new PlaceOrder(Guid.NewGuid(), "c-rt", [new OrderLine("SKU-R", 3)], "9 Round St", "key-rt"));
        var updated = (await grain.Update(new UpdateOrder(Guid.NewGuid(), null, "10 Round St", ExpectedVersion: 1))).Order!;

        await using var command = fixture.Db.CreateCommand("""
            SELECT status, customer_id, idempotency_key, created_at, updated_at, version, doc::text,
                   (SELECT count(*) FROM orders WHERE id = @id), (SELECT count(*) FROM orleans_grain_state)
              FROM orders WHERE id = @id
            """);
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var stored = JsonSerializer.Deserialize(reader.GetString(6), OrderStateJson.Default.OrderState)!;
        Assert.DoesNotContain("\"id\"", reader.GetString(6), StringComparison.Ordinal);   // the row's key holds it
        stored.Id = id;
        Assert.Equal(updated, stored.ToSnapshot());
        Assert.Single(stored.RecentCommands);                                   // the update; the place is PlacedBy
        Assert.NotEqual(Guid.Empty, stored.PlacedBy);
        Assert.Equal(("placed", "c-rt", "key-rt"), (reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        Assert.Equal((updated.CreatedAt, updated.UpdatedAt, 2), (reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4), reader.GetInt32(5)));
        Assert.Equal(1, reader.GetInt64(7));
        Assert.Equal(0, reader.GetInt64(8));

        await fixture.Cluster.DeactivateAsync(grain);
        Assert.Equal(updated, await grain.Get());
    }

    [GeneratedRegex(@"v_state->>'(\w+)'")]
    private static partial Regex StateField();
}
