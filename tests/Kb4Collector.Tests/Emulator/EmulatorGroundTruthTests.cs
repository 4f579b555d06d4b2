using System.Net;
using System.Text;
using Kb4Collector.Emulator;
using Kb4Collector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Kb4Collector.Tests.Emulator;

public sealed class EmulatorGroundTruthTests
{
    private static EmulatorScenario Busy(int seed) => new()
    {
        Accounts =
        [
            new EmulatorAccountSpec { Name = "Acme", AccountId = 52306, Seats = 50 },
            new EmulatorAccountSpec { Name = "Globex", Seats = 20 },
        ],
        Backlog = new EmulatorBacklog { Events = 400, Days = 5 },
        Arrivals = new EmulatorArrivals
        {
            PerMinute = 60,
            BackdatedFraction = 0.2,
            BackdatedMaxDays = 3,
            SameMillisecondFraction = 0.1,
            DeletionsPerMinute = 3,
        },
        Limits = EmulatorLimits.Off,
        Seed = seed,
    };

    [Fact]
    public async Task ArrivalsBackdatingCollisionsAndDeletionsMaterialiseWhenTheFakeClockMoves()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(Busy(seed: 5), clock);
        using var client = EmulatorTestHelpers.Client(emulator);

        var atStart = emulator.GroundTruth.AllEvents();
        clock.Advance(TimeSpan.FromMinutes(20));
        var later = emulator.GroundTruth.AllEvents();
        var arrivals = later.Where(e => e.CreatedAt > EmulatorTestHelpers.Start).ToList();

        Assert.Equal(400, atStart.Count);
        Assert.All(atStart, e => Assert.True(e.CreatedAt < EmulatorTestHelpers.Start));
        Assert.All(atStart, e => Assert.InRange(e.OccurredDate, EmulatorTestHelpers.Start.AddDays(-5), EmulatorTestHelpers.Start));
        Assert.InRange(arrivals.Count, 900, 1500);
        Assert.All(arrivals, e => Assert.True(e.CreatedAt <= clock.GetUtcNow()));
        Assert.All(arrivals, e => Assert.True(e.OccurredDate <= e.CreatedAt));
        var backdated = arrivals.Count(e => e.OccurredDate.UtcDateTime.Date < e.CreatedAt.UtcDateTime.Date);
        Assert.InRange(backdated, arrivals.Count / 10, arrivals.Count * 3 / 10);
        Assert.All(arrivals, e => Assert.True(e.OccurredDate >= e.CreatedAt.UtcDateTime.Date.AddDays(-3)));
        var sharedMillisecond = arrivals.Count(e => arrivals.Any(other => other.Id != e.Id && other.AccountId == e.AccountId && other.OccurredDate == e.OccurredDate));
        Assert.True(sharedMillisecond > arrivals.Count / 20, $"only {sharedMillisecond} arrivals share a millisecond");
        var deleted = later.Where(e => e.IsDeleted).ToList();
        Assert.InRange(deleted.Count, 30, 100);
        Assert.All(deleted, e => Assert.True(e.DeletedAt > e.CreatedAt));
        Assert.Equal(2, later.Select(e => e.Account).Distinct().Count());

