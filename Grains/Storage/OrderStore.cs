using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;

namespace Orderly.Grains.Storage;

/// <summary>
/// One order activation's handle on its row in the <c>orders</c> table, through the "orders" grain
/// storage provider and Orderly's schema (Grains/Storage/Schema/Migrations). It owns what the write path must
/// get right together: state is read once, on first use, not on activation; a new order is written
/// with insert-if-absent and no read before it (one statement); and <see cref="State"/> only ever
/// holds what storage has acknowledged.
/// </summary>
public sealed class OrderStore(IGrainContext grain, IGrainStorage storage, OrderStoreMetrics metrics)
{
    /// <summary>The grain storage provider holding orders (the silo registers it under this name).</summary>
    public const string StorageName = "orders";

    /// <summary>The state name; the schema routes rows whose grain type is this one to the orders table.</summary>
    public const string StateName = "order";

    private GrainState<OrderState> _stored = new(new OrderState());
    private Task? _loading;

    /// <summary>What storage holds, once <see cref="IsLoaded"/>; never a write that was not acknowledged.</summary>
    public OrderState State => _stored.State!;  // never null: created with one, and the provider creates one when the row is missing

    public bool IsLoaded { get; private set; }

    /// <summary>
    /// Reads the row once per activation; concurrent read-only calls share the one read. A read that
    /// failed is not kept: the next call reads again. (The failed task is dropped here, not when it
    /// fails: a read that fails before it yields — Npgsql's "No suitable host" when every host is
    /// known to be down — completes before <c>??=</c> stores it, so a reset inside the read would
    /// run first and the failure would be kept for the activation's life.)
    /// </summary>
    public Task LoadAsync()
    {
        if (IsLoaded)
            return Task.CompletedTask;
        if (_loading is { IsFaulted: true } or { IsCanceled: true })
            _loading = null;
        return _loading ??= ReadAsync();
    }

    /// <summary>
    /// Writes <paramref name="order"/> as new without reading first (a null ETag is insert-if-absent).
    /// False when storage already held the order: it has then been loaded, and the caller answers from it.
    /// </summary>
    public async Task<bool> TryInsertNewAsync(OrderState order)
    {
        var attempt = new GrainState<OrderState>(order);
        try
        {
            await storage.WriteStateAsync(StateName, grain.GrainId, attempt);
        }
        catch (InconsistentStateException)
        {
            // The insert changed nothing: a retried place or a repeated idempotency key.
            await LoadAsync();
            return false;
        }
        catch
        {
            DropActivation();
            throw;
        }
        Acknowledged(attempt);
        return true;
    }

    /// <summary>Writes the next state at the current ETag; <see cref="State"/> becomes it only once storage said yes.</summary>
    public async Task WriteAsync(OrderState next)
    {
        var attempt = new GrainState<OrderState>(next) { ETag = _stored.ETag, RecordExists = _stored.RecordExists };
        try
        {
            await storage.WriteStateAsync(StateName, grain.GrainId, attempt);
        }
        catch
        {
            DropActivation();
            throw;
        }
        Acknowledged(attempt);
    }

    /// <summary>True when this activation started from state handed over by a silo that was leaving.</summary>
    public bool ArrivedWarm { get; private set; }

    /// <summary>
    /// Carries the acknowledged state and its ETag to the activation that takes over (the silo is
    /// leaving). Only loaded state goes: an activation that never read has nothing durable to carry
    /// and reads on first use as always. <see cref="State"/> never holds an unacknowledged write, so
    /// what travels is exactly what storage holds.
    /// </summary>
    public void Dehydrate(IDehydrationContext migration)
    {
        if (!IsLoaded)
            return;
        migration.TryAddValue(MigratedState, _stored.State);
        migration.TryAddValue(MigratedEtag, _stored.ETag);
    }

    public void Rehydrate(IRehydrationContext migration)
    {
        if (!migration.TryGetValue(MigratedState, out OrderState? state) || state is null
            || !migration.TryGetValue(MigratedEtag, out string? etag))
            return;
        Acknowledged(new GrainState<OrderState>(state) { ETag = etag, RecordExists = etag is not null });
        ArrivedWarm = true;
        metrics.Warm();
    }

    private const string MigratedState = "orderly.order.state";
    private const string MigratedEtag = "orderly.order.etag";

    private async Task ReadAsync()
    {
        var read = new GrainState<OrderState>(new OrderState());
        metrics.Read();
        await storage.ReadStateAsync(StateName, grain.GrainId, read);
        // The document does not hold the key; the row (and so this grain) does.
        read.State!.Id = grain.GrainId.GetGuidKey(out _);
        Acknowledged(read);
    }

    private void Acknowledged(GrainState<OrderState> stored)
    {
        _stored = stored;
        IsLoaded = true;
    }

    /// <summary>
    /// A write whose outcome is unknown may or may not have reached the database; only a fresh
    /// activation reading storage knows, so this one leaves once the current call is done.
    /// </summary>
    private void DropActivation() =>
        grain.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationError, "order write failed; state reloads from storage"));

    /// <summary>Per activation: the grain asks for one in its constructor, like <c>[PersistentState]</c>.</summary>
    public static IServiceCollection Register(IServiceCollection services)
    {
        services.AddSingleton<OrderStoreMetrics>();
        return services.AddScoped(sp => new OrderStore(
            sp.GetRequiredService<IGrainContextAccessor>().GrainContext,
            sp.GetRequiredKeyedService<IGrainStorage>(StorageName),
            sp.GetRequiredService<OrderStoreMetrics>()));
    }
}
