using System.Text;

namespace Orderly.LoadClient.Reporting;

/// <summary>
/// A plain-text table for terminals and logs: every column as wide as its widest cell, text columns
/// left-aligned, figure columns right-aligned. The one renderer behind every table Orderly prints.
/// </summary>
public sealed class TextTable
{
    private readonly (string Header, bool Right)[] _columns;
    private readonly List<string[]> _rows = [];

    /// <param name="columns">Headers; one starting with '>' is right-aligned (the '>' is not shown).</param>
    public TextTable(params string[] columns) =>
        _columns = [.. columns.Select(c => c.StartsWith('>') ? (c[1..], true) : (c, false))];

    public TextTable Add(params string[] cells)
    {
        if (cells.Length != _columns.Length)
            throw new ArgumentException($"a row needs {_columns.Length} cells, got {cells.Length}", nameof(cells));
        _rows.Add(cells);
        return this;
    }

    public override string ToString()
    {
        var widths = _columns.Select((c, i) => _rows.Select(r => r[i].Length).Append(c.Header.Length).Max()).ToArray();
        var text = new StringBuilder();
        void Line(IReadOnlyList<string> cells)
        {
            var line = new StringBuilder();
            for (var i = 0; i < cells.Count; i++)
            {
                if (i > 0)
                    line.Append("  ");
                line.Append(_columns[i].Right ? cells[i].PadLeft(widths[i]) : cells[i].PadRight(widths[i]));
            }
            text.Append(line.ToString().TrimEnd()).Append('\n');
        }
        Line([.. _columns.Select(c => c.Header)]);
        foreach (var row in _rows)
            Line(row);
        return text.ToString();
    }
}
