using System.ComponentModel.DataAnnotations;

namespace Orderly.ServiceDefaults.Shutdown;

public enum ShutdownProfile
{
    /// <summary>The shutdown timeline of docs/shutdown.md: readiness flips at SIGTERM, drain window, retries.</summary>
    Graceful,
    /// <summary>What a team gets out of the box: the host stops at SIGTERM, no drain, no readiness flip, no retries.</summary>
    Naive,
}

/// <summary>How this process leaves. Section "Shutdown"; the profile is the one switch the runner and k8s set.</summary>
public sealed class ShutdownOptions : IValidatableObject
{
    public const string Section = "Shutdown";

    public ShutdownProfile Profile { get; set; } = ShutdownProfile.Graceful;

    /// <summary>
    /// After SIGTERM, how long the process keeps serving while the load balancer notices it is not
    /// ready (X in docs/shutdown.md). Gateways need it; silos announce their departure through membership.
    /// </summary>
    [Range(0, 600)]
    public int DrainSeconds { get; set; } = 15;

    /// <summary>Once stopping: how long in-flight work (requests, grain deactivation) may take before the host gives up.</summary>
    [Range(1, 600)]
    public int StopTimeoutSeconds { get; set; } = 20;

    public bool IsGraceful => Profile == ShutdownProfile.Graceful;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Enum.IsDefined(Profile))
            yield return new ValidationResult("Shutdown:Profile must be Graceful or Naive", [nameof(Profile)]);
    }
}
