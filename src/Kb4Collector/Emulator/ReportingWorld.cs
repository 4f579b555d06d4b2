using System.Globalization;
using System.Text.Json;

namespace Kb4Collector.Emulator;

/// <summary>
/// One account's Reporting API data as a pure function of the seed and an instant: phishing security tests (one every
/// <see cref="EmulatorReporting.PhishingTestEvery"/>) whose recipients deliver, open, click, enter data and report at
/// seeded moments inside the test's duration; training campaigns whose enrollments start and pass; users whose risk
/// score moves once a UTC day. Any instant's answer can be rendered, so the ground truth holds every version.
/// </summary>
internal sealed class ReportingWorld
{
    private static readonly string[] TestNames = ["Invoice overdue", "Password expiry notice", "Shared document", "Parcel delivery failed", "Benefits enrolment"];
    private static readonly string[] Modules = ["2026 Security Awareness Training", "Phishing Foundations", "Social Engineering Red Flags", "Password Hygiene", "Acceptable Use Policy"];
    private static readonly string[] Browsers = ["Chrome", "Edge", "Firefox", "Safari"];
    private static readonly string[] Systems = ["Windows 11", "macOS 15", "iOS 18", "Android 15"];
    private static readonly string[] Departments = ["Finance", "Sales", "Engineering", "Support", "People"];

    public const long FirstGroupId = 3_264;

    /// <summary>How many days back a risk score history goes without <c>full=true</c> (about six months).</summary>
    public const int HistoryWindowDays = 180;

    private readonly EmulatorReporting _settings;
    private readonly AccountState _account;
    private readonly int _seed;
    private readonly DateTimeOffset _origin;
    private readonly Dictionary<int, PhishingTest> _tests = [];
    private readonly Dictionary<int, TrainingCampaign> _campaigns = [];

    public ReportingWorld(EmulatorReporting settings, AccountState account, int seed, DateTimeOffset scenarioStart)
    {
        _settings = settings;
        _account = account;
        _seed = seed;
        _origin = scenarioStart - settings.History;
    }

    public AccountState Account => _account;

    /// <summary>Tests started at or before <paramref name="now"/>, oldest first.</summary>
    public IReadOnlyList<PhishingTest> Tests(DateTimeOffset now) => Started(now, _settings.PhishingTestEvery, _tests, NewTest);

    public IReadOnlyList<TrainingCampaign> Campaigns(DateTimeOffset now) => Started(now, _settings.TrainingCampaignEvery, _campaigns, NewCampaign);

    public IEnumerable<Enrollment> Enrollments(DateTimeOffset now) => Campaigns(now).SelectMany(campaign => campaign.Enrollments);

    public IReadOnlyList<EmulatorUser> ActiveUsers => [.. _account.Users.Where(user => !user.Archived)];

    private List<T> Started<T>(DateTimeOffset now, TimeSpan every, Dictionary<int, T> cache, Func<int, DateTimeOffset, T> create)
    {
        var list = new List<T>();
        if (now < _origin)
        {
            return list;
        }
        var count = (int)Math.Min(100_000, ((now - _origin).Ticks / every.Ticks) + 1);
        for (var k = 0; k < count; k++)
        {
            if (!cache.TryGetValue(k, out var item))
            {
                item = create(k, _origin + (every * k));
                cache[k] = item;
            }
            list.Add(item);
        }
        return list;
    }

    private Random RandomFor(int kind, int index, int item = 0) => new(Mix(_seed, _account.AccountId, kind, index, item));

    /// <summary>A deterministic seed from several numbers (<see cref="HashCode"/> is randomised per process).</summary>
    private static int Mix(params long[] parts)
    {
        var hash = 0x9E3779B97F4A7C15UL;
        foreach (var part in parts)
        {
            hash ^= (ulong)part + 0x9E3779B97F4A7C15UL + (hash << 6) + (hash >> 2);
            hash *= 0xBF58476D1CE4E5B9UL;
            hash ^= hash >> 31;
        }
        return (int)(hash & 0x7FFFFFFF);
    }

    /// <summary>Up to <paramref name="count"/> active users in a random choice, in id order.</summary>
    private List<EmulatorUser> PickActiveUsers(Random random, int count)
    {
        var users = ActiveUsers;
        return users.OrderBy(_ => random.Next()).Take(Math.Min(count, users.Count)).OrderBy(user => user.Id).ToList();
    }

