using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Kb4Collector.Emulator;

/// <summary>
/// Reporting limit counters of one account: a one-second window, the burst window and the daily window, each from its
/// first request. Kept on the clock's monotonic timestamps, so they hold while a test freezes the emulator's world.
/// </summary>
internal sealed class ReportingLimitState
{
    public long? SecondStart { get; set; }
    public int SecondCount { get; set; }
    public long? BurstStart { get; set; }
    public int BurstCount { get; set; }
    public long? DayStart { get; set; }
    public int DayCount { get; set; }
}

/// <summary>What the Reporting API served: calls answered, and 429s by limit.</summary>
public sealed record ReportingCallCounts(long Calls, long PerSecondRefused, long BurstRefused, long DailyRefused, long MaintenanceServed);

internal sealed partial class EmulatorState
{
    private const int ReportingMaxPerPage = 500;
    private const int ReportingDefaultPerPage = 100;

    /// <summary>Training campaigns come 10 to a page unless percentages are excluded (KnowBe4's reference).</summary>
    private const int CampaignPageCapWithPercentages = 10;

    private readonly Dictionary<string, ApiKeyState> _reportingKeysBySecret = new(StringComparer.Ordinal);
    private readonly Dictionary<AccountState, ReportingWorld> _reporting = [];
    private readonly Dictionary<AccountState, ReportingLimitState> _reportingLimits = [];
    private long _reportingCalls;
    private long _reportingPerSecondRefused;
    private long _reportingBurstRefused;
    private long _reportingDailyRefused;
    private long _reportingMaintenance;

    public EmulatorReporting Reporting => _scenario.Reporting;

    /// <summary>Each account's Reporting API keys (its own, or one generated from the seed): never the User Event keys.</summary>
    private void InitializeReporting()
    {
        for (var i = 0; i < _accounts.Count; i++)
        {
            var account = _accounts[i];
            var spec = _scenario.Accounts[i];
            _reporting[account] = new ReportingWorld(_scenario.Reporting, account, _scenario.Seed, ScenarioStart);
            _reportingLimits[account] = new ReportingLimitState();
            var secrets = spec.ReportingApiKeys is { Count: > 0 } given ? given : [GeneratedReportingKey(account)];
            for (var k = 0; k < secrets.Count; k++)
            {
                _reportingKeysBySecret[secrets[k]] = new ApiKeyState($"{account.Name} reporting key {k + 1}", secrets[k], account, generated: spec.ReportingApiKeys is not { Count: > 0 });
            }
        }
    }

    private string GeneratedReportingKey(AccountState account)
    {
        var random = new Random(unchecked((int)(_scenario.Seed * 31L + 23 + account.AccountId)));
        Span<byte> bytes = stackalloc byte[24];
        random.NextBytes(bytes);
        return "kb4r_" + Convert.ToHexStringLower(bytes);
    }

    public IReadOnlyList<string> ReportingKeys(AccountState account)
    {
        lock (_gate)
        {
            return [.. _reportingKeysBySecret.Values.Where(key => key.Account == account).Select(key => key.Secret)];
        }
    }

