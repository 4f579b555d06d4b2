using Kb4Collector.KnowBe4;

namespace Kb4Collector.Cli;

/// <summary>
/// Follows <c>meta.next_page</c> for <c>events list --all</c>, bounded by <c>--max-pages</c>. A server whose next
/// page does not move forward never gets here: the client refuses that page (<see cref="KnowBe4FailureKind.MalformedPaging"/>).
/// </summary>
internal sealed class PageWalk(EventQuery firstPage, int? maxPages)
{
    private int? _stoppedBeforePage;

    /// <summary>The query of the next page to read, or null when the walk is over.</summary>
    public EventQuery? Query { get; private set; } = firstPage;

    public int PagesRead { get; private set; }

    public void Advance(PageMeta meta)
    {
        var query = Query ?? throw new InvalidOperationException("The walk is over.");
        PagesRead++;
        Query = null;
        if (meta.NextPage is not { } next)
        {
            return;
        }
        if (PagesRead >= maxPages)
        {
            _stoppedBeforePage = next;
            return;
        }
        Query = query with { Page = next };
    }

    /// <summary>Tells the user why the walk ended early, if it did, and returns the exit code.</summary>
    public async Task<int> ReportAsync(TextWriter error)
    {
        if (_stoppedBeforePage is { } next)
        {
            await error.WriteLineAsync($"warning: stopped after {PagesRead} pages (--max-pages); more events from --page {next}");
        }
        return ExitCodes.Success;
    }
}
