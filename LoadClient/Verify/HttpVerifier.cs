using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Orderly.LoadClient.Load;

namespace Orderly.LoadClient.Verify;

/// <summary>
/// Verification through the public API, for places where the load client may not reach the database
/// (Kubernetes): every acknowledged order must read back at (at least) the version its user was told.
/// </summary>
public static class HttpVerifier
{
    /// <remarks>Each order is read as the customer who placed it would read it.</remarks>
    public static async Task<Verification> VerifyAsync(Uri target, IReadOnlyCollection<AcknowledgedOrder> acknowledged, BearerTokens tokens, CancellationToken cancellationToken = default)
    {
        using var http = new HttpClient { BaseAddress = target, Timeout = TimeSpan.FromSeconds(30) };
        var problems = new ConcurrentBag<string>();
        var lost = new ConcurrentBag<Guid>();
        await Parallel.ForEachAsync(acknowledged, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (order, ct) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/orders/{order.Id}");
            request.Headers.Authorization = await tokens.HeaderAsync(order.CustomerId, ct);
            using var response = await http.SendAsync(request, ct);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                lost.Add(order.Id);
                problems.Add($"lost: {order.Id} acknowledged at version {order.Version}, not found");
                return;
            }
            response.EnsureSuccessStatusCode();
            var version = (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("version").GetInt32();
            if (version < order.Version)
            {
                lost.Add(order.Id);
                problems.Add($"lost: {order.Id} acknowledged at version {order.Version}, reads version {version}");
            }
        });
        // Duplicates need the orders table (one Idempotency-Key, several rows): not visible through the API.
        return new Verification([.. lost], Duplicated: -1, [.. problems.Take(Verification.ExamplesShown)]);
    }
}