        var acmeLive = emulator.GroundTruth.LiveEvents("Acme");
        var (_, page) = await client.GetJsonAsync("events?per_page=1");
        Assert.Equal(acmeLive.Count, page.Meta().GetProperty("total_pages").GetInt32());
        var (deletedStatus, _) = await client.GetJsonAsync($"events/{deleted.First(e => e.Account == "Acme").Id}");
        Assert.Equal(HttpStatusCode.NotFound, deletedStatus);
        var newest = acmeLive.OrderByDescending(e => e.OccurredDate).ThenByDescending(e => e.Id, StringComparer.Ordinal).First();
        Assert.Equal(newest.Id, page.Ids()[0]);
    }

    [Fact]
    public async Task SameSeedAndClockGiveIdenticalGroundTruthAndAnotherSeedDoesNot()
    {
        async Task<(IReadOnlyList<GroundTruthEvent> Events, string Key)> RunAsync(int seed, bool pollInBetween)
        {
            var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
            await using var emulator = await EmulatorTestHelpers.StartAsync(Busy(seed), clock);
            using var client = EmulatorTestHelpers.Client(emulator);
            for (var minute = 0; minute < 10; minute++)
            {
                clock.Advance(TimeSpan.FromMinutes(1));
                if (pollInBetween)
                {
                    // Materialising in different slices must not change what is generated.
                    await client.GetJsonAsync("events?per_page=5");
                }
            }
            return (emulator.GroundTruth.AllEvents(), emulator.ApiKey);
        }

        var first = await RunAsync(11, pollInBetween: true);
        var second = await RunAsync(11, pollInBetween: false);
        var other = await RunAsync(12, pollInBetween: false);

        Assert.Equal(first.Key, second.Key);
        Assert.Equal(first.Events.Count, second.Events.Count);
        for (var i = 0; i < first.Events.Count; i++)
        {
            var (a, b) = (first.Events[i], second.Events[i]);
            Assert.Equal((a.Id, a.Account, a.AccountId, a.OccurredDate, a.CreatedAt, a.DeletedAt), (b.Id, b.Account, b.AccountId, b.OccurredDate, b.CreatedAt, b.DeletedAt));
            Assert.True(a.Json.Span.SequenceEqual(b.Json.Span));
        }
        Assert.NotEqual(first.Key, other.Key);
        Assert.Empty(first.Events.Select(e => e.Id).Intersect(other.Events.Select(e => e.Id)));
    }

    [Fact]
    public async Task GroundTruthRoutesNeedNoKeyAndAreNotCalls()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(
            EmulatorTestHelpers.Quiet(backlog: 30) with { Limits = new EmulatorLimits { RequestsPerSecond = 1, CallsPerSeatPerDay = 1 } }, clock);
        using var client = EmulatorTestHelpers.Client(emulator);
        using var anonymous = new HttpClient { BaseAddress = emulator.BaseUrl };
        var deletedId = emulator.GroundTruth.AllEvents()[0].Id;
        Assert.True(emulator.DeleteEvent(deletedId));
        var (ok, _) = await client.GetJsonAsync("events");
        var (limited, _) = await client.GetJsonAsync("events");

        var (truthStatus, truth) = await anonymous.GetJsonAsync("__emulator/ground-truth");
        var (_, live) = await anonymous.GetJsonAsync("__emulator/ground-truth?live=true");
        var (_, otherAccount) = await anonymous.GetJsonAsync("__emulator/ground-truth?account=Nobody");
        var (callsStatus, calls) = await anonymous.GetJsonAsync("__emulator/calls");
        using var accountsResponse = await anonymous.GetAsync("__emulator/accounts", TestContext.Current.CancellationToken);
        var accountsText = Encoding.UTF8.GetString(await accountsResponse.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited);
        Assert.Equal(HttpStatusCode.OK, truthStatus);
        var events = truth.RootElement.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(30, events.Count);
        Assert.Equal(29, live.RootElement.GetProperty("events").GetArrayLength());
        Assert.Equal(0, otherAccount.RootElement.GetProperty("events").GetArrayLength());
        var deleted = events.Single(e => e.GetProperty("id").GetString() == deletedId);
        Assert.Equal("2025-03-10T12:00:00.000Z", deleted.GetProperty("deletedAt").GetString());
        Assert.All(events, e => Assert.Equal(e.GetProperty("id").GetString(), e.GetProperty("event").GetProperty("id").GetString()));
        var truthBytes = emulator.GroundTruth.AllEvents().ToDictionary(e => e.Id, e => Encoding.UTF8.GetString(e.Json.Span));
        Assert.All(events, e => Assert.Equal(truthBytes[e.GetProperty("id").GetString()!], e.GetProperty("event").GetRawText()));

        Assert.Equal(HttpStatusCode.OK, callsStatus);
        var key = calls.RootElement.GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("keyName").GetString() == "Acme key 1");
        Assert.Equal(2, key.GetProperty("requests").GetInt32());
        Assert.Equal(1, key.GetProperty("calls").GetInt32());
        Assert.Equal(1, calls.RootElement.GetProperty("tooManyRequests").GetProperty("rate").GetInt32());
        Assert.Equal(0, calls.RootElement.GetProperty("tooManyRequests").GetProperty("quota").GetInt32());
        Assert.Equal(1, emulator.GroundTruth.CallsByKey["Acme key 1"].Calls);
        Assert.Equal(HttpStatusCode.OK, accountsResponse.StatusCode);
        Assert.Contains("\"keyNames\":[\"Acme key 1\",\"Acme key 2\"]", accountsText, StringComparison.Ordinal);
        Assert.DoesNotContain("test-key-1", accountsText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddEventHookRecordsCreationTimeAndUnknownUsersAndTypes()
    {
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(EmulatorTestHelpers.Quiet(), clock);
        using var client = EmulatorTestHelpers.Client(emulator);
        clock.Advance(TimeSpan.FromMinutes(3));

        var id = emulator.AddEvent("new.hire@acme.example.com", "Badge Tailgating", new DateTimeOffset(2025, 3, 1, 8, 30, 15, 999, TimeSpan.Zero).AddTicks(9999));
        var (_, item) = await client.GetJsonAsync($"events/{id}");
        var (_, byUser) = await client.GetJsonAsync("events?target_user=new.hire@acme.example.com");

        var truth = Assert.Single(emulator.GroundTruth.AllEvents());
        Assert.Equal(EmulatorTestHelpers.Start.AddMinutes(3), truth.CreatedAt);
        Assert.Equal("2025-03-01T08:30:15.999Z", item.Data().GetProperty("occurred_date").GetString());
        Assert.Equal([id], byUser.Ids());
        Assert.Contains("new.hire@acme.example.com", emulator.Accounts[0].UserEmails);
        Assert.Contains("Badge Tailgating", emulator.Accounts[0].EventTypes);
        Assert.False(emulator.DeleteEvent("no-such-id"));
    }
}
