using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Orderly.ServiceDefaults.Hosting;

/// <summary>
/// Settings that were renamed refuse to start when given under their old name: bound to nothing, an old
/// key would otherwise be ignored without a word and its default used instead.
/// </summary>
public static class RenamedSettings
{
    /// <summary>Throws (a configuration error, exit code 2) when any old key or section is present, naming its new name.</summary>
    public static void Refuse(IConfiguration configuration, params (string Old, string New)[] renamed)
    {
        var given = renamed
            .Where(r => configuration.GetSection(r.Old) is var s && (s.Value is not null || s.GetChildren().Any()))
            .Select(r => $"{r.Old} is now {r.New}")
            .ToList();
        if (given.Count > 0)
            throw new OptionsValidationException(Options.DefaultName, typeof(RenamedSettings), given);
    }
}
