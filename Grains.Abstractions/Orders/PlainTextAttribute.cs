using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace Orderly.Grains.Abstractions.Orders;

/// <summary>
/// The text an order may hold (<see cref="OrderText"/>): no control characters, no unpaired
/// surrogates. The 400 names the field and the first character refused, so a client can find it.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class PlainTextAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        if (value is not string text || OrderText.IndexOfForbidden(text) is var at && at < 0)
            return ValidationResult.Success;
        return new ValidationResult(
            string.Create(CultureInfo.InvariantCulture,
                $"{validationContext.DisplayName} must not contain control characters (U+0000–U+001F, U+007F–U+009F) or unpaired surrogates; found U+{(int)text[at]:X4} at position {at}."),
            validationContext.MemberName is { } member ? [member] : null);
    }
}
