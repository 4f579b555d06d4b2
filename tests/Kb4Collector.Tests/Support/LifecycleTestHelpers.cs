using Kb4Collector.Health;
using Kb4Collector.KnowBe4;
using Kb4Collector.Lifecycle;
using Kb4Collector.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kb4Collector.Tests.Support;

/// <summary>A temporary data directory for a real LiteDB file, removed on dispose.</summary>
public sealed class LifecycleTempFolder : IDisposable
{
    public LifecycleTempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kb4-lifecycle-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>A source whose polls fail or succeed as a function of the fake clock, recording every call.</summary>
public sealed class ScriptedSource(TimeProvider time)
{
    private readonly List<DateTimeOffset> _polls = [];

    /// <summary>The times of every poll so far (a copy; the loop may be polling on another thread).</summary>
    public IReadOnlyList<DateTimeOffset> Polls
    {
        get
        {
            lock (_polls)
            {
                return [.. _polls];
            }
        }
    }

    public int Initializations { get; private set; }

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>What the poll at a given time throws; null means it succeeds.</summary>
    public Func<DateTimeOffset, Exception?> PollFailure { get; set; } = _ => null;

    public Func<Exception?> InitializeFailure { get; set; } = () => null;

    /// <summary>A poll that makes no call because a per-key limit says wait (null: the poll runs).</summary>
    public Func<DateTimeOffset, TimeSpan?> DeferredFor { get; set; } = _ => null;

    public SourceWork Work(string fingerprint = "config-v1") => new(
        _ =>
        {
            Initializations++;
            return InitializeFailure() is { } failure ? ValueTask.FromException(failure) : ValueTask.CompletedTask;
        },
        (_, _) =>
        {
            var now = time.GetUtcNow();
            lock (_polls)
            {
                _polls.Add(now);
            }

            if (DeferredFor(now) is { } wait)
            {
                return ValueTask.FromResult(new PollResult(wait, Deferred: true));
            }
            return PollFailure(now) is { } failure
                ? ValueTask.FromException<PollResult>(failure)
                : ValueTask.FromResult(new PollResult(PollInterval));
        },
        fingerprint);

    public static KnowBe4ApiException Api(KnowBe4FailureKind kind, int? status, TimeSpan? retryAfter = null) =>
        new(kind, "GET /events", status, $"GET /events answered {status}", retryAfter);
}

/// <summary>One supervisor over a real LiteDB file, driven step by step on a fake clock.</summary>
public sealed class SupervisorHarness : IDisposable
{
    public static readonly SourceIdentity Source = new("src-1", "KnowBe4 events");

    public SupervisorHarness(string dataDirectory, FakeTimeProvider time, SourceWork work, SupervisorOptions? options = null)
    {
        Time = time;
        Database = CollectorDatabase.Open(dataDirectory);
        Health = new HealthEventStore(Database);
        Supervisor = new SourceSupervisor(
            Source, work, Database, Health, options ?? new SupervisorOptions { CollectorName = "test-collector" },
            time, NullLogger<SourceSupervisor>.Instance, new Random(1234));
    }

    public FakeTimeProvider Time { get; }

    public CollectorDatabase Database { get; }

    public HealthEventStore Health { get; }

    public SourceSupervisor Supervisor { get; }

    public SourceStatus Status => Supervisor.Status;

    /// <summary>Does what <see cref="SourceSupervisor.RunAsync"/> would do up to <paramref name="until"/>, jumping the clock from one due time to the next.</summary>
    public async Task DriveUntilAsync(DateTimeOffset until)
    {
        for (var step = 0; step < 100_000; step++)
        {
            var due = await Supervisor.StepAsync(TestContext.Current.CancellationToken);
            var now = Time.GetUtcNow();
            if (due is null || due > until)
            {
                if (until > now)
                {
                    Time.SetUtcNow(until);
                }

                return;
            }

            if (due > now)
            {
                Time.SetUtcNow(due.Value);
            }
        }

        throw new InvalidOperationException("The supervisor did not settle within 100,000 steps.");
    }

    public void Dispose() => Database.Dispose();
}

public static class LifecycleTestWaits
{
    /// <summary>Waits (bounded) for a condition reached by another task; <paramref name="nudge"/> runs before every check.</summary>
    public static async Task UntilAsync(Func<bool> condition, Action? nudge = null, int maxTries = 2_000)
    {
        for (var i = 0; i < maxTries; i++)
        {
            nudge?.Invoke();
            if (condition())
            {
                return;
            }

            await Task.Delay(2, TestContext.Current.CancellationToken);
        }

        Assert.Fail("The condition was not reached in time.");
    }
}
