namespace Kb4Collector.Tests.Drills;

/// <summary>What each drill measured, in the test output and appended to <c>TestResults/drills.txt</c> beside the test binaries.</summary>
internal static class DrillReport
{
    private static readonly Lock s_gate = new();

    public static void Write(string line)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        var folder = Path.Combine(AppContext.BaseDirectory, "TestResults");
        Directory.CreateDirectory(folder);
        lock (s_gate)
        {
            File.AppendAllText(Path.Combine(folder, "drills.txt"), $"{DateTime.UtcNow:u} {TestContext.Current.Test?.TestDisplayName}: {line}{Environment.NewLine}");
        }
    }
}
