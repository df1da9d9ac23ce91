using System.Text.RegularExpressions;

namespace Orderly.Tests.Monitoring;

/// <summary>
/// The series names a PromQL expression reads: identifiers that are not functions (followed by '('),
/// keywords, label names (inside braces or by/on/without/ignoring lists) or durations. Recording-rule
/// names (with ':') are kept; callers tell them from exported series.
/// </summary>
public static partial class PromQl
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset", "bool", "inf", "nan", "atan2",
    };

    public static IReadOnlySet<string> SeriesNames(string expr)
    {
        var text = Strings().Replace(expr, "\"\"");
        text = Matchers().Replace(text, " ");
        text = Ranges().Replace(text, " ");
        text = LabelLists().Replace(text, " ");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in Identifier().Matches(text))
        {
            var rest = text.AsSpan(m.Index + m.Length).TrimStart();
            if (rest.Length > 0 && rest[0] == '(')
                continue; // a function or an aggregation
            if (!Keywords.Contains(m.Value.ToLowerInvariant()))
                names.Add(m.Value);
        }
        return names;
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex LabelLists();

    // Not after a digit, a dot or a word character: "5m" and "0.99" hold no name.
    [GeneratedRegex(@"(?<![\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex Identifier();
}
