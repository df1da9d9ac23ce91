using System.Collections.Immutable;

namespace Orderly.Grains.Abstractions.Orders;

/// <summary>
/// What text an order may hold: no control characters (U+0000–U+001F, U+007F, U+0080–U+009F) and
/// no unpaired surrogates, in every field. Shared by the gateway (which answers 400 naming the field)
/// and the grain (which refuses a command from any other caller), so the two cannot drift apart.
/// </summary>
/// <remarks>
/// Postgres refuses NUL in text and in jsonb, and an unpaired surrogate is not Unicode: neither can
/// be stored. The other control characters could be, but have no meaning in an id, a SKU or a
/// one-line address, and a line break or an escape sequence in a stored value is how log, CSV and
/// terminal injection reach whoever reads the data later. Format characters (zero-width joiners,
/// bidi marks) stay allowed: names and addresses in several scripts need them.
/// </remarks>
public static class OrderText
{
    /// <summary>Index of the first character an order may not hold, or -1 when there is none.</summary>
    public static int IndexOfForbidden(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c))
                return i;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                i++;
            else if (char.IsSurrogate(c))
                return i;
        }
        return -1;
    }

    public static bool IsAllowed(string? text) => text is null || IndexOfForbidden(text) < 0;

    /// <summary>The first field of a place command holding forbidden text, or null.</summary>
    public static string? FirstForbiddenField(PlaceOrder command) =>
        !IsAllowed(command.CustomerId) ? "customerId"
        : !IsAllowed(command.DeliveryAddress) ? "deliveryAddress"
        : !IsAllowed(command.IdempotencyKey) ? "idempotencyKey"
        : FirstForbiddenSku(command.Items);

    /// <summary>The first field of an update command holding forbidden text, or null.</summary>
    public static string? FirstForbiddenField(UpdateOrder command) =>
        !IsAllowed(command.DeliveryAddress) ? "deliveryAddress"
        : command.Items is { } items ? FirstForbiddenSku(items)
        : null;

    private static string? FirstForbiddenSku(ImmutableArray<OrderLine> items)
    {
        if (items.IsDefault)
            return null;
        for (var i = 0; i < items.Length; i++)
        {
            if (!IsAllowed(items[i].Sku))
                return $"items[{i}].sku";
        }
        return null;
    }
}
