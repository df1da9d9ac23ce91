using System.Diagnostics;

namespace Orderly.Tests.Infrastructure;

/// <summary>A real browser, headless, on a local file: its DOM after scripts ran, or a screenshot.</summary>
public static class HeadlessChromium
{
    /// <summary>Runs Chromium on <paramref name="file"/> with <paramref name="args"/> (--dump-dom, --screenshot=…); its stdout.</summary>
    public static async Task<string> RunAsync(string file, params string[] args)
    {
        var profile = Directory.CreateTempSubdirectory("chromium-");
        try
        {
            var psi = new ProcessStartInfo("chromium") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync", $"--user-data-dir={profile.FullName}" })
                psi.ArgumentList.Add(a);
            foreach (var a in args)
                psi.ArgumentList.Add(a);
            psi.ArgumentList.Add(new Uri(file).AbsoluteUri);
            using var process = Process.Start(psi)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, await stderr);
            return await stdout;
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }
}
