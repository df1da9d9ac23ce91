using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Core;
using Orleans.Runtime;
using Orleans.Storage;

namespace Orderly.Grains.Orders;

/// <summary>
/// One order. Not reentrant: commands run one at a time. Every applied command is written to storage
/// before it is acknowledged; if the write fails the in-memory state is put back and the activation is
/// dropped, so the next call starts again from what storage holds.
/// </summary>
/// <remarks>
/// State is loaded on first use, not on activation, so that placing a new order costs one database
/// statement instead of two: a <see cref="Place"/> on an activation that has not read storage yet
/// writes blind with "insert only if absent" (the write query's null version). When storage already
/// holds the order — a retried place, a repeated idempotency key — that insert changes nothing and is
/// refused as a version conflict; the grain then reads the stored order and answers from it exactly
/// as a loaded activation would. Every other call reads storage first — including on an activation
/// Orleans has moved to another silo (which Orderly never asks for: no rebalancer is configured).
/// </remarks>
public sealed class OrderGrain : Grain, IOrderGrain
{
    /// <summary>The grain storage provider holding orders (the silo registers it under this name).</summary>
    public const string OrderStorageName = "orders";
    public const string StateName = "order";

    private readonly IGrainStorage _storage;
    private readonly StateStorageBridge<OrderState> _state;
    private readonly TimeProvider _time;
    private readonly int _remembered;
    /// <summary>True once <see cref="_state"/> holds what storage holds (read or written by this activation).</summary>
    private bool _loaded;

    public OrderGrain(
        [FromKeyedServices(OrderStorageName)] IGrainStorage storage,
        TimeProvider time,
        IOptions<OrderRulesOptions> rules)
    {
        _storage = storage;
        _state = new StateStorageBridge<OrderState>(StateName, GrainContext, storage);
        _time = time;
        _remembered = rules.Value.RememberedCommands;
    }

    private OrderState Current => _state.State;

    public async Task<OrderSnapshot?> Get(CancellationToken cancellationToken = default)
    {
        await Load();
        return Current.IsPlaced ? Current.ToSnapshot() : null;
    }

    public async Task<PlaceResult> Place(PlaceOrder command, CancellationToken cancellationToken = default)
    {
        // Checked before storage is touched: a command Postgres would refuse must not cost a database round trip.
        if (OrderText.FirstForbiddenField(command) is not null)
            return new PlaceResult(PlaceOutcome.Rejected, null);
        if (!_loaded && await TryInsertNew(command))
            return new PlaceResult(PlaceOutcome.Created, Current.ToSnapshot());

        if (Current.IsPlaced)
        {
            var outcome = Current.PlacedBy == command.CommandId ? PlaceOutcome.Created
                : IsSameOrder(command) ? PlaceOutcome.AlreadyPlaced
                : PlaceOutcome.KeyReusedWithDifferentBody;
            return new PlaceResult(outcome, Current.ToSnapshot());
        }

        await Commit(NewOrder(command));
        return new PlaceResult(PlaceOutcome.Created, Current.ToSnapshot());
    }

    /// <summary>
    /// Writes the order as new without reading first. False when storage already held it: the stored
    /// order has then been loaded and the caller answers from it.
    /// </summary>
    private async Task<bool> TryInsertNew(PlaceOrder command)
    {
        // Straight to the provider rather than through the bridge: a refused insert is an expected
        // answer here, not a storage error to log.
        var next = NewOrder(command);
        var attempt = new GrainState<OrderState>(next);
        try
        {
            await _storage.WriteStateAsync(StateName, this.GetGrainId(), attempt);
        }
        catch (InconsistentStateException)
        {
            await Load();
            return false;
        }
        catch
        {
            DeactivateOnIdle();
            throw;
        }

        _state.State = next;
        _state.Etag = attempt.ETag;
        _loaded = true;
        return true;
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
            RecentCommands = [new AppliedCommand(command.CommandId, 1)],
        };
    }

    /// <summary>Reads storage once per activation; concurrent readers share the bridge's one read.</summary>
    private async Task Load()
    {
        if (_loaded)
            return;
        await _state.ReadStateAsync();
        _loaded = true;
    }

    public async Task<CommandResult> Update(UpdateOrder command, CancellationToken cancellationToken = default)
    {
        if (OrderText.FirstForbiddenField(command) is not null)
            return new CommandResult(CommandOutcome.Rejected, null);
        await Load();
        if (Check(command.CommandId, command.ExpectedVersion) is { } early)
            return early;
        if (!OrderRules.IsOpen(Current.Status))
            return new CommandResult(CommandOutcome.NotAllowedInStatus, Current.ToSnapshot());

        var next = Advance(command.CommandId);
        next.Items = command.Items ?? Current.Items;
        next.DeliveryAddress = command.DeliveryAddress ?? Current.DeliveryAddress;
        await Commit(next);
        return new CommandResult(CommandOutcome.Applied, Current.ToSnapshot());
    }

    public async Task<CommandResult> ChangeStatus(ChangeStatus command, CancellationToken cancellationToken = default)
    {
        await Load();
        if (Check(command.CommandId, command.ExpectedVersion) is { } early)
            return early;
        if (!OrderRules.CanMove(Current.Status, command.Status))
            return new CommandResult(CommandOutcome.IllegalTransition, Current.ToSnapshot());

        var next = Advance(command.CommandId);
        next.Status = command.Status;
        await Commit(next);
        return new CommandResult(CommandOutcome.Applied, Current.ToSnapshot());
    }

    /// <summary>The answers that need no change: unknown order, a repeated command, a stale version.</summary>
    private CommandResult? Check(Guid commandId, int? expectedVersion)
    {
        if (!Current.IsPlaced)
            return new CommandResult(CommandOutcome.NotFound, null);
        if (Current.RecentCommands.Any(c => c.CommandId == commandId))
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
        var recent = Current.RecentCommands.Add(new AppliedCommand(commandId, next.Version));
        next.RecentCommands = recent.Length > _remembered ? recent[(recent.Length - _remembered)..] : recent;
        return next;
    }

    private async Task Commit(OrderState next)
    {
        var previous = _state.State;
        _state.State = next;
        try
        {
            await _state.WriteStateAsync();
        }
        catch
        {
            // The write may or may not have reached the database; only a fresh activation reading
            // storage knows. Never serve state that might not be durable.
            _state.State = previous;
            DeactivateOnIdle();
            throw;
        }
    }

    private bool IsSameOrder(PlaceOrder command) =>
        Current.CustomerId == command.CustomerId
        && Current.DeliveryAddress == command.DeliveryAddress
        && Current.IdempotencyKey == command.IdempotencyKey
        && Current.Items.AsSpan().SequenceEqual(command.Items.AsSpan());

    /// <summary>Postgres keeps microseconds; trimming here keeps the grain and the orders table equal.</summary>
    private DateTimeOffset Now()
    {
        var now = _time.GetUtcNow();
        return now.AddTicks(-(now.Ticks % 10));
    }
}
