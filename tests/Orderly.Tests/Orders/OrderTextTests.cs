using System.Collections.Immutable;
using Orderly.Grains.Abstractions.Orders;

namespace Orderly.Tests.Orders;

/// <summary>The text rule shared by the gateway and the grain, character class by character class.</summary>
public sealed class OrderTextTests
{
    public static TheoryData<string, string, int> Refused() => new()
    {
        // name, text, index of the first refused character
        { "NUL", "c\u0000", 1 },
        { "U+0001", "\u0001", 0 },
        { "tab", "a\tb", 1 },
        { "line feed", "1 Main St\nApt 2", 9 },
        { "carriage return", "x\r", 1 },
        { "escape", "\u001b[31m", 0 },
        { "U+001F", "ab\u001f", 2 },
        { "DEL", "a\u007f", 1 },
        { "C1 U+0080", "\u0080", 0 },
        { "C1 NEL", "a\u0085", 1 },
        { "C1 U+009F", "a\u009f", 1 },
        { "unpaired high surrogate", "a\uD800", 1 },
        { "unpaired high surrogate before a letter", "\uD800a", 0 },
        { "unpaired low surrogate", "\uDC00a", 0 },
        { "reversed pair", "\uDC00\uD800", 0 },
        { "two high surrogates then a low", "\uD800\uD800\uDC00", 0 },
        { "a pair then a lone high", "\uD83D\uDE00\uD83D", 2 },
    };

    // Not enumerated at discovery: the runner's serialization would turn lone surrogates into U+FFFD.
    [Theory]
    [MemberData(nameof(Refused), DisableDiscoveryEnumeration = true)]
    public void Control_characters_and_unpaired_surrogates_are_found_where_they_are(string name, string text, int index)
    {
        Assert.True(OrderText.IndexOfForbidden(text) == index, name);
        Assert.False(OrderText.IsAllowed(text), name);
    }

    [Theory]
    [InlineData("")]
    [InlineData("c-42")]
    [InlineData("1 Main St, Apt 2")]
    [InlineData("Müller-Lüdenscheidt Straße 7")]
    [InlineData("東京都千代田区")]
    [InlineData("emoji \uD83D\uDE00 pair")]
    [InlineData("zero\u200Dwidth joiner and \u200E mark")] // format characters are needed by some scripts
    [InlineData("\u00A0no-break space")]
    [InlineData("'; DROP TABLE orders; --")]
    public void Ordinary_text_is_allowed(string text)
    {
        Assert.Equal(-1, OrderText.IndexOfForbidden(text));
        Assert.True(OrderText.IsAllowed(text));
    }

    [Fact]
    public void The_first_field_holding_refused_text_is_named_for_every_field_of_a_command()
    {
        ImmutableArray<OrderLine> items = [new("A", 1), new("B\u0000", 1)];
        Assert.Null(OrderText.FirstForbiddenField(new PlaceOrder(Guid.NewGuid(), "c", [new("A", 1)], "x", "k")));
        Assert.Equal("customerId", OrderText.FirstForbiddenField(new PlaceOrder(Guid.NewGuid(), "c\u0000", [new("A", 1)], "x", null)));
        Assert.Equal("deliveryAddress", OrderText.FirstForbiddenField(new PlaceOrder(Guid.NewGuid(), "c", [new("A", 1)], "x\n", null)));
        Assert.Equal("idempotencyKey", OrderText.FirstForbiddenField(new PlaceOrder(Guid.NewGuid(), "c", [new("A", 1)], "x", "k\u0007")));
        Assert.Equal("items[1].sku", OrderText.FirstForbiddenField(new PlaceOrder(Guid.NewGuid(), "c", items, "x", null)));
        Assert.Null(OrderText.FirstForbiddenField(new UpdateOrder(Guid.NewGuid(), null, null, null)));
        Assert.Equal("deliveryAddress", OrderText.FirstForbiddenField(new UpdateOrder(Guid.NewGuid(), null, "\uDC00", null)));
        Assert.Equal("items[1].sku", OrderText.FirstForbiddenField(new UpdateOrder(Guid.NewGuid(), items, "x", null)));
    }
}
