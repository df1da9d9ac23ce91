using Microsoft.Extensions.Options;
using Orderly.Grains.Abstractions.Orders;
using Orderly.Grains.Storage;

namespace Orderly.Grains.Orders;

/// <summary>
/// One order. Not reentrant: commands run one at a time. Every applied command is written to its
/// orders row before it is acknowledged (<see cref="OrderStore"/> keeps only acknowledged state and
/// drops the activation when a write's outcome is unknown).
/// </summary>
/// <remarks>
/// A place on an activation that has not read storage yet inserts without reading (one statement);
/// when storage already holds the order, the store has loaded it and the place answers from it
/// exactly as a loaded activation would. Every other call reads first, once per activation.
/// When its silo shuts down, a loaded order asks Orleans to move it, state and ETag included, to a
/// silo that stays, so the next call finds it warm instead of reading storage. If no silo takes it
/// before the deactivation's deadline, Orleans deactivates it plainly and the next call reads as usual.
/// </remarks>
public sealed class OrderGrain(OrderStore order, TimeProvider time, IOptions<OrderRulesOptions> rules)
    : Grain, IOrderGrain, IGrainMigrationParticipant
{
    private readonly int _remembered = rules.Value.RememberedCommands;

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (reason.ReasonCode == DeactivationReasonCode.ShuttingDown && order.IsLoaded)
            MigrateOnIdle();
        return Task.CompletedTask;
    }

    void IGrainMigrationParticipant.OnDehydrate(IDehydrationContext migration) => order.Dehydrate(migration);

    void IGrainMigrationParticipant.OnRehydrate(IRehydrationContext migration) => order.Rehydrate(migration);

    private OrderState Current => order.State;

    public async Task<OrderSnapshot?> Get(CancellationToken cancellationToken = default)
    {
        await order.LoadAsync();
        return Current.IsPlaced ? Current.ToSnapshot() : null;
    }

    public async Task<PlaceResult> Place(PlaceOrder command, CancellationToken cancellationToken = default)
    {
        // Checked before storage is touched: a command Postgres would refuse must not cost a database round trip.
        if (OrderText.FirstForbiddenField(command) is not null)
            return new PlaceResult(PlaceOutcome.Rejected, null);
        if (!order.IsLoaded && await order.TryInsertNewAsync(NewOrder(command)))
            return new PlaceResult(PlaceOutcome.Created, Current.ToSnapshot());

        if (Current.IsPlaced)
        {
            var outcome = Current.PlacedBy == command.CommandId ? PlaceOutcome.Created
                : IsSameOrder(command) ? PlaceOutcome.AlreadyPlaced
                : PlaceOutcome.KeyReusedWithDifferentBody;
            return new PlaceResult(outcome, Current.ToSnapshot());
        }

        await order.WriteAsync(NewOrder(command));
        return new PlaceResult(PlaceOutcome.Created, Current.ToSnapshot());
    }

    public async Task<CommandResult> Update(UpdateOrder command, CancellationToken cancellationToken = default)
    {
        if (OrderText.FirstForbiddenField(command) is not null)
            return new CommandResult(CommandOutcome.Rejected, null);
        await order.LoadAsync();
        if (Check(command.CommandId, command.ExpectedVersion, command.Customer) is { } early)
            return early;
        if (!OrderRules.IsOpen(Current.Status))
            return new CommandResult(CommandOutcome.NotAllowedInStatus, Current.ToSnapshot());

        var next = Advance(command.CommandId);
        next.Items = command.Items ?? Current.Items;
        next.DeliveryAddress = command.DeliveryAddress ?? Current.DeliveryAddress;
        await order.WriteAsync(next);
        return new CommandResult(CommandOutcome.Applied, Current.ToSnapshot());
    }

    public async Task<CommandResult> ChangeStatus(ChangeStatus command, CancellationToken cancellationToken = default)
    {
        await order.LoadAsync();
        if (Check(command.CommandId, command.ExpectedVersion, command.Customer) is { } early)
            return early;
        if (!OrderRules.CanMove(Current.Status, command.Status))
            return new CommandResult(CommandOutcome.IllegalTransition, Current.ToSnapshot());

        var next = Advance(command.CommandId);
        next.Status = command.Status;
        await order.WriteAsync(next);
        return new CommandResult(CommandOutcome.Applied, Current.ToSnapshot());
    }

    private OrderState NewOrder(PlaceOrder command)
    {
        var now = Now();
        return new OrderState
        {
            Id = this.GetPrimaryKey(),
            Status = OrderStatus.Placed,
            CustomerId = command.CustomerId,
            Items = command.Items,
            DeliveryAddress = command.DeliveryAddress,
            CreatedAt = now,
            UpdatedAt = now,
            Version = 1,
            IdempotencyKey = command.IdempotencyKey,
            PlacedBy = command.CommandId,
        };
    }

    /// <summary>The answers that need no change: unknown order (or another customer's), a repeated command, a stale version.</summary>
    private CommandResult? Check(Guid commandId, int? expectedVersion, string? customer)
    {
        if (!Current.IsPlaced || (customer is not null && customer != Current.CustomerId))
            return new CommandResult(CommandOutcome.NotFound, null);
        if (Current.HasApplied(commandId))
            return new CommandResult(CommandOutcome.Applied, Current.ToSnapshot());
        if (expectedVersion is { } expected && expected != Current.Version)
            return new CommandResult(CommandOutcome.StaleVersion, Current.ToSnapshot());
        return null;
    }

    private OrderState Advance(Guid commandId)
    {
        var next = Current.Clone();
        next.Version = Current.Version + 1;
        next.UpdatedAt = Now();
        var recent = Current.RecentCommands.Add(new AppliedCommand(commandId));
        next.RecentCommands = recent.Length > _remembered ? recent[(recent.Length - _remembered)..] : recent;
        return next;
    }

    private bool IsSameOrder(PlaceOrder command) =>
        Current.CustomerId == command.CustomerId
        && Current.DeliveryAddress == command.DeliveryAddress
        && Current.IdempotencyKey == command.IdempotencyKey
        && Current.Items.AsSpan().SequenceEqual(command.Items.AsSpan());

    /// <summary>Postgres keeps microseconds; trimming here keeps the grain and the orders table equal.</summary>
    private DateTimeOffset Now()
    {
        var now = time.GetUtcNow();
        return now.AddTicks(-(now.Ticks % 10));
    }
}
