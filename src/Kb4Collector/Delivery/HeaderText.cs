namespace Kb4Collector.Delivery;

internal static class HeaderText
{
    /// <summary>HTTP header values must be ASCII; control characters (CR, LF) would split or corrupt the header.</summary>
    public static bool IsPrintableAscii(string? value)
    {
        if (value is null)
        {
            return true;
        }
        foreach (var c in value)
        {
            if (c < ' ' || c > '~')
            {
                return false;
            }
        }
        return true;
    }
}
