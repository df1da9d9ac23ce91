using System.Security.Cryptography;
using System.Text;

namespace Orderly.Grains.Abstractions.Orders;

/// <summary>
/// How order ids are made: v7 (time-ordered) when the server picks one, v5 (name-based) from the
/// customer and the client's Idempotency-Key, so a retried place always reaches the same grain.
/// </summary>
public static class OrderIds
{
    /// <summary>Namespace for Orderly's name-based ids; fixed forever, changing it re-keys every order.</summary>
    public static readonly Guid Namespace = new("6f1d3c1e-2a4b-4e55-9c1a-0b7f3e0d9a10");

    public static Guid New() => Guid.CreateVersion7();

    public static Guid FromIdempotencyKey(string customerId, string idempotencyKey)
    {
        // The customer is part of the name so two customers' keys never collide; the length prefix
        // keeps ("ab","c") and ("a","bc") apart.
        var name = $"{customerId.Length}:{customerId}:{idempotencyKey}";
        return CreateVersion5(Namespace, name);
    }

    /// <summary>RFC 9562 §5.5: SHA-1 over namespace bytes (network order) and the UTF-8 name.</summary>
    public static Guid CreateVersion5(Guid ns, string name)
    {
        Span<byte> input = stackalloc byte[16 + Encoding.UTF8.GetMaxByteCount(name.Length)];
        ns.TryWriteBytes(input, bigEndian: true, out _);
        var nameLength = Encoding.UTF8.GetBytes(name, input[16..]);
        Span<byte> hash = stackalloc byte[20];
#pragma warning disable CA5350 // SHA-1 is what RFC 9562 prescribes for v5; it is a name hash, not security.
        SHA1.HashData(input[..(16 + nameLength)], hash);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }
}
