using k8s;
using k8s.Models;

namespace Orderly.LoadClient.Kubernetes;

/// <summary>
/// Scales a Deployment the way production does, through its HorizontalPodAutoscaler: pinning
/// minReplicas = maxReplicas = n makes the HPA (not us) scale the Deployment, so nothing fights.
/// The original bounds are restored at the end.
/// </summary>
public sealed class HpaPinner(IKubernetes client, string @namespace, string name)
{
    private (int? Min, int Max)? _original;

    public string Name => name;

    public async Task RememberAsync(CancellationToken cancellationToken)
    {
        var hpa = await client.AutoscalingV2.ReadNamespacedHorizontalPodAutoscalerAsync(name, @namespace, cancellationToken: cancellationToken);
        _original = (hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas);
    }

    public Task PinAsync(int replicas, CancellationToken cancellationToken) => PatchAsync(replicas, replicas, cancellationToken);

    public async Task RestoreAsync(CancellationToken cancellationToken)
    {
        if (_original is { } o)
            await PatchAsync(o.Min ?? 1, o.Max, cancellationToken);
    }

    /// <summary>terminationGracePeriodSeconds of the Deployment's pods (Kubernetes' default 30).</summary>
    public async Task<int> GraceSecondsAsync(CancellationToken cancellationToken)
    {
        var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync(name, @namespace, cancellationToken: cancellationToken);
        return (int)(deployment.Spec.Template.Spec.TerminationGracePeriodSeconds ?? 30);
    }

    public async Task<int> ReadyReplicasAsync(CancellationToken cancellationToken)
    {
        var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync(name, @namespace, cancellationToken: cancellationToken);
        return deployment.Status?.ReadyReplicas ?? 0;
    }

    private Task<V2HorizontalPodAutoscaler> PatchAsync(int min, int max, CancellationToken cancellationToken) =>
        client.AutoscalingV2.PatchNamespacedHorizontalPodAutoscalerAsync(
            new V1Patch(new { spec = new { minReplicas = min, maxReplicas = max } }, V1Patch.PatchType.MergePatch),
            name, @namespace, cancellationToken: cancellationToken);
}
