using System.Collections.Immutable;

namespace Orderly.Grains.Abstractions.Orders;

// Every mutating command carries a CommandId chosen by the caller. The grain remembers the ids of
// recently applied commands, so a retried command (after a timeout, a silo leaving, …) is answered
// with its first outcome and changes nothing.

[GenerateSerializer, Immutable, Alias("Orderly.PlaceOrder")]
public sealed record PlaceOrder(
    [property: Id(0)] Guid CommandId,
    [property: Id(1)] string CustomerId,
    [property: Id(2)] ImmutableArray<OrderLine> Items,
    [property: Id(3)] string DeliveryAddress,
    [property: Id(4)] string? IdempotencyKey);

// Customer, on a command for an existing order: the customer the caller acts as. An order another
// customer placed answers NotFound, exactly as a missing one. Null is a caller allowed every order (staff).

/// <summary>Change items and/or the delivery address; null leaves a field as it is.</summary>
[GenerateSerializer, Immutable, Alias("Orderly.UpdateOrder")]
public sealed record UpdateOrder(
    [property: Id(0)] Guid CommandId,
    [property: Id(1)] ImmutableArray<OrderLine>? Items,
    [property: Id(2)] string? DeliveryAddress,
    [property: Id(3)] int? ExpectedVersion,
    [property: Id(4)] string? Customer = null);

[GenerateSerializer, Immutable, Alias("Orderly.ChangeStatus")]
public sealed record ChangeStatus(
    [property: Id(0)] Guid CommandId,
    [property: Id(1)] OrderStatus Status,
    [property: Id(2)] int? ExpectedVersion,
    [property: Id(3)] string? Customer = null);

public enum PlaceOutcome
{
    /// <summary>The order was created by this command (or by an earlier delivery of it).</summary>
    Created = 0,
    /// <summary>Another command with the same idempotency key and the same body created it.</summary>
    AlreadyPlaced = 1,
    /// <summary>The idempotency key was used before with a different body.</summary>
    KeyReusedWithDifferentBody = 2,
    /// <summary>The command holds text an order may not hold (<see cref="OrderText"/>); nothing was read or written.</summary>
    Rejected = 3,
}

/// <summary>Outcome of a place, with the order as it is after the command; no order when <see cref="PlaceOutcome.Rejected"/>.</summary>
[GenerateSerializer, Immutable, Alias("Orderly.PlaceResult")]
public sealed record PlaceResult([property: Id(0)] PlaceOutcome Outcome, [property: Id(1)] OrderSnapshot? Order);

public enum CommandOutcome
{
    Applied = 0,
    NotFound = 1,
    /// <summary>The caller's expected version is not the current one.</summary>
    StaleVersion = 2,
    /// <summary>The order's status no longer allows this change (e.g. editing a shipped order).</summary>
    NotAllowedInStatus = 3,
    /// <summary>The requested status cannot follow the current one.</summary>
    IllegalTransition = 4,
    /// <summary>The command holds text an order may not hold (<see cref="OrderText"/>); nothing was read or written.</summary>
    Rejected = 5,
}

/// <summary>Outcome of an update or status change, with the order as it is after the command.</summary>
[GenerateSerializer, Immutable, Alias("Orderly.CommandResult")]
public sealed record CommandResult([property: Id(0)] CommandOutcome Outcome, [property: Id(1)] OrderSnapshot? Order);
