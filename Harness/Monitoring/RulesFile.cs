using YamlDotNet.RepresentationModel;

namespace Orderly.Harness.Monitoring;

/// <summary>
/// Orderly's alerts and recording rules have one source, the PrometheusRule in
/// k8s/monitoring/prometheus-rule.yaml; its <c>.spec</c> is a plain Prometheus rules file. This cuts it
/// out for the local Prometheus and for promtool, so what runs locally is what the Prometheus Operator loads.
/// </summary>
public static class RulesFile
{
    public static string Source(string root) => Path.Combine(root, "k8s", "monitoring", "prometheus-rule.yaml");

    /// <summary>The rules file (YAML, <c>groups:</c> at the top) inside the PrometheusRule at <paramref name="source"/>.</summary>
    public static string Extract(string source)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(source))
            stream.Load(reader);
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root
            || !root.Children.TryGetValue(new YamlScalarNode("kind"), out var kind) || kind.ToString() != "PrometheusRule"
            || !root.Children.TryGetValue(new YamlScalarNode("spec"), out var spec))
            throw new InvalidDataException($"{source} is not one PrometheusRule with a spec");
        using var writer = new StringWriter();
        new YamlStream(new YamlDocument(spec)).Save(writer, assignAnchors: false);
        // YamlDotNet closes the document with "...", which Prometheus' parser reads as the end of the stream anyway.
        return writer.ToString();
    }

    /// <summary>Writes the extracted rules to <paramref name="destination"/> and returns its path.</summary>
    public static string WriteTo(string root, string destination)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        File.WriteAllText(destination, Extract(Source(root)));
        return destination;
    }
}