    private PhishingTest NewTest(int k, DateTimeOffset startedAt)
    {
        var picked = PickActiveUsers(RandomFor(1, k), _settings.RecipientsPerTest);
        var pstId = 1_000_000L + (_account.AccountId % 1000 * 10_000) + k;
        var duration = _settings.PhishingTestDuration;
        var recipients = new List<Recipient>(picked.Count);
        for (var i = 0; i < picked.Count; i++)
        {
            var r = RandomFor(2, k, i);
            DateTimeOffset At(double from, double to, DateTimeOffset after) => after + (duration * (from + (r.NextDouble() * (to - from))));
            var bounced = r.NextDouble() < 0.03;
            DateTimeOffset? delivered = bounced ? null : At(0, 0.02, startedAt);
            DateTimeOffset? bouncedAt = bounced ? At(0, 0.02, startedAt) : null;
            DateTimeOffset? opened = delivered is { } d && r.NextDouble() < 0.6 ? At(0.01, 0.5, d) : null;
            DateTimeOffset? clicked = opened is { } o && r.NextDouble() < 0.4 ? At(0, 0.2, o) : null;
            DateTimeOffset? dataEntered = clicked is { } c && r.NextDouble() < 0.3 ? At(0, 0.05, c) : null;
            DateTimeOffset? reported = delivered is { } d2 && r.NextDouble() < 0.3 ? At(0.01, 0.8, d2) : null;
            recipients.Add(new Recipient(
                pstId * 1000 + i, pstId, picked[i], startedAt, delivered, bouncedAt, opened, clicked, dataEntered, reported,
                $"198.51.100.{r.Next(1, 255)}", Browsers[r.Next(Browsers.Length)], Systems[r.Next(Systems.Length)]));
        }
        return new PhishingTest(k, pstId, 40_000L + (k % 3), $"{TestNames[k % TestNames.Length]} #{k + 1}", startedAt, duration, 900_000L + (k % TestNames.Length), recipients);
    }

    private TrainingCampaign NewCampaign(int k, DateTimeOffset startedAt)
    {
        var picked = PickActiveUsers(RandomFor(3, k), _settings.EnrollmentsPerCampaign);
        var campaignId = 7_000L + (_account.AccountId % 1000 * 1000) + k;
        var duration = _settings.TrainingCampaignDuration;
        var module = Modules[k % Modules.Length];
        var campaign = new TrainingCampaign(k, campaignId, $"{module} ({startedAt:yyyy-MM})", module, startedAt, duration, []);
        for (var i = 0; i < picked.Count; i++)
        {
            var r = RandomFor(4, k, i);
            DateTimeOffset? started = r.NextDouble() < 0.85 ? startedAt + (duration * (0.02 + (r.NextDouble() * 0.58))) : null;
            DateTimeOffset? completed = started is { } s && r.NextDouble() < 0.8 ? s + (duration * (0.05 + (r.NextDouble() * 0.3))) : null;
            campaign.Enrollments.Add(new Enrollment(campaignId * 1000 + i, campaign, picked[i], started, completed, r.Next(60, 300), r.Next(600, 1800)));
        }
        return campaign;
    }

    /// <summary>The user's risk score on a UTC day: a seeded base that moves a little every day.</summary>
    public double RiskScore(EmulatorUser user, DateOnly day)
    {
        var basis = new Random(Mix(_seed, user.Id)).Next(50, 700) / 10.0;
        var wiggle = new Random(Mix(_seed, user.Id, day.DayNumber)).Next(-40, 41) / 10.0;
        return Math.Round(Math.Clamp(basis + wiggle, 0, 100), 1);
    }

    public double AccountRiskScore(DateOnly day)
    {
        var users = ActiveUsers;
        return users.Count == 0 ? 0 : Math.Round(users.Average(user => RiskScore(user, day)), 1);
    }

    /// <summary>The account's groups: one per department, each user in its department's group.</summary>
    public static IReadOnlyList<ReportingGroup> Groups { get; } = [.. Departments.Select((name, index) => new ReportingGroup(FirstGroupId + index, name, index))];

    private IEnumerable<EmulatorUser> Members(ReportingGroup group) => ActiveUsers.Where(user => user.Id % Departments.Length == group.Index);

    public double GroupRiskScore(ReportingGroup group, DateOnly day)
    {
        var members = Members(group).ToList();
        return members.Count == 0 ? 0 : Math.Round(members.Average(user => RiskScore(user, day)), 1);
    }

