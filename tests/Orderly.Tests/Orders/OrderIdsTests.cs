using Orderly.Grains.Abstractions.Orders;

namespace Orderly.Tests.Orders;

public sealed class OrderIdsTests
{
    [Fact]
    public void Version5_ids_match_the_RFC_9562_example()
    {
        // RFC 9562 Appendix A.4: DNS namespace, "www.example.com".
        var dns = new Guid("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
        Assert.Equal(new Guid("2ed6657d-e927-568b-95e1-2665a8aea6a2"), OrderIds.CreateVersion5(dns, "www.example.com"));
    }

    [Fact]
    public void The_same_customer_and_key_always_give_the_same_order_id_and_others_do_not()
    {
        var id = OrderIds.FromIdempotencyKey("c-1", "k");
        Assert.Equal(id, OrderIds.FromIdempotencyKey("c-1", "k"));
        Assert.NotEqual(id, OrderIds.FromIdempotencyKey("c-2", "k"));
        Assert.NotEqual(OrderIds.FromIdempotencyKey("ab", "c"), OrderIds.FromIdempotencyKey("a", "bc"));
        Assert.Equal(5, id.Version);
    }

    [Fact]
    public void Server_made_ids_are_version_7()
    {
        Assert.Equal(7, OrderIds.New().Version);
    }
}
