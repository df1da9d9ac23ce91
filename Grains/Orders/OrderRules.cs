using Orderly.Grains.Abstractions.Orders;

namespace Orderly.Grains.Orders;

/// <summary>Which status may follow which, and when an order may still be edited.</summary>
public static class OrderRules
{
    public static bool CanMove(OrderStatus from, OrderStatus to) => (from, to) switch
    {
        (OrderStatus.Placed, OrderStatus.Packed) => true,
        (OrderStatus.Packed, OrderStatus.Shipped) => true,
        (OrderStatus.Shipped, OrderStatus.Delivered) => true,
        (OrderStatus.Placed or OrderStatus.Packed, OrderStatus.Cancelled) => true,
        _ => false,
    };

    /// <summary>Items and address can change until the order leaves the warehouse.</summary>
    public static bool IsOpen(OrderStatus status) => status is OrderStatus.Placed or OrderStatus.Packed;
}