    /// <summary>
    /// The days a risk score history lists on <paramref name="today"/>, oldest first: the last <see cref="HistoryWindowDays"/>
    /// days (KnowBe4's default window), or every day since the account's data began when <paramref name="full"/>.
    /// </summary>
    public IReadOnlyList<DateOnly> HistoryDays(DateOnly today, bool full)
    {
        var first = DateOnly.FromDateTime(_origin.UtcDateTime);
        if (!full && today.AddDays(-HistoryWindowDays) > first)
        {
            first = today.AddDays(-HistoryWindowDays);
        }
        return [.. Enumerable.Range(0, Math.Max(0, today.DayNumber - first.DayNumber + 1)).Select(first.AddDays)];
    }

    /// <summary>Every account and group risk history point as the history endpoints list them on <paramref name="day"/>.</summary>
    public IEnumerable<ReportingRecordVersion> RiskHistory(DateOnly day)
    {
        var at = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        foreach (var point in HistoryDays(day, full: false))
        {
            yield return new ReportingRecordVersion("userRiskScores", "account/" + EmulatorJson.FormatDate(point), at,
                Render((point, score: AccountRiskScore(point)), static (w, s) => WriteRiskPoint(w, s.point, s.score)));
        }
        foreach (var group in Groups)
        {
            foreach (var point in HistoryDays(day, full: false))
            {
                yield return new ReportingRecordVersion("userRiskScores", $"group/{group.Id}/{EmulatorJson.FormatDate(point)}", at,
                    Render((point, score: GroupRiskScore(group, point)), static (w, s) => WriteRiskPoint(w, s.point, s.score)));
            }
        }
    }

    // ---- JSON, in the field order of KnowBe4's reference ----

    public void WriteAccount(Utf8JsonWriter writer, DateTimeOffset now)
    {
        writer.WriteStartObject();
        writer.WriteString("name", _account.Name);
        writer.WriteString("type", "paid");
        writer.WriteStartArray("domains");
        writer.WriteStringValue(_account.EmailDomain);
        writer.WriteEndArray();
        writer.WriteStartArray("admins");
        writer.WriteStartObject();
        writer.WriteNumber("id", 974_278);
        writer.WriteString("first_name", "Avery");
        writer.WriteString("last_name", "Admin");
        writer.WriteString("email", "admin@" + _account.EmailDomain);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteString("subscription_level", "Diamond");
        writer.WriteString("subscription_end_date", "2027-12-31");
        writer.WriteNumber("number_of_seats", _account.Seats);
        writer.WriteNumber("current_risk_score", AccountRiskScore(DateOnly.FromDateTime(now.UtcDateTime)));
        writer.WriteEndObject();
    }

    public void WriteUser(Utf8JsonWriter writer, EmulatorUser user, DateTimeOffset now)
    {
        var (first, last) = Names(user);
        var department = Departments[(int)(user.Id % Departments.Length)];
        writer.WriteStartObject();
        writer.WriteNumber("id", user.Id);
        writer.WriteString("employee_number", (user.Id % 100_000).ToString(CultureInfo.InvariantCulture));
        writer.WriteString("first_name", first);
        writer.WriteString("last_name", last);
        writer.WriteString("job_title", department + " Specialist");
        writer.WriteString("email", user.Email);
        writer.WriteNumber("phish_prone_percentage", Math.Round(RiskScore(user, DateOnly.FromDateTime(_origin.UtcDateTime)) / 3, 1));
        writer.WriteNull("phone_number");
        writer.WriteNull("extension");
        writer.WriteNull("mobile_phone_number");
        writer.WriteString("location", "HQ");
        writer.WriteString("division", department);
        writer.WriteNull("manager_name");
        writer.WriteNull("manager_email");
        writer.WriteBoolean("provisioning_managed", false);
        writer.WriteNull("provisioning_guid");
        writer.WriteStartArray("groups");
        writer.WriteNumberValue(FirstGroupId + (user.Id % Departments.Length));
        writer.WriteEndArray();
        writer.WriteNumber("current_risk_score", RiskScore(user, DateOnly.FromDateTime(now.UtcDateTime)));
        writer.WriteStartArray("aliases");
        writer.WriteEndArray();
        writer.WriteString("joined_on", EmulatorJson.FormatTimestamp(_origin.AddDays(-400)));
        writer.WriteString("last_sign_in", EmulatorJson.FormatTimestamp(_origin.AddDays(-1)));
        writer.WriteString("status", "active");
        writer.WriteString("organization", _account.Name);
        writer.WriteString("department", department);
        writer.WriteString("language", "English - United States");
        writer.WriteNull("comment");
        writer.WriteNull("employee_start_date");
        writer.WriteNull("archived_at");
        writer.WriteEndObject();
    }

