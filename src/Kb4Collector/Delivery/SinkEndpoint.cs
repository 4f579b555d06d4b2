namespace Kb4Collector.Delivery;

/// <summary>Describes a sink URL for messages and logs without anything that works as a credential.</summary>
internal static class SinkEndpoint
{
    public const string Mask = "********";

    private const string SumoReceiverPath = "/receiver/v1/http/";

    /// <summary>
    /// Scheme, host, port and path; no user info, no query. The collector code of a Sumo HTTP source URL
    /// (<c>/receiver/v1/http/&lt;code&gt;</c>) is a bearer credential, so it is masked too.
    /// </summary>
    public static string Describe(Uri url)
    {
        if (!url.IsAbsoluteUri)
        {
            return Mask;
        }
        var path = url.AbsolutePath;
        var receiver = path.IndexOf(SumoReceiverPath, StringComparison.OrdinalIgnoreCase);
        if (receiver >= 0 && path.Length > receiver + SumoReceiverPath.Length)
        {
            path = string.Concat(path.AsSpan(0, receiver + SumoReceiverPath.Length), Mask);
        }
        return $"{url.Scheme}://{url.Authority}{path}";
    }

    /// <summary>Removes the token and the secret parts of the URL from text that came from elsewhere (server answers, exception messages).</summary>
    public static string Redact(string text, Uri url, string? token)
    {
        if (!string.IsNullOrEmpty(token))
        {
            text = text.Replace(token, Mask, StringComparison.Ordinal);
        }
        if (url.IsAbsoluteUri)
        {
            text = text.Replace(url.AbsoluteUri, Describe(url), StringComparison.OrdinalIgnoreCase);
            // Describe drops the query because it may carry a credential (?token=…); an answer echoing it must not show it either.
            foreach (var pair in url.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var value = pair[(pair.IndexOf('=', StringComparison.Ordinal) + 1)..];
                foreach (var form in new[] { value, Uri.UnescapeDataString(value) }.Where(form => form.Length >= 4))
                {
                    text = text.Replace(form, Mask, StringComparison.Ordinal);
                }
            }
            var path = url.AbsolutePath;
            var receiver = path.IndexOf(SumoReceiverPath, StringComparison.OrdinalIgnoreCase);
            if (receiver >= 0 && path.Length > receiver + SumoReceiverPath.Length)
            {
                var code = path[(receiver + SumoReceiverPath.Length)..].TrimEnd('/');
                if (code.Length > 0)
                {
                    text = text.Replace(code, Mask, StringComparison.Ordinal);
                }
            }
        }
        return text;
    }
}
