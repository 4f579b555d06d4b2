using Kb4Collector.Cli;
using Kb4Collector.Demo;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.Demo;

/// <summary><c>demo --follow</c> runs until Ctrl+C (the invocation's cancellation), then stops cleanly and still checks what arrived.</summary>
public sealed class DemoFollowTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly TempSourceFolder _output = new();

    [Fact]
    public async Task Ctrl_C_stops_a_following_demo_gracefully_and_prints_the_summary()
    {
        using var output = new LockedStringWriter();
        using var error = new LockedStringWriter();
        using var ctrlC = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var run = CommandLine.InvokeAsync(["demo", "--follow", "--output", _output.Path], output, error, ctrlC.Token);

        // The source reads Collecting from its first page on; once its first poll completed there is something to check.
        var started = TimeProvider.System.GetTimestamp();
        while (!output.Text.Split('\n').Any(line => line.Contains("  Collecting ", StringComparison.Ordinal) && !line.Contains(DemoSummary.FirstPollUnderWay, StringComparison.Ordinal)) && !run.IsCompleted)
        {
            Assert.True(TimeProvider.System.GetElapsedTime(started) < Bound, "the first poll did not complete: " + output.Text + error.Text);
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
        Assert.Contains("Collecting until Ctrl+C.", output.Text, StringComparison.Ordinal);
        await ctrlC.CancelAsync();
        var exitCode = await run.WaitAsync(Bound, TestContext.Current.CancellationToken);

        Assert.True(exitCode == ExitCodes.Success, output.Text + error.Text);
        Assert.Contains("Stop requested (Ctrl+C): stopping the collector gracefully", output.Text, StringComparison.Ordinal);
        Assert.Contains("stopped on request", output.Text, StringComparison.Ordinal);
        Assert.Contains("0 missing, 0 duplicates", output.Text, StringComparison.Ordinal);
        Assert.Contains("Stopping", await File.ReadAllTextAsync(_output.PathOf("daemon.log"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.DoesNotContain(DemoCommandTests.DemoKeyIn(_output.PathOf("sources/demo.json")), output.Text, StringComparison.Ordinal);
    }

    public void Dispose() => _output.Dispose();
}
