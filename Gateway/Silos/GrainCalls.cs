using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Orderly.ServiceDefaults.Observability;
using Orderly.ServiceDefaults.Shutdown;
using Polly;
using Polly.Registry;
using Polly.Retry;
using Polly.Timeout;

namespace Orderly.Gateway.Silos;

/// <summary>The retry budget for grain calls (graceful profile). Section "GrainCalls".</summary>
public sealed class GrainCallOptions : IValidatableObject
{
    public const string Section = "GrainCalls";

    /// <summary>
    /// Retries after the first attempt. High enough that the time budget, not the count, ends a call:
    /// while four silos leave at once every attempt can fail at once, and 8 retries were spent in 4 s.
    /// </summary>
    [Range(0, 50)]
    public int MaxRetries { get; set; } = 20;

    /// <summary>Total time for all attempts; past it the client gets 503 with Retry-After.</summary>
    [Range(1, 120)]
    public double BudgetSeconds { get; set; } = 10;

    /// <summary>One attempt's limit: a silo that died without saying so must not hold a request for long.</summary>
    [Range(0.1, 60)]
    public double AttemptTimeoutSeconds { get; set; } = 3;

    /// <summary>First backoff; exponential with jitter after that.</summary>
    [Range(1, 10_000)]
    public int FirstDelayMilliseconds { get; set; } = 50;

    [Range(1, 30_000)]
    public int MaxDelayMilliseconds { get; set; } = 1000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (AttemptTimeoutSeconds > BudgetSeconds)
            yield return new ValidationResult("GrainCalls:AttemptTimeoutSeconds must not exceed GrainCalls:BudgetSeconds", [nameof(AttemptTimeoutSeconds)]);
    }
}

/// <summary>
/// Runs grain calls through the resilience pipeline. Graceful: transient failures (<see cref="Failures"/>:
/// a silo leaving or gone, rejected messages, broken connections, timeouts) are retried within the
/// budget — safe because every mutating command carries an id the grain remembers; a failure no retry
/// can fix (bad data, a bug) is not retried at all. Naive: one attempt.
/// </summary>
public sealed partial class GrainCalls(ResiliencePipelineProvider<string> pipelines, OrderlyMetrics metrics)
{
    public const string PipelineName = "grain-calls";

    /// <summary>How many retries one call needed; set by the retry strategy, read when the call ends.</summary>
    internal static readonly ResiliencePropertyKey<int> Retries = new("orderly.retries");

    private readonly ResiliencePipeline _pipeline = pipelines.GetPipeline(PipelineName);

    public async ValueTask<T> Run<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            var outcome = await _pipeline.ExecuteOutcomeAsync(static async (ctx, call) =>
            {
                try
                {
                    return Outcome.FromResult(await call(ctx.CancellationToken));
                }
                catch (Exception e)
                {
                    return Outcome.FromException<T>(e);
                }
            }, context, call);
            if (context.Properties.GetValue(Retries, 0) > 0)
                metrics.GrainCallOutcomes.Add(1, new KeyValuePair<string, object?>("outcome", outcome.Exception is null ? "recovered" : "exhausted"));
            outcome.ThrowIfException();
            return outcome.Result!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }


    [LoggerMessage(EventId = 9101, Level = LogLevel.Information, Message = "grain call retry {Attempt} after {Failure}, waiting {Delay}")]
    internal static partial void LogRetry(ILogger logger, int attempt, string failure, TimeSpan delay);
}

public static class GrainCallsRegistration
{
    public static IServiceCollection AddGrainCalls(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GrainCallOptions>()
            .Bind(configuration.GetSection(GrainCallOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<GrainCalls>();
        services.AddResiliencePipeline(GrainCalls.PipelineName, (pipeline, context) =>
        {
            if (!context.ServiceProvider.GetRequiredService<IOptions<ShutdownOptions>>().Value.IsGraceful)
                return; // naive: framework default, a single attempt
            var o = context.ServiceProvider.GetRequiredService<IOptions<GrainCallOptions>>().Value;
            var log = context.ServiceProvider.GetRequiredService<ILogger<GrainCalls>>();
            var metrics = context.ServiceProvider.GetRequiredService<OrderlyMetrics>();
            pipeline
                .AddTimeout(TimeSpan.FromSeconds(o.BudgetSeconds))
                .AddRetry(new RetryStrategyOptions
                {
                    ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e
                        && (Failures.IsTransient(e) || (e is OperationCanceledException && !args.Context.CancellationToken.IsCancellationRequested))),
                    MaxRetryAttempts = o.MaxRetries,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = TimeSpan.FromMilliseconds(o.FirstDelayMilliseconds),
                    MaxDelay = TimeSpan.FromMilliseconds(o.MaxDelayMilliseconds),
                    OnRetry = args =>
                    {
                        var failure = args.Outcome.Exception is { } failed ? Failures.NameOf(failed) : "no result";
                        args.Context.Properties.Set(GrainCalls.Retries, args.AttemptNumber + 1);
                        metrics.GrainCallRetries.Add(1, new KeyValuePair<string, object?>("error.type", failure));
                        GrainCalls.LogRetry(log, args.AttemptNumber + 1, failure, args.RetryDelay);
                        return ValueTask.CompletedTask;
                    },
                })
                .AddTimeout(TimeSpan.FromSeconds(o.AttemptTimeoutSeconds));
        });
        return services;
    }
}