    public void WriteGroup(Utf8JsonWriter writer, ReportingGroup group, DateTimeOffset now)
    {
        writer.WriteStartObject();
        writer.WriteNumber("id", group.Id);
        writer.WriteString("name", group.Name);
        writer.WriteString("group_type", "console_group");
        writer.WriteNull("provisioning_guid");
        writer.WriteNumber("member_count", Members(group).Count());
        writer.WriteNumber("current_risk_score", GroupRiskScore(group, DateOnly.FromDateTime(now.UtcDateTime)));
        writer.WriteString("status", "active");
        writer.WriteEndObject();
    }

    /// <summary>One point of a risk score history (account, group or user): <c>{"risk_score": 31.4, "date": "2026-12-05"}</c>.</summary>
    public static void WriteRiskPoint(Utf8JsonWriter writer, DateOnly day, double score)
    {
        writer.WriteStartObject();
        writer.WriteNumber("risk_score", score);
        writer.WriteString("date", EmulatorJson.FormatDate(day));
        writer.WriteEndObject();
    }

    public static void WriteTest(Utf8JsonWriter writer, PhishingTest test, DateTimeOffset now)
    {
        var delivered = test.Recipients.Count(r => r.Delivered <= now);
        var clicked = test.Recipients.Count(r => r.Clicked <= now);
        writer.WriteStartObject();
        writer.WriteNumber("campaign_id", test.CampaignId);
        writer.WriteNumber("pst_id", test.PstId);
        writer.WriteString("status", test.StatusAt(now));
        writer.WriteString("name", test.Name);
        writer.WriteStartArray("groups");
        writer.WriteStartObject();
        writer.WriteNumber("group_id", 16_342);
        writer.WriteString("name", "All Users");
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteNumber("phish_prone_percentage", delivered == 0 ? 0 : Math.Round(clicked * 100.0 / delivered, 1));
        writer.WriteString("started_at", EmulatorJson.FormatTimestamp(test.StartedAt));
        writer.WriteNumber("duration", (int)Math.Ceiling(test.Duration.TotalDays));
        writer.WriteStartArray("categories");
        writer.WriteStartObject();
        writer.WriteNumber("category_id", 4_237);
        writer.WriteString("name", "Current Events");
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteStartObject("template");
        writer.WriteNumber("id", test.TemplateId);
        writer.WriteString("name", test.Name.Split(" #")[0]);
        writer.WriteEndObject();
        writer.WriteStartObject("landing-page");
        writer.WriteNumber("id", 1_842);
        writer.WriteString("name", "SEI Landing Page");
        writer.WriteEndObject();
        writer.WriteNumber("scheduled_count", test.Recipients.Count);
        writer.WriteNumber("delivered_count", delivered);
        writer.WriteNumber("opened_count", test.Recipients.Count(r => r.Opened <= now));
        writer.WriteNumber("clicked_count", clicked);
        writer.WriteNumber("replied_count", 0);
        writer.WriteNumber("attachment_open_count", 0);
        writer.WriteNumber("macro_enabled_count", 0);
        writer.WriteNumber("data_entered_count", test.Recipients.Count(r => r.DataEntered <= now));
        writer.WriteNumber("qr_code_scanned_count", 0);
        writer.WriteNumber("reported_count", test.Recipients.Count(r => r.Reported <= now));
        writer.WriteNumber("bounced_count", test.Recipients.Count(r => r.Bounced <= now));
        writer.WriteEndObject();
    }

