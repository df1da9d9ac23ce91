using System.Security.Claims;
using Microsoft.Extensions.Options;
using Orderly.Grains.Abstractions.Orders;

namespace Orderly.Gateway.Auth;

/// <summary>
/// Who is calling, from a validated bearer token: a customer (the token's subject is the customer id)
/// or staff (the token carries <see cref="AuthOptions.StaffScope"/>). The handlers decide what each may
/// do (docs/api.md, "Who may do what"); a route handler takes it as a parameter.
/// </summary>
public sealed record Caller(string Subject, bool IsStaff)
{
    /// <summary>The customer this caller acts as; null for staff, and for a subject no customer id can be.</summary>
    public string? Customer => !IsStaff && IsCustomerId(Subject) ? Subject : null;

    /// <summary>True when this caller may see <paramref name="order"/>: staff, or the customer who placed it.</summary>
    public bool MaySee(OrderSnapshot order) => IsStaff || order.CustomerId == Customer;

    /// <summary>Minimal APIs bind the parameter from the authenticated user; the /orders routes require one.</summary>
    public static ValueTask<Caller?> BindAsync(HttpContext http) =>
        ValueTask.FromResult<Caller?>(From(http.User, http.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value.StaffScope));

    public static Caller From(ClaimsPrincipal user, string staffScope)
    {
        var subject = user.FindFirst("sub")?.Value ?? "";
        var staff = user.FindAll("scope").Concat(user.FindAll("scp"))
            .Any(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(staffScope, StringComparer.Ordinal));
        return new Caller(subject, staff);
    }

    /// <summary>The rules a customerId in a request body obeys (Contracts.cs): 1–64 characters of plain text.</summary>
    private static bool IsCustomerId(string subject) => subject.Length is > 0 and <= 64 && OrderText.IndexOfForbidden(subject) < 0;
}
