using System.CommandLine;

namespace Orderly.LoadClient.Cli;

/// <summary>What every Orderly command line shares: option ranges checked at parse time, one error shape.</summary>
public static class Cli
{
    /// <summary>Rejects a value outside [min, max] at parse time, with one message shape for every option.</summary>
    public static Option<int> Within(this Option<int> option, int min, int max)
    {
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < min || r.GetValueOrDefault<int>() > max)
                r.AddError($"{option.Name} must be from {min} to {max}");
        });
        return option;
    }

    /// <summary>The Postgres every command works against; ./orderly sets it to the throwaway one unless ORDERLY_DB is given.</summary>
    public static string ConnectionString() =>
        Environment.GetEnvironmentVariable("ORDERLY_DB") is { Length: > 0 } cs ? cs
            : throw new UsageException("ORDERLY_DB is not set (./orderly sets it to the throwaway Postgres)");

    /// <summary>A results folder named by the time of the run.</summary>
    public static string TimestampedFolder(string parent, string prefix = "") =>
        Path.Combine(parent, prefix + DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Runs a command's work; an expected failure (<see cref="UsageException"/> or a subclass) is one line on stderr and exit code 1.</summary>
    public static async Task<int> RunAsync(Func<Task> action)
    {
        try
        {
            await action();
            return 0;
        }
        catch (UsageException e)
        {
            await Console.Error.WriteLineAsync($"orderly: {e.Message}");
            return 1;
        }
    }
}

/// <summary>A failure the person at the keyboard can act on: printed as one line, exit code 1, no stack trace.</summary>
public class UsageException(string message) : Exception(message);