    public static void WriteRecipient(Utf8JsonWriter writer, PhishingTest test, Recipient recipient, DateTimeOffset now)
    {
        var (first, last) = Names(recipient.User);
        writer.WriteStartObject();
        writer.WriteNumber("recipient_id", recipient.RecipientId);
        writer.WriteNumber("pst_id", recipient.PstId);
        writer.WriteStartObject("user");
        writer.WriteNumber("id", recipient.User.Id);
        writer.WriteNull("active_directory_guid");
        writer.WriteString("first_name", first);
        writer.WriteString("last_name", last);
        writer.WriteString("email", recipient.User.Email);
        writer.WriteEndObject();
        writer.WriteStartObject("template");
        writer.WriteNumber("id", test.TemplateId);
        writer.WriteString("name", test.Name.Split(" #")[0]);
        writer.WriteEndObject();
        WriteTime(writer, "scheduled_at", recipient.ScheduledAt, now);
        WriteTime(writer, "delivered_at", recipient.Delivered, now);
        WriteTime(writer, "opened_at", recipient.Opened, now);
        WriteTime(writer, "clicked_at", recipient.Clicked, now);
        writer.WriteNull("replied_at");
        writer.WriteNull("attachment_opened_at");
        writer.WriteNull("macro_enabled_at");
        WriteTime(writer, "data_entered_at", recipient.DataEntered, now);
        writer.WriteBoolean("qr_code_scanned", false);
        WriteTime(writer, "reported_at", recipient.Reported, now);
        WriteTime(writer, "bounced_at", recipient.Bounced, now);
        var clicked = recipient.Clicked <= now;
        WriteText(writer, "ip", clicked ? recipient.Ip : null);
        WriteText(writer, "ip_location", clicked ? "Tampa, FL" : null);
        WriteText(writer, "browser", clicked ? recipient.Browser : null);
        WriteText(writer, "browser_version", clicked ? "131.0" : null);
        WriteText(writer, "os", clicked ? recipient.Os : null);
        writer.WriteEndObject();
    }

    public static void WriteCampaign(Utf8JsonWriter writer, TrainingCampaign campaign, DateTimeOffset now, bool includePercentages)
    {
        writer.WriteStartObject();
        writer.WriteNumber("campaign_id", campaign.CampaignId);
        writer.WriteString("name", campaign.Name);
        writer.WriteStartArray("groups");
        writer.WriteStartObject();
        writer.WriteNumber("group_id", 16_342);
        writer.WriteString("name", "All Users");
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteString("status", now < campaign.StartedAt + campaign.Duration ? "In Progress" : "Closed");
        writer.WriteStartArray("content");
        writer.WriteStartObject();
        writer.WriteNumber("store_purchase_id", 7_454 + (campaign.Index % Modules.Length));
        writer.WriteString("content_type", "Store Purchase");
        writer.WriteString("name", campaign.Module);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteString("duration_type", "Specific End Date");
        writer.WriteString("start_date", EmulatorJson.FormatTimestamp(campaign.StartedAt));
        writer.WriteString("end_date", EmulatorJson.FormatTimestamp(campaign.StartedAt + campaign.Duration));
        writer.WriteNull("relative_duration");
        writer.WriteBoolean("auto_enroll", true);
        writer.WriteBoolean("allow_multiple_enrollments", false);
        if (includePercentages)
        {
            var total = campaign.Enrollments.Count;
            writer.WriteNumber("completion_percentage", total == 0 ? 0 : Math.Round(campaign.Enrollments.Count(e => e.Completed <= now) * 100.0 / total, 1));
        }
        writer.WriteEndObject();
    }

    public static void WriteEnrollment(Utf8JsonWriter writer, Enrollment enrollment, DateTimeOffset now)
    {
        var (first, last) = Names(enrollment.User);
        var started = enrollment.Started <= now;
        var completed = enrollment.Completed <= now;
        writer.WriteStartObject();
        writer.WriteNumber("enrollment_id", enrollment.EnrollmentId);
        writer.WriteString("content_type", "Training Module");
        writer.WriteString("module_name", enrollment.Campaign.Module);
        writer.WriteStartObject("user");
        writer.WriteNumber("id", enrollment.User.Id);
        writer.WriteString("first_name", first);
        writer.WriteString("last_name", last);
        writer.WriteString("email", enrollment.User.Email);
        writer.WriteEndObject();
        writer.WriteString("campaign_name", enrollment.Campaign.Name);
        writer.WriteString("enrollment_date", EmulatorJson.FormatTimestamp(enrollment.Campaign.StartedAt));
        WriteTime(writer, "start_date", enrollment.Started, now);
        WriteTime(writer, "completion_date", enrollment.Completed, now);
        writer.WriteString("status", completed ? "Passed" : started ? "In Progress" : "Not Started");
        writer.WriteNumber("time_spent", completed ? enrollment.SecondsToComplete : started ? enrollment.SecondsStarted : 0);
        writer.WriteBoolean("policy_acknowledged", false);
        writer.WriteEndObject();
    }

