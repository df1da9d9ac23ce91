using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Harness;

/// <summary>ORDERLY_PORT_OFFSET moves a checkout's local cluster off the default ports; a bad value stops every command.</summary>
public sealed class PortOffsetTests
{
    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("40000")]
    public async Task A_bad_port_offset_fails_the_command_with_a_clear_message(string offset)
    {
        var result = await Processes.RunAsync("dotnet", [Processes.HarnessDll, "status"],
            new Dictionary<string, string?> { ["ORDERLY_PORT_OFFSET"] = offset, ["ORDERLY_ROOT"] = Processes.Layout.Root });

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"ORDERLY_PORT_OFFSET must be a whole number from 0 to 30000, is '{offset}'", result.Error, StringComparison.Ordinal);
    }
}
