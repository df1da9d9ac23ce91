using System.Net;
using System.Text;

namespace Orderly.LoadClient.Reporting;

/// <summary>
/// The shell of every page Orderly writes (the experiment's report.html, the bench's bench.html): one
/// self-contained file, inline CSS and SVG, nothing to fetch, so it opens offline in any browser.
/// </summary>
public static class HtmlPage
{
    private const string Style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;color:#1f2328;padding:0 16px}
        h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:18px 0 6px} h3{font-size:14px;margin:14px 0 2px;color:#555}
        .sub{color:#666;margin-bottom:16px}
        table{border-collapse:collapse;margin:8px 0 18px}
        th,td{border-bottom:1px solid #e3e6ea;padding:5px 12px;text-align:right} th:first-child,td:first-child{text-align:left}
        thead th{background:#f6f8fa}
        .good{color:#1a7f37;font-weight:600} .bad{color:#cf222e;font-weight:600}
        .grid{display:grid;gap:24px}
        .card{border:1px solid #e3e6ea;border-radius:8px;padding:12px 14px}
        svg{display:block;max-width:100%;height:auto} .axis{stroke:#8c959f;stroke-width:1} .gridline{stroke:#eef0f2}
        .lbl{font-size:10px;fill:#57606a} .val{font-size:11px;fill:#1f2328} .legend{font-size:12px;color:#444;margin:2px 0 0}
        .sw{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px;vertical-align:-1px;border-radius:2px}
        """;

    /// <summary>Starts a page: doctype, head with the shared style (plus <paramref name="style"/>), the title as h1.</summary>
    public static StringBuilder Begin(string title, int maxWidthPx, string style = "")
    {
        var html = new StringBuilder();
        html.Append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(Enc(title)).Append("</title>\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<style>\n")
            .Append(Style).Append('\n')
            .Append("body{max-width:").Append(maxWidthPx).Append("px}\n")
            .Append(style).Append("\n</style></head><body>\n<h1>").Append(Enc(title)).Append("</h1>\n");
        return html;
    }

    /// <summary>Ends a page started with <see cref="Begin"/>.</summary>
    public static string End(StringBuilder html) => html.Append("</body></html>\n").ToString();

    /// <summary>Text made safe for HTML.</summary>
    public static string Enc(string text) => WebUtility.HtmlEncode(text);

    /// <summary>A figure in green when it meets its goal, red when not.</summary>
    public static string Verdict(bool good, string text) => $"<span class=\"{(good ? "good" : "bad")}\">{Enc(text)}</span>";
}
