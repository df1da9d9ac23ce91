using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orderly.LoadClient.Load;
using Orderly.LoadClient.Verify;
using Orderly.Grains.Storage.Schema;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.LoadClient;

/// <summary>Verification counts lost orders from their ids, never from the examples it shows (at most ten).</summary>
public sealed class VerifierTests
{
    [Fact]
    public async Task More_lost_orders_than_examples_shown_are_all_counted()
    {
        var cs = await TestDatabase.CreateSchemaAsync("verify");
        try
        {
            await using (var db = NpgsqlDataSource.Create(cs))
                await new SchemaMigrator(db, NullLogger<SchemaMigrator>.Instance).ApplyAsync();
            // 25 orders users were told about, none of them stored.
            var acknowledged = Enumerable.Range(0, 25)
                .Select(i => new AcknowledgedOrder(Guid.CreateVersion7(), $"verify-{i}", $"k-{i}", 1)).ToList();

            var verification = await Verifier.VerifyAsync(cs, acknowledged, "verify");

            Assert.Equal(25, verification.Lost);
            Assert.Equal(acknowledged.Select(a => a.Id).Order(), verification.LostIds.Order());
            Assert.Equal(Verification.ExamplesShown, verification.Examples.Count);
            Assert.Equal(0, verification.Duplicated);
        }
        finally
        {
            await TestDatabase.DropSchemaAsync(cs);
        }
    }
}
