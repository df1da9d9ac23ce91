namespace Orderly.LoadClient.Kubernetes;

/// <summary>Replicas on a sine wave between a floor and a ceiling, starting at the ceiling (so the first move is a scale-down).</summary>
public sealed record ReplicaWave(int Min, int Max, TimeSpan Period)
{
    public int At(TimeSpan t)
    {
        var level = (1 + Math.Cos(2 * Math.PI * t.TotalSeconds / Period.TotalSeconds)) / 2;
        return Min + (int)Math.Round((Max - Min) * level);
    }
}
