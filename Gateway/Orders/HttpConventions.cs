using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Microsoft.Net.Http.Headers;
using Orderly.Grains.Abstractions.Orders;

namespace Orderly.Gateway.Orders;

/// <summary>ETags, idempotency keys and listing cursors: how HTTP headers and query strings map to commands.</summary>
public static class HttpConventions
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const int MaxIdempotencyKeyLength = 128;

    /// <summary>Strong ETag from the order version: <c>"7"</c>.</summary>
    public static string ETagOf(int version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    public enum IfMatch { Absent, Any, Version, NeverMatches }

    /// <summary>Reads If-Match. A value that is not one of our ETags can never match (→ 412).</summary>
    public static (IfMatch Kind, int Version) ParseIfMatch(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
            return (IfMatch.Absent, 0);
        if (header.Trim() == "*")
            return (IfMatch.Any, 0);
        if (EntityTagHeaderValue.TryParse(header.Trim(), out var tag) && !tag.IsWeak
            && int.TryParse(tag.Tag.AsSpan()[1..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            return (IfMatch.Version, version);
        return (IfMatch.NeverMatches, 0);
    }

    /// <summary>Validates an Idempotency-Key header value; returns an error message or null.</summary>
    public static string? CheckIdempotencyKey(string? key) => key switch
    {
        null => null,
        { Length: 0 } => $"{IdempotencyKeyHeader} must not be empty.",
        { Length: > MaxIdempotencyKeyLength } => $"{IdempotencyKeyHeader} must be at most {MaxIdempotencyKeyLength} characters.",
        _ when OrderText.IndexOfForbidden(key) >= 0 => $"{IdempotencyKeyHeader} must not contain control characters or unpaired surrogates.",
        _ => null,
    };

    /// <summary>
    /// The id a mutating command carries. With an Idempotency-Key it is derived from the order and the
    /// key, so a client's retry is recognised by the grain; without one it is fresh per HTTP request.
    /// </summary>
    public static Guid CommandIdFor(Guid orderId, string? idempotencyKey, string operation) =>
        idempotencyKey is null ? Guid.CreateVersion7()
            : OrderIds.CreateVersion5(orderId, $"{operation}:{idempotencyKey}");

    /// <summary>Opaque cursor: base64url of "ticks.guid" of the last order on the page.</summary>
    public static string EncodeCursor(OrderCursor cursor) =>
        Base64Url.EncodeToString(Encoding.ASCII.GetBytes(
            $"{cursor.CreatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture)}.{cursor.Id:N}"));

    public static bool TryDecodeCursor(string text, out OrderCursor? cursor)
    {
        cursor = null;
        // Base64 decoding skips whitespace; a cursor this service issued has none, nor any other control character.
        if (text.Length > 200 || OrderText.IndexOfForbidden(text) >= 0)
            return false;
        try
        {
            var raw = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(text));
            var dot = raw.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0
                || !long.TryParse(raw.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                || ticks > DateTimeOffset.MaxValue.UtcTicks
                || !Guid.TryParseExact(raw.AsSpan(dot + 1), "N", out var id))
                return false;
            cursor = new OrderCursor(new DateTimeOffset(ticks, TimeSpan.Zero), id);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
