using Kb4Collector.Lifecycle;

namespace Kb4Collector.Tests.Lifecycle;

public sealed class SourceLifecycleGraphTests
{
    [Fact]
    public void TheMermaidGraphMatchesTheCommittedCopy()
    {
        var committedPath = Path.Combine(RepositoryRoot(), "src", "Kb4Collector", "Lifecycle", "SourceLifecycle.mmd");
        var actual = Normalise(new SourceLifecycle().ToMermaidGraph());

        Assert.True(File.Exists(committedPath), $"Missing {committedPath}. The graph is:\n{actual}");
        Assert.Equal(Normalise(File.ReadAllText(committedPath)), actual);
    }

    // Line by line without surrounding whitespace, so an editor's tabs-to-spaces or line endings do not matter.
    private static string Normalise(string text) =>
        string.Join('\n', text.ReplaceLineEndings("\n").Trim().Split('\n').Select(line => line.Trim()));

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Kb4Collector.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Kb4Collector.sln not found above " + AppContext.BaseDirectory);
    }
}