    /// <summary>
    /// Authenticates a Reporting call and applies, in order: 4 requests a second, the burst limit (a window from its
    /// first request), the daily limit (24 hours from its first request, base + seats), then scripted faults (a 503
    /// "maintenance" is a ServerError fault with status 503 on <c>/v1/</c>). Refused requests are not counted.
    /// </summary>
    public Admission AdmitReporting(string path, string? authorization, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (BearerToken(authorization) is not { } token || !_reportingKeysBySecret.TryGetValue(token, out var key))
            {
                _unauthorized++;
                return Reject(EmulatorResponse.Message(401, "Unauthorized"));
            }
            key.Requests++;
            var settings = _scenario.Reporting;
            var limits = _reportingLimits[key.Account];
            var tick = TimeProvider.GetTimestamp();
            bool Elapsed(long? start, TimeSpan window) => start is not { } from || TimeProvider.GetElapsedTime(from, tick) >= window;
            if (Elapsed(limits.SecondStart, TimeSpan.FromSeconds(1)))
            {
                limits.SecondStart = tick;
                limits.SecondCount = 0;
            }
            if (Elapsed(limits.BurstStart, settings.BurstWindow))
            {
                limits.BurstStart = tick;
                limits.BurstCount = 0;
            }
            if (Elapsed(limits.DayStart, TimeSpan.FromDays(1)))
            {
                limits.DayStart = tick;
                limits.DayCount = 0;
            }
            if (settings.RequestsPerSecond > 0 && limits.SecondCount >= settings.RequestsPerSecond)
            {
                key.RateLimited++;
                _reportingPerSecondRefused++;
                return Reject(EmulatorResponse.Json(429, TooManyRequestsBody));
            }
            if (settings.RequestsPerMinute > 0 && limits.BurstCount >= settings.RequestsPerMinute)
            {
                key.RateLimited++;
                _reportingBurstRefused++;
                return Reject(EmulatorResponse.Json(429, TooManyRequestsBody));
            }
            if (!settings.DailyLimitOff && limits.DayCount >= settings.DailyBase + key.Account.Seats)
            {
                key.QuotaExceeded++;
                _reportingDailyRefused++;
                return Reject(EmulatorResponse.Json(429, TooManyRequestsBody));
            }
            limits.SecondCount++;
            limits.BurstCount++;
            limits.DayCount++;
            key.Calls++;
            _reportingCalls++;

            var delay = TimeSpan.Zero;
            foreach (var fault in _faults)
            {
                if (!Applies(fault, path, key, now) || !Hits(fault))
                {
                    continue;
                }
                Served(fault.Spec.Kind);
                switch (fault.Spec.Kind)
                {
                    case EmulatorFaultKind.ServerError:
                        key.FaultResponses++;
                        if (fault.Spec.EffectiveStatus == 503)
                        {
                            _reportingMaintenance++;
                            return Reject(EmulatorResponse.Message(503, "The API is undergoing maintenance"));
                        }
                        return Reject(StatusResponse(fault.Spec.EffectiveStatus));
                    case EmulatorFaultKind.RateLimited or EmulatorFaultKind.RateLimitedWithRetryAfter:
                        key.FaultResponses++;
                        _faultTooManyRequests++;
                        return Reject(EmulatorResponse.Json(429, TooManyRequestsBody));
                    case EmulatorFaultKind.KeyRevoked:
                        _unauthorized++;
                        return Reject(EmulatorResponse.Message(401, "Unauthorized"));
                    case EmulatorFaultKind.Slow:
                        delay += fault.Spec.EffectiveDelay;
                        break;
                }
            }
            return new Admission(null, key, delay, ResponseMangling.None);
        }
    }

    public ReportingCallCounts SnapshotReportingCalls()
    {
        lock (_gate)
        {
            return new ReportingCallCounts(_reportingCalls, _reportingPerSecondRefused, _reportingBurstRefused, _reportingDailyRefused, _reportingMaintenance);
        }
    }

    /// <summary>Serves one Reporting route for the key's account. <paramref name="route"/> is the path after <c>/v1/</c>, split on '/'.</summary>
    public EmulatorResponse ServeReporting(AccountState account, string[] route, IQueryCollection query, DateTimeOffset now)
    {
        lock (_gate)
        {
            var world = _reporting[account];
            var paging = ReportingPage.Parse(query["page"], query["per_page"]);
            return route switch
            {
                ["account"] => Object((world, now), static (w, s) => s.world.WriteAccount(w, s.now)),
                ["users"] => List(world.ActiveUsers, paging, (world, now), static (w, user, s) => s.world.WriteUser(w, user, s.now)),
                ["users", var id] => Find(world.ActiveUsers, user => Matches(user.Id, id), (world, now), static (w, user, s) => s.world.WriteUser(w, user, s.now)),
                ["users", var id, "risk_score_history"] => world.ActiveUsers.FirstOrDefault(user => Matches(user.Id, id)) is { } user
                    ? History(world, paging, query, now, day => world.RiskScore(user, day))
                    : NotFound(),
                ["account", "risk_score_history"] => History(world, paging, query, now, world.AccountRiskScore),
                ["groups"] => List(ReportingWorld.Groups, paging, (world, now), static (w, group, s) => s.world.WriteGroup(w, group, s.now)),
                ["groups", var id] => Find(ReportingWorld.Groups, group => Matches(group.Id, id), (world, now), static (w, group, s) => s.world.WriteGroup(w, group, s.now)),
                ["groups", var id, "risk_score_history"] => ReportingWorld.Groups.FirstOrDefault(group => Matches(group.Id, id)) is { } group
                    ? History(world, paging, query, now, day => world.GroupRiskScore(group, day))
                    : NotFound(),
                ["phishing", "security_tests"] => List(world.Tests(now), paging, now, static (w, test, n) => ReportingWorld.WriteTest(w, test, n)),
                ["phishing", "campaigns", var id, "security_tests"] =>
                    List([.. world.Tests(now).Where(test => Matches(test.CampaignId, id))], paging, now, static (w, test, n) => ReportingWorld.WriteTest(w, test, n)),
                ["phishing", "security_tests", var id] => Find(world.Tests(now), test => Matches(test.PstId, id), now, static (w, test, n) => ReportingWorld.WriteTest(w, test, n)),
                ["phishing", "security_tests", var id, "recipients"] => world.Tests(now).FirstOrDefault(test => Matches(test.PstId, id)) is { } test
                    ? List(test.Recipients, paging, (test, now), static (w, recipient, s) => ReportingWorld.WriteRecipient(w, s.test, recipient, s.now))
                    : NotFound(),
                ["phishing", "security_tests", var id, "recipients", var recipientId] => world.Tests(now).FirstOrDefault(test => Matches(test.PstId, id)) is { } test
                    ? Find(test.Recipients, recipient => Matches(recipient.RecipientId, recipientId), (test, now), static (w, recipient, s) => ReportingWorld.WriteRecipient(w, s.test, recipient, s.now))
                    : NotFound(),
                ["training", "campaigns"] => CampaignList(world.Campaigns(now), paging, query, now),
                ["training", "campaigns", var id] => Find(world.Campaigns(now), campaign => Matches(campaign.CampaignId, id), now, static (w, c, n) => ReportingWorld.WriteCampaign(w, c, n, includePercentages: true)),
                ["training", "enrollments"] => query.ContainsKey("cursor") && _scenario.Reporting.EnrollmentCursors
                    ? EnrollmentCursorPage(FilterEnrollments(world, query, now), query["cursor"].ToString(), paging.PerPage, now)
                    : List(FilterEnrollments(world, query, now), paging, now, static (w, e, n) => ReportingWorld.WriteEnrollment(w, e, n)),
                ["training", "enrollments", var id] => Find([.. world.Enrollments(now)], e => Matches(e.EnrollmentId, id), now, static (w, e, n) => ReportingWorld.WriteEnrollment(w, e, n)),
                _ => NotFound(),
            };
        }
    }

    /// <summary>Every version of every Reporting record of every account up to now (recipients, enrollments), oldest first per record.</summary>
    public IReadOnlyList<ReportingRecordVersion> SnapshotReportingVersions(string? account)
    {
        var now = Now;
        lock (_gate)
        {
            return [.. _reporting.Where(entry => account is null || entry.Key.Name == account).SelectMany(entry => entry.Value.Versions(now))];
        }
    }

    public IReadOnlyList<ReportingRecordVersion> SnapshotRiskSnapshots(string? account, DateOnly day)
    {
        lock (_gate)
        {
            return [.. _reporting.Where(entry => account is null || entry.Key.Name == account).SelectMany(entry => entry.Value.RiskSnapshots(day))];
        }
    }

    public IReadOnlyList<ReportingRecordVersion> SnapshotRiskHistory(string? account, DateOnly day)
    {
        lock (_gate)
        {
            return [.. _reporting.Where(entry => account is null || entry.Key.Name == account).SelectMany(entry => entry.Value.RiskHistory(day))];
        }
    }

    /// <summary>The ids of tests closed before <paramref name="before"/>.</summary>
    public IReadOnlyList<long> SnapshotClosedTests(string? account, DateTimeOffset before)
    {
        lock (_gate)
        {
            return [.. _reporting.Where(entry => account is null || entry.Key.Name == account)
                .SelectMany(entry => entry.Value.Tests(Now))
                .Where(test => test.StartedAt + test.Duration < before)
                .Select(test => test.PstId)];
        }
    }

    private static List<Enrollment> FilterEnrollments(ReportingWorld world, IQueryCollection query, DateTimeOffset now)
    {
        IEnumerable<Enrollment> enrollments = world.Enrollments(now);
        if (query["campaign_id"].ToString() is { Length: > 0 } campaign)
        {
            enrollments = enrollments.Where(e => Matches(e.Campaign.CampaignId, campaign));
        }
        if (query["user_id"].ToString() is { Length: > 0 } user)
        {
            enrollments = enrollments.Where(e => Matches(e.User.Id, user));
        }
        return [.. enrollments];
    }

    /// <summary>A risk score history: a point a day, oldest first, over the default window or everything with <c>full=true</c>.</summary>
    private static EmulatorResponse History(ReportingWorld world, ReportingPage paging, IQueryCollection query, DateTimeOffset now, Func<DateOnly, double> score)
    {
        var full = string.Equals(query["full"], "true", StringComparison.OrdinalIgnoreCase);
        var days = world.HistoryDays(DateOnly.FromDateTime(now.UtcDateTime), full);
        return List([.. days.Select(day => (day, score: score(day)))], paging, 0, static (w, point, _) => ReportingWorld.WriteRiskPoint(w, point.day, point.score));
    }

    /// <summary>
    /// Enrollments by cursor (KnowBe4 documents <c>cursor</c> for this endpoint only): <c>cursor=true</c> starts at the
    /// beginning; the answer is <c>{"data": [...], "next_cursor": "..."}</c>, <c>next_cursor</c> null on the last page. A
    /// cursor names the last enrollment id served, so rows that change between pages are neither skipped nor repeated.
    /// </summary>
    private static EmulatorResponse EnrollmentCursorPage(List<Enrollment> enrollments, string cursor, int perPage, DateTimeOffset now)
    {
        long after;
        if (cursor.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            after = long.MinValue;
        }
        else if (!TryReadCursor(cursor, out after))
        {
            return BadRequest("invalid cursor");
        }
        var ordered = enrollments.Where(e => e.EnrollmentId > after).OrderBy(e => e.EnrollmentId).ToList();
        var page = ordered.Take(perPage).ToList();
        string? next = ordered.Count > page.Count ? WriteCursor(page[^1].EnrollmentId) : null;
        return EmulatorResponse.Json(200, EmulatorJson.Render((page, next, now), static (writer, s) =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("data");
            foreach (var enrollment in s.page)
            {
                ReportingWorld.WriteEnrollment(writer, enrollment, s.now);
            }
            writer.WriteEndArray();
            if (s.next is null)
            {
                writer.WriteNull("next_cursor");
            }
            else
            {
                writer.WriteString("next_cursor", s.next);
            }
            writer.WriteEndObject();
        }));
    }

    private static string WriteCursor(long afterId) =>
        Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes("after:" + afterId.ToString(CultureInfo.InvariantCulture))).TrimEnd('=');

    private static bool TryReadCursor(string cursor, out long afterId)
    {
        afterId = 0;
        var padded = cursor + new string('=', (4 - (cursor.Length % 4)) % 4);
        Span<byte> bytes = stackalloc byte[64];
        if (cursor.Length > 80 || !Convert.TryFromBase64String(padded, bytes, out var written))
        {
            return false;
        }
        var text = System.Text.Encoding.ASCII.GetString(bytes[..written]);
        return text.StartsWith("after:", StringComparison.Ordinal)
            && long.TryParse(text.AsSpan(6), NumberStyles.Integer, CultureInfo.InvariantCulture, out afterId);
    }

    private static EmulatorResponse CampaignList(IReadOnlyList<TrainingCampaign> campaigns, ReportingPage paging, IQueryCollection query, DateTimeOffset now)
    {
        var exclude = string.Equals(query["exclude_percentages"], "true", StringComparison.OrdinalIgnoreCase);
        if (exclude)
        {
            return List(campaigns, paging, now, static (w, c, n) => ReportingWorld.WriteCampaign(w, c, n, includePercentages: false));
        }
        // The trap: at most 10 a page whatever per_page says, so a client that stops on a short page misses the rest.
        var capped = paging with { PerPage = Math.Min(paging.PerPage, CampaignPageCapWithPercentages) };
        return List(campaigns, capped, now, static (w, c, n) => ReportingWorld.WriteCampaign(w, c, n, includePercentages: true));
    }

    private static bool Matches(long id, string text) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) && parsed == id;

    private static EmulatorResponse List<TItem, TState>(IReadOnlyList<TItem> items, ReportingPage paging, TState state, Action<Utf8JsonWriter, TItem, TState> write) =>
        EmulatorResponse.Json(200, EmulatorJson.Render((items, paging, state, write), static (writer, s) =>
        {
            writer.WriteStartArray();
            var from = (s.paging.Page - 1) * s.paging.PerPage;
            for (var i = from; i < s.items.Count && i < from + s.paging.PerPage; i++)
            {
                s.write(writer, s.items[(int)i], s.state);
            }
            writer.WriteEndArray();
        }));

    private static EmulatorResponse Find<TItem, TState>(IEnumerable<TItem> items, Func<TItem, bool> match, TState state, Action<Utf8JsonWriter, TItem, TState> write) =>
        items.FirstOrDefault(match) is { } item
            ? EmulatorResponse.Json(200, EmulatorJson.Render((item, state, write), static (writer, s) => s.write(writer, s.item, s.state)))
            : NotFound();

    private static EmulatorResponse Object<TState>(TState state, Action<Utf8JsonWriter, TState> write) => EmulatorResponse.Json(200, EmulatorJson.Render(state, write));

    /// <summary>Reporting paging: <c>page</c> from 1, <c>per_page</c> default 100, at most 500.</summary>
    private readonly record struct ReportingPage(long Page, int PerPage)
    {
        public static ReportingPage Parse(string? page, string? perPage) => new(
            long.TryParse(page, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) && p >= 1 ? Math.Min(p, int.MaxValue) : 1,
            int.TryParse(perPage, NumberStyles.Integer, CultureInfo.InvariantCulture, out var size) && size >= 1 ? Math.Min(size, ReportingMaxPerPage) : ReportingDefaultPerPage);
    }
}
