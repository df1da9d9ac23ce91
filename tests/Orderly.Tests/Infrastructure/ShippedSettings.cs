using Microsoft.Extensions.Configuration;
using Orderly.Gateway.Silos;
using Orleans.Configuration;

namespace Orderly.Tests.Infrastructure;

/// <summary>The shipped settings, as a silo and a gateway read them.</summary>
public static class ShippedSettings
{
    private static IConfiguration Read(string project) => new ConfigurationBuilder()
        .AddJsonFile(Path.Combine(Processes.Layout.Root, project, "appsettings.json"), optional: false)
        .Build();

    public static ClusterMembershipOptions Membership() =>
        Read("Silo").GetSection("Orleans:Membership").Get<ClusterMembershipOptions>() ?? new();

    public static SiloMessagingOptions Messaging() =>
        Read("Silo").GetSection("Orleans:Messaging").Get<SiloMessagingOptions>() ?? new();

    public static GrainCallOptions GrainCalls() =>
        Read("Gateway").GetSection(GrainCallOptions.Section).Get<GrainCallOptions>() ?? new();
}
