using System.Diagnostics;
using k8s;
using k8s.Models;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Kubernetes;

/// <summary>An overlay rendered by kustomize (kubectl kustomize) and parsed strictly into Kubernetes' own models.</summary>
public sealed class Manifests
{
    private Manifests(string overlay, IReadOnlyList<object> objects)
    {
        Overlay = overlay;
        Objects = objects;
    }

    public string Overlay { get; }
    public IReadOnlyList<object> Objects { get; }

    public static string K8sDir => Path.Combine(TestDatabase.Layout.Root, "k8s");

    /// <summary>An overlay, by its name under k8s/overlays.</summary>
    public static Task<Manifests> RenderAsync(string overlay) => RenderDirAsync(Path.Combine("overlays", overlay));

    /// <summary>Any kustomization, by its folder under k8s (e.g. "schema").</summary>
    public static async Task<Manifests> RenderDirAsync(string dir)
    {
        var yaml = await KustomizeAsync(Path.Combine(K8sDir, dir));
        // strict: a field the Kubernetes API does not know (a typo, a mis-indented block) fails here.
        return new Manifests(dir, KubernetesYaml.LoadAllFromString(yaml, strict: true));
    }

    public static async Task<string> KustomizeAsync(string dir)
    {
        var psi = new ProcessStartInfo("kubectl", ["kustomize", dir]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"kubectl kustomize {dir} failed: {await error}");
        return await output;
    }

    public IEnumerable<T> All<T>() => Objects.OfType<T>();

    public T? Find<T>(string name) where T : IKubernetesObject<V1ObjectMeta> => All<T>().FirstOrDefault(o => o.Metadata.Name == name);

    public T Get<T>(string name) where T : IKubernetesObject<V1ObjectMeta> =>
        Find<T>(name) ?? throw new InvalidOperationException($"{Overlay}: no {typeof(T).Name} named {name}");
}
