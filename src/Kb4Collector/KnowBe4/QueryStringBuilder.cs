using System.Globalization;
using System.Text;

namespace Kb4Collector.KnowBe4;

/// <summary>Builds <c>?a=1&amp;b=x%20y</c> with RFC 3986 escaping; skips unset values.</summary>
internal sealed class QueryStringBuilder
{
    private readonly StringBuilder _builder = new();

    public void Add(string name, string? value)
    {
        if (value is null)
        {
            return;
        }
        _builder.Append(_builder.Length == 0 ? '?' : '&')
            .Append(name)
            .Append('=')
            .Append(Uri.EscapeDataString(value));
    }

    public void Add(string name, int? value) => Add(name, value?.ToString(CultureInfo.InvariantCulture));

    public void Add(string name, bool? value) => Add(name, value switch { null => null, true => "true", false => "false" });

    public void Add(string name, DateOnly? value) => Add(name, value?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));

    public override string ToString() => _builder.ToString();
}
