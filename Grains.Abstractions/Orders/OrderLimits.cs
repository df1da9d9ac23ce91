namespace Orderly.Grains.Abstractions.Orders;

/// <summary>
/// The size limits of an order's fields, in one place: the gateway's request contract (and so its
/// OpenAPI document) and the bench's baseline validate with these, so both do the same work.
/// </summary>
public static class OrderLimits
{
    public const int CustomerIdMaxLength = 64;
    public const int SkuMaxLength = 64;
    /// <summary>Letters, digits, '-' and '_'.</summary>
    public const string SkuPattern = "^[A-Za-z0-9_-]+$";
    public const string SkuPatternMessage = "sku may contain only letters, digits, '-' and '_'.";
    public const int MaxQuantity = 1000;
    public const int MaxItems = 100;
    public const int DeliveryAddressMaxLength = 500;
}