    /// <summary>Every version of every recipient row and enrollment up to <paramref name="now"/>, and each day's risk snapshot of every user.</summary>
    public IEnumerable<ReportingRecordVersion> Versions(DateTimeOffset now)
    {
        foreach (var test in Tests(now))
        {
            foreach (var recipient in test.Recipients)
            {
                foreach (var at in recipient.Changes().Where(at => at <= now))
                {
                    yield return new ReportingRecordVersion("phishingTests", recipient.RecipientId.ToString(CultureInfo.InvariantCulture), at,
                        Render((test, recipient, at), static (w, s) => WriteRecipient(w, s.test, s.recipient, s.at)));
                }
            }
        }
        foreach (var enrollment in Enrollments(now))
        {
            foreach (var at in enrollment.Changes().Where(at => at <= now))
            {
                yield return new ReportingRecordVersion("trainingEnrollments", enrollment.EnrollmentId.ToString(CultureInfo.InvariantCulture), at,
                    Render((enrollment, at), static (w, s) => WriteEnrollment(w, s.enrollment, s.at)));
            }
        }
    }

    /// <summary>Each active user as <c>GET /v1/users</c> lists them on <paramref name="day"/>.</summary>
    public IEnumerable<ReportingRecordVersion> RiskSnapshots(DateOnly day)
    {
        var at = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        foreach (var user in ActiveUsers)
        {
            yield return new ReportingRecordVersion("userRiskScores", user.Id.ToString(CultureInfo.InvariantCulture) + "/" + EmulatorJson.FormatDate(day), at,
                Render((this, user, at), static (w, s) => s.Item1.WriteUser(w, s.user, s.at)));
        }
    }

    private static string Render<T>(T state, Action<Utf8JsonWriter, T> write) => EmulatorJson.ToText(EmulatorJson.Render(state, write));

    private static (string First, string Last) Names(EmulatorUser user)
    {
        var local = user.Email.Split('@')[0];
        var dot = local.IndexOf('.', StringComparison.Ordinal);
        static string Title(string part) => part.Length == 0 ? part : char.ToUpperInvariant(part[0]) + part[1..].TrimEnd('0', '1', '2', '3', '4', '5', '6', '7', '8', '9');
        return dot < 0 ? (Title(local), "") : (Title(local[..dot]), Title(local[(dot + 1)..]));
    }

    private static void WriteTime(Utf8JsonWriter writer, string name, DateTimeOffset? value, DateTimeOffset now)
    {
        if (value is { } at && at <= now)
        {
            writer.WriteString(name, EmulatorJson.FormatTimestamp(at));
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static void WriteText(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}

internal sealed record ReportingGroup(long Id, string Name, int Index);

internal sealed record PhishingTest(int Index, long PstId, long CampaignId, string Name, DateTimeOffset StartedAt, TimeSpan Duration, long TemplateId, IReadOnlyList<Recipient> Recipients)
{
    public string StatusAt(DateTimeOffset now) => now < StartedAt + Duration ? "In Progress" : "Closed";
}

internal sealed record Recipient(
    long RecipientId,
    long PstId,
    EmulatorUser User,
    DateTimeOffset ScheduledAt,
    DateTimeOffset? Delivered,
    DateTimeOffset? Bounced,
    DateTimeOffset? Opened,
    DateTimeOffset? Clicked,
    DateTimeOffset? DataEntered,
    DateTimeOffset? Reported,
    string Ip,
    string Browser,
    string Os)
{
    /// <summary>The instants the row changes (its first appearance included), in order.</summary>
    public IEnumerable<DateTimeOffset> Changes() =>
        new[] { ScheduledAt, Delivered, Bounced, Opened, Clicked, DataEntered, Reported }
            .OfType<DateTimeOffset>().Distinct().Order();
}

internal sealed record TrainingCampaign(int Index, long CampaignId, string Name, string Module, DateTimeOffset StartedAt, TimeSpan Duration, List<Enrollment> Enrollments);

internal sealed record Enrollment(long EnrollmentId, TrainingCampaign Campaign, EmulatorUser User, DateTimeOffset? Started, DateTimeOffset? Completed, int SecondsStarted, int SecondsToComplete)
{
    public IEnumerable<DateTimeOffset> Changes() =>
        new[] { Campaign.StartedAt, Started, Completed }.OfType<DateTimeOffset>().Distinct().Order();
}
