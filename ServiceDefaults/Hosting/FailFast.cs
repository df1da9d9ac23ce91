using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Orderly.ServiceDefaults.Hosting;

/// <summary>
/// Runs a host and turns a start-up failure (bad option, unreachable database, port in use) into one
/// line on stderr and a non-zero exit code, instead of a stack trace in the middle of the log.
/// </summary>
public static class FailFast
{
    public const int ConfigurationError = 2;
    public const int StartupError = 3;

    public static async Task<int> RunAsync(string name, Func<Task> run)
    {
        try
        {
            await run();
            await Console.Out.WriteLineAsync($"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {name}: exit 0");
            return 0;
        }
        // HostAbortedException is how test hosts (WebApplicationFactory) stop Program after Build(): not a failure.
        catch (Exception e) when (e is not Microsoft.Extensions.Hosting.HostAbortedException && Describe(e) is { } problem)
        {
            await Console.Error.WriteLineAsync($"{name}: failed to start: {problem.Message}");
            return problem.ExitCode;
        }
    }

    private static (string Message, int ExitCode)? Describe(Exception e)
    {
        for (var current = e; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case OptionsValidationException v:
                    return (string.Join("; ", v.Failures), ConfigurationError);
                case StartupException s:
                    return (s.Message, StartupError);
                case IOException { InnerException: SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } } io:
                    return (io.Message, StartupError);
                case SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } se:
                    return ($"address already in use: {se.Message}", StartupError);
            }
        }
        // Anything else during start-up is still fatal: say what it was, on one line.
        return ($"{e.GetType().Name}: {e.Message}", StartupError);
    }
}
