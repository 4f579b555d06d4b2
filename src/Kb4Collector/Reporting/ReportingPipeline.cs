using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Kb4Collector.Collection;
using Kb4Collector.Configuration;
using Kb4Collector.Delivery;
using Kb4Collector.KnowBe4;
using Kb4Collector.Lifecycle;
using Kb4Collector.Quota;
using Microsoft.Extensions.Logging;

namespace Kb4Collector.Reporting;

/// <summary>
/// One Reporting data type of a source, wired: the Reporting client behind the key's <see cref="ReportingGate"/>, change
/// detection by content fingerprint per record key, the <c>_kb4</c> envelope, and delivery to the sink with the
/// fingerprints and checkpoint committed per accepted batch. <see cref="Work"/> is what its own supervisor runs.
/// </summary>
public sealed class ReportingPipeline
{
    public const string ChangeCreated = "created";
    public const string ChangeUpdated = "updated";
    public const string ChangeSnapshot = "snapshot";

    private const string AccountTemplate = "GET /v1/account";
    private const string TestsTemplate = "GET /v1/phishing/security_tests";
    private const string RecipientsTemplate = "GET /v1/phishing/security_tests/{pst_id}/recipients";
    private const string EnrollmentsTemplate = "GET /v1/training/enrollments";
    private const string UsersTemplate = "GET /v1/users";
    private const string AccountHistoryTemplate = "GET /v1/account/risk_score_history";
    private const string GroupsTemplate = "GET /v1/groups";
    private const string GroupHistoryTemplate = "GET /v1/groups/{group_id}/risk_score_history";

    /// <summary>The fingerprint group of the account and group risk history points (the snapshots' groups are their days).</summary>
    private const string HistoryGroup = "history";

    /// <summary>The history sweep's marker for the account's own history (the others are group ids).</summary>
    private const string AccountHistoryDone = "account";

    /// <summary>A per-second wait this short is slept; a longer one (the burst window) ends the poll and comes back.</summary>
    private static readonly TimeSpan LongestInPollWait = TimeSpan.FromSeconds(2);

    private readonly SourceDefinition _source;
    private readonly ReportingSettings _settings;
    private readonly CollectionServices _services;
    private readonly ReportingClient _client;
    private readonly ReportingStore _store;
    private readonly SinkTarget _target;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly List<ReportingTestDocument> _changedTests = [];
    private readonly List<HeldBatch> _held = [];
    private bool _budgetKnown;
    private int _calls;

    public ReportingPipeline(SourceDefinition source, ReportingDataType dataType, CollectionServices services, string collectorName)
    {
        _source = source;
        _settings = source.Reporting ?? throw new ArgumentException("The source has no Reporting settings.", nameof(source));
        DataType = dataType;
        _services = services;
        _time = services.TimeProvider;
        _logger = services.LoggerFactory.CreateLogger<ReportingPipeline>();
        var http = new HttpClient(services.KnowBe4Handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        _client = new ReportingClient(http, _settings.BaseUrl, _settings.ApiKey);
        _store = new ReportingStore(services.Database);
        _target = SinkTarget.FromSourceFields(source.Name, source.Category ?? "", collectorName, source.Fields) with { SiemForward = source.SiemForward };
        Id = IdFor(source.Id, dataType);
        Name = source.Name + "/" + ReportingDataTypes.Name(dataType);
        Work = new SourceWork(InitializeAsync, PollOnceAsync, source.ConfigFingerprint);
    }

    public ReportingDataType DataType { get; }

    /// <summary><c>{source id}/{dataType}</c>: the supervisor's state, the health resource and the checkpoint go by it.</summary>
    public string Id { get; }

    public string Name { get; }

    public SourceWork Work { get; }

    public SourceDefinition Source => _source;

    public TimeSpan PollInterval => _settings.PollInterval(DataType);

    internal ReportingStore Store => _store;

    public static string IdFor(string sourceId, ReportingDataType dataType) => sourceId + "/" + ReportingDataTypes.Name(dataType);

    public ReportingQuotaStatus Quota() => _services.ReportingGate.Status(_settings.ApiKeyFingerprint);

    /// <summary>The checkpoint as the admin endpoint shows it.</summary>
    public ReportingCheckpointView ReadCheckpoint()
    {
        var checkpoint = _store.Checkpoint(Id);
        var tests = DataType == ReportingDataType.PhishingTests ? _store.Tests(Id) : [];
        return new ReportingCheckpointView(
            ReportingDataTypes.Name(DataType),
            checkpoint.Created,
            checkpoint.Updated,
            checkpoint.Calls,
            checkpoint.ResumePage,
            Utc(checkpoint.LastPollAt),
            Utc(checkpoint.LastCompletedAt),
            checkpoint.SnapshotDay is { } day ? DateOnly.FromDateTime(day) : null,
            tests.Count,
            tests.Count(test => test.Retired),
            checkpoint.HistoryDay is { } historyDay ? DateOnly.FromDateTime(historyDay) : null,
            DurationParser.FormatRoundedUp(checkpoint.EffectivePollInterval ?? PollInterval),
            checkpoint.LastPassCalls);
    }

    /// <summary>Forgets the data type's fingerprints, tests and checkpoint (the source was removed).</summary>
    public void DeleteState()
    {
        _store.Delete(Id);
        _services.ReportingGate.SetDemand(_settings.ApiKeyFingerprint, Id, 0);
    }

    /// <summary>Hands the data type's fingerprints, tests and checkpoint to the source's new id (the source was renamed).</summary>
    public void MoveState(string newSourceId)
    {
        _store.Move(Id, IdFor(newSourceId, DataType));
        _services.ReportingGate.SetDemand(_settings.ApiKeyFingerprint, Id, 0);
    }

    /// <summary>
    /// Takes over the state of this data type left by a source renamed while the daemon was down (same Reporting host and
    /// key, owned by no configured source). Returns the data type id it came from, or null.
    /// </summary>
    public string? AdoptRenamed(IReadOnlySet<string> configuredDataTypeIds) =>
        _store.AdoptRenamed(Id, ReportingDataTypes.Name(DataType), Stream, configuredDataTypeIds);

    /// <summary>The Reporting host and key, as a fingerprint (never the key).</summary>
    private string Stream => Fingerprint(_settings.BaseUrl.AbsoluteUri + "\n" + _settings.ApiKeyFingerprint);

    private ValueTask InitializeAsync(CancellationToken cancellationToken)
    {
        var problems = _target.Validate(_services.Sink.Options.Format);
        if (problems.Count > 0)
        {
            throw new SourceConfigurationException($"Source \"{_source.Name}\" ({_source.SourceFile}): field \"{problems[0].Field}\": {problems[0].Reason}", problems[0].Field);
        }
        if (_settings.DailyCallBudget is { } budget)
        {
            _services.ReportingGate.SetBudget(_settings.ApiKeyFingerprint, budget);
            _budgetKnown = true;
        }
        else if (_settings.Seats is { } seats)
        {
            _services.ReportingGate.SetBudget(_settings.ApiKeyFingerprint, ReportingGate.DefaultBudget(seats));
            _budgetKnown = true;
        }
        SetDemand(_store.Checkpoint(Id));
        return ValueTask.CompletedTask;
    }

    private async ValueTask<PollResult> PollOnceAsync(PollProgress progress, CancellationToken cancellationToken)
    {
        _calls = 0;
        _changedTests.Clear();
        var poll = new PollCounts();
        var checkpoint = _store.Checkpoint(Id);
        var paused = false;
        checkpoint.LastPollAt = _time.GetUtcNow().UtcDateTime;
        checkpoint.Stream = Stream;
        try
        {
            CommitHeld(checkpoint);
            if (!_budgetKnown)
            {
                var account = await CallAsync(AccountTemplate, token => _client.GetAsync("/v1/account", AccountTemplate, token), cancellationToken);
                if (account.Wait is { } accountWait)
                {
                    return Paused(accountWait);
                }
                var seats = int.TryParse(account.Value!.Text("number_of_seats"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
                var budget = ReportingGate.DefaultBudget(seats);
                _services.ReportingGate.SetBudget(_settings.ApiKeyFingerprint, budget);
                _budgetKnown = true;
                Log.BudgetSet(_logger, Name, budget, seats);
            }

            var wait = DataType switch
            {
                ReportingDataType.PhishingTests => await PollPhishingTestsAsync(checkpoint, poll, progress, cancellationToken),
                ReportingDataType.TrainingEnrollments => await PollEnrollmentsAsync(checkpoint, poll, progress, cancellationToken),
                _ => await PollRiskScoresAsync(checkpoint, poll, progress, cancellationToken),
            };
            if (wait is { } pause)
            {
                return Paused(pause);
            }
            checkpoint.LastPassCalls = checkpoint.PassCalls + _calls;
            checkpoint.PassCalls = 0;
            SetDemand(checkpoint);
            var next = NextPoll(checkpoint);
            if (poll.Created + poll.Updated > 0 || _calls > 1)
            {
                var nextPoll = DurationParser.FormatRoundedUp(next);
                Log.PollSummary(_logger, Name, poll.Created, poll.Updated, _calls, nextPoll);
            }
            return new PollResult(next);
        }
        finally
        {
            checkpoint.Calls += _calls;
            if (paused)
            {
                // A pass's cost counts the calls of its parts; a failed attempt's are not what a pass costs.
                checkpoint.PassCalls += _calls;
            }
            _store.Save(checkpoint, _changedTests);
            _services.Ledger.Flush();
        }

        PollResult Paused(TimeSpan pause)
        {
            paused = true;
            var resumeIn = DurationParser.FormatRoundedUp(pause);
            Log.BurstPause(_logger, Name, ReportingGate.PerBurst, resumeIn);
            return new PollResult(pause, Deferred: _calls == 0);
        }
    }

    /// <summary>How often a pass comes at the configured schedule: risk scores make one real pass a UTC day.</summary>
    private TimeSpan Cadence => DataType == ReportingDataType.UserRiskScores && PollInterval < ReportingGate.DailyWindow ? ReportingGate.DailyWindow : PollInterval;

    private void SetDemand(ReportingCheckpointDocument checkpoint) =>
        _services.ReportingGate.SetDemand(_settings.ApiKeyFingerprint, Id, checkpoint.LastPassCalls / Cadence.TotalHours);

    private TimeSpan NextPoll(ReportingCheckpointDocument checkpoint)
    {
        // Stretched at most to a day: a pass that costs more than the key's day still comes once a day.
        var stretched = PollInterval * _services.ReportingGate.Stretch(_settings.ApiKeyFingerprint);
        var longest = PollInterval > ReportingGate.DailyWindow ? PollInterval : ReportingGate.DailyWindow;
        var interval = stretched < longest ? stretched : longest;
        var (isStretched, wasStretched) = (interval > PollInterval, checkpoint.EffectivePollInterval > PollInterval);
        checkpoint.EffectivePollInterval = interval;
        var configured = DurationParser.Format(PollInterval);
        if (isStretched && !wasStretched)
        {
            var status = _services.ReportingGate.Status(_settings.ApiKeyFingerprint);
            var effective = DurationParser.FormatRoundedUp(interval);
            Log.ScheduleStretched(_logger, Name, effective, configured, status.Scheduled, status.Scheduled - status.Used);
        }
        else if (!isStretched && wasStretched)
        {
            Log.ScheduleRestored(_logger, Name, configured);
        }
        if (DataType != ReportingDataType.UserRiskScores || checkpoint.SnapshotDay is null)
        {
            return interval;
        }
        // One snapshot a UTC day: a short interval only looks again once the next day has begun.
        var now = _time.GetUtcNow();
        var untilTomorrow = PollSchedule.UntilNextUtcMidnight(now) + TimeSpan.FromSeconds(1);
        return interval > untilTomorrow ? interval : untilTomorrow;
    }

    // ---- phishingTests: every recipient result of every test not yet closed and quiet ----

    private async Task<TimeSpan?> PollPhishingTestsAsync(ReportingCheckpointDocument checkpoint, PollCounts poll, PollProgress progress, CancellationToken cancellationToken)
    {
        var passBegunAt = checkpoint.PassBegunAt ??= _time.GetUtcNow().UtcDateTime;
        var tests = new List<ReportingRecord>();
        for (var page = 1; ; page++)
        {
            var listed = await CallAsync(TestsTemplate, token => _client.ListPageAsync("/v1/phishing/security_tests", TestsTemplate, page, null, token), cancellationToken);
            if (listed.Wait is { } wait)
            {
                return wait;
            }
            progress.FirstPageArrived();
            if (listed.Value!.Count == 0)
            {
                break;
            }
            tests.AddRange(listed.Value);
        }

        var now = _time.GetUtcNow();
        var testStates = _store.Tests(Id).ToDictionary(test => test.PstId, StringComparer.Ordinal);
        var due = new List<(ReportingRecord Record, ReportingTestDocument State)>();
        foreach (var test in tests)
        {
            if (test.Text("pst_id") is not { } pstId)
            {
                continue;
            }
            if (!testStates.TryGetValue(pstId, out var state))
            {
                state = new ReportingTestDocument { Id = ReportingRecordDocument.IdOf(Id, pstId), Owner = Id, PstId = pstId, FirstSeenAt = now.UtcDateTime };
                testStates[pstId] = state;
            }
            var status = test.Text("status") ?? "";
            if (status != state.Status || state.LastReadAt is null)
            {
                state.Status = status;
                if (IsClosed(status))
                {
                    state.ClosedSeenAt ??= now.UtcDateTime;
                }
                else
                {
                    state.ClosedSeenAt = null;
                    state.Retired = false;
                }
                _changedTests.Add(state);
            }
            if (!state.Retired && !(state.LastReadAt >= passBegunAt))
            {
                due.Add((test, state));
            }
        }

        // Tests read longest ago first, each once a pass: a pass cut short by the burst limit resumes with the rest.
        foreach (var (test, state) in due.OrderBy(item => item.State.LastReadAt ?? DateTime.MinValue))
        {
            var changed = false;
            var known = _store.Known(Id, state.PstId);
            var identity = new EnvelopeContext("test", TestIdentity(test));
            var recipients = 0;
            for (var page = 1; ; page++)
            {
                var listed = await CallAsync(RecipientsTemplate, token => _client.ListPageAsync(
                    "/v1/phishing/security_tests/" + Uri.EscapeDataString(state.PstId) + "/recipients", RecipientsTemplate, page, null, token), cancellationToken);
                if (listed.Wait is { } wait)
                {
                    return wait;
                }
                if (listed.Value!.Count == 0)
                {
                    break;
                }
                recipients += listed.Value.Count;
                var pending = Changes(listed.Value, known, state.PstId, record => record.Text("recipient_id") ?? state.PstId + ":" + UserId(record), identity);
                if (pending.Count > 0)
                {
                    changed = true;
                    state.LastChangeAt = _time.GetUtcNow().UtcDateTime;
                    await DeliverAsync(pending, checkpoint, state, poll, cancellationToken);
                }
            }
            var readAt = _time.GetUtcNow();
            state.LastReadAt = readAt.UtcDateTime;
            state.Recipients = recipients;
            if (!changed && state.ClosedSeenAt is { } closedAt)
            {
                var quietSince = new[] { closedAt, state.LastChangeAt ?? state.FirstSeenAt }.Max();
                if (readAt.UtcDateTime - quietSince >= _settings.QuietPeriod)
                {
                    state.Retired = true;
                    Log.TestRetired(_logger, Name, state.PstId, new DateTimeOffset(quietSince, TimeSpan.Zero));
                }
            }
            _changedTests.Add(state);
        }
        checkpoint.PassBegunAt = null;
        checkpoint.LastCompletedAt = _time.GetUtcNow().UtcDateTime;
        return null;
    }

    private static bool IsClosed(string status) =>
        status.Equals("Closed", StringComparison.OrdinalIgnoreCase) || status.Equals("Completed", StringComparison.OrdinalIgnoreCase)
        || status.Equals("Ended", StringComparison.OrdinalIgnoreCase);

    /// <summary>The test a recipient row belongs to, as the envelope carries it: id, campaign, name, start, status.</summary>
    private static byte[] TestIdentity(ReportingRecord test)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var name in new[] { "pst_id", "campaign_id", "name", "started_at", "status" })
            {
                if (test.Element.TryGetProperty(name, out var value))
                {
                    writer.WritePropertyName(name);
                    value.WriteTo(writer);
                }
            }
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static string UserId(ReportingRecord record) =>
        record.Element.TryGetProperty("user", out var user) && user.ValueKind == JsonValueKind.Object && user.TryGetProperty("id", out var id) ? id.GetRawText() : "?";

    // ---- trainingEnrollments: every enrollment, re-listed and compared ----

    private async Task<TimeSpan?> PollEnrollmentsAsync(ReportingCheckpointDocument checkpoint, PollCounts poll, PollProgress progress, CancellationToken cancellationToken)
    {
        var known = _store.Known(Id);
        if (await ListAllAsync(
                "/v1/training/enrollments", EnrollmentsTemplate, checkpoint, poll, progress,
                records => Changes(records, known, "", record => record.Text("enrollment_id") ?? UserId(record) + ":" + record.Text("campaign_name") + ":" + record.Text("module_name"), null),
                cancellationToken, cursor: true) is { } wait)
        {
            return wait;
        }
        checkpoint.LastCompletedAt = _time.GetUtcNow().UtcDateTime;
        return null;
    }

    // ---- userRiskScores: each user's current risk score, once a UTC day (one list call per page of users), then the
    //      account's and each group's risk score history, at most once a UTC day ----

    private async Task<TimeSpan?> PollRiskScoresAsync(ReportingCheckpointDocument checkpoint, PollCounts poll, PollProgress progress, CancellationToken cancellationToken)
    {
        var today = _time.GetUtcNow().UtcDateTime.Date;
        var day = today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        if (checkpoint.SnapshotDay != today)
        {
            if (checkpoint.SnapshotInProgress != today)
            {
                checkpoint.SnapshotInProgress = today;
                checkpoint.ResumePage = 1;
            }
            var known = _store.Known(Id, day);
            if (await ListAllAsync(
                    "/v1/users", UsersTemplate, checkpoint, poll, progress,
                    records => Changes(records, known, day, record => (record.Text("id") ?? record.Text("email") ?? "?") + "/" + day, null, snapshotDay: day),
                    cancellationToken) is { } wait)
            {
                return wait;
            }
            checkpoint.SnapshotDay = today;
            checkpoint.SnapshotInProgress = null;
            _store.DeleteGroupsExcept(Id, day, HistoryGroup);
        }
        if (checkpoint.HistoryDay != today)
        {
            if (await PollRiskHistoryAsync(checkpoint, today, poll, progress, cancellationToken) is { } wait)
            {
                return wait;
            }
            checkpoint.HistoryDay = today;
            checkpoint.HistoryInProgress = null;
            checkpoint.HistoryDone.Clear();
        }
        checkpoint.LastCompletedAt = _time.GetUtcNow().UtcDateTime;
        return null;
    }

    /// <summary>
    /// The account's risk score history, then each group's (<c>GET /v1/groups</c>, then one history call per group),
    /// each point forwarded once (and again only if its score is revised). A sweep cut short by a limit resumes with
    /// the groups it has not read yet.
    /// </summary>
    private async Task<TimeSpan?> PollRiskHistoryAsync(ReportingCheckpointDocument checkpoint, DateTime today, PollCounts poll, PollProgress progress, CancellationToken cancellationToken)
    {
        if (checkpoint.HistoryInProgress != today)
        {
            checkpoint.HistoryInProgress = today;
            checkpoint.HistoryDone.Clear();
        }
        var known = _store.Known(Id, HistoryGroup);
        if (!checkpoint.HistoryDone.Contains(AccountHistoryDone))
        {
            var scope = new EnvelopeContext("riskHistory", "{\"scope\":\"account\"}"u8.ToArray());
            if (await ReadHistoryAsync("/v1/account/risk_score_history", AccountHistoryTemplate, "account/", scope, known, checkpoint, poll, progress, cancellationToken) is { } wait)
            {
                return wait;
            }
            checkpoint.HistoryDone.Add(AccountHistoryDone);
        }

        var groups = new List<ReportingRecord>();
        for (var page = 1; ; page++)
        {
            var listed = await CallAsync(GroupsTemplate, token => _client.ListPageAsync("/v1/groups", GroupsTemplate, page, null, token), cancellationToken);
            if (listed.Wait is { } wait)
            {
                return wait;
            }
            if (listed.Value!.Count == 0)
            {
                break;
            }
            groups.AddRange(listed.Value);
        }
        foreach (var group in groups)
        {
            if (group.Text("id") is not { } groupId || checkpoint.HistoryDone.Contains(groupId))
            {
                continue;
            }
            var scope = new EnvelopeContext("riskHistory", GroupScope(group));
            if (await ReadHistoryAsync("/v1/groups/" + Uri.EscapeDataString(groupId) + "/risk_score_history", GroupHistoryTemplate, "group/" + groupId + "/", scope, known, checkpoint, poll, progress, cancellationToken) is { } wait)
            {
                return wait;
            }
            checkpoint.HistoryDone.Add(groupId);
        }
        return null;
    }

    /// <summary>
    /// One history: its points keyed by <paramref name="keyPrefix"/> and date. The default window (about six months, a
    /// point a day) fits one page of 500; a further page is asked for only when a page came back full, so an endpoint
    /// that ignores paging is never read twice.
    /// </summary>
    private async Task<TimeSpan?> ReadHistoryAsync(
        string path, string template, string keyPrefix, EnvelopeContext scope, Dictionary<string, KnownRecord> known,
        ReportingCheckpointDocument checkpoint, PollCounts poll, PollProgress progress, CancellationToken cancellationToken)
    {
        for (var page = 1; ; page++)
        {
            var listed = await CallAsync(template, token => _client.ListPageAsync(path, template, page, null, token), cancellationToken);
            if (listed.Wait is { } wait)
            {
                return wait;
            }
            progress.FirstPageArrived();
            var pending = Changes(listed.Value!, known, HistoryGroup, record => keyPrefix + (record.Text("date") ?? "?"), scope);
            if (pending.Count > 0)
            {
                await DeliverAsync(pending, checkpoint, null, poll, cancellationToken);
            }
            if (listed.Value!.Count < ReportingClient.MaxPerPage)
            {
                return null;
            }
        }
    }

    /// <summary>The group a history point belongs to, as the envelope carries it: <c>{"scope":"group","id":…,"name":…}</c>.</summary>
    private static byte[] GroupScope(ReportingRecord group)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("scope", "group");
            foreach (var name in new[] { "id", "name" })
            {
                if (group.Element.TryGetProperty(name, out var value))
                {
                    writer.WritePropertyName(name);
                    value.WriteTo(writer);
                }
            }
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// Lists every page of <paramref name="path"/> from the checkpoint's resume point to the first empty one, delivering
    /// each page's changes as it goes. With <paramref name="cursor"/> the walk goes by cursor while the answers offer one
    /// (and by page numbers when the server ignores it). Returns how long to wait when a limit stopped it (it resumes at
    /// that page or cursor); null when the list ended (the next list starts at the beginning).
    /// </summary>
    private async Task<TimeSpan?> ListAllAsync(
        string path, string template, ReportingCheckpointDocument checkpoint, PollCounts poll, PollProgress progress,
        Func<IReadOnlyList<ReportingRecord>, List<Pending>> changes, CancellationToken cancellationToken, bool cursor = false)
    {
        while (true)
        {
            var page = checkpoint.ResumePage;
            var askCursor = !cursor ? null : checkpoint.ResumeCursor ?? (page == 1 ? "true" : null);
            CallResult<ReportingPage> listed;
            try
            {
                listed = await CallAsync(template, async token => askCursor is null
                    ? new ReportingPage(await _client.ListPageAsync(path, template, page, null, token), null, Cursored: false)
                    : await _client.ListCursorPageAsync(path, template, askCursor, null, token), cancellationToken);
            }
            catch (KnowBe4ApiException failure) when (checkpoint.ResumeCursor is not null && failure.Kind is KnowBe4FailureKind.BadRequest or KnowBe4FailureKind.NotFound)
            {
                // A saved cursor KnowBe4 no longer accepts: the walk starts over; the fingerprints keep it from re-sending.
                Log.CursorRefused(_logger, Name, template, failure.Message);
                checkpoint.ResumeCursor = null;
                checkpoint.ResumePage = 1;
                continue;
            }
            if (listed.Wait is { } wait)
            {
                return wait;
            }
            progress.FirstPageArrived();
            var answer = listed.Value!;
            if (answer.Records.Count == 0)
            {
                checkpoint.ResumePage = 1;
                checkpoint.ResumeCursor = null;
                return null;
            }
            var pending = changes(answer.Records);
            // The resume point moves on with the page's fingerprints, committed together with its last batch.
            checkpoint.ResumeCursor = answer.NextCursor;
            checkpoint.ResumePage = answer.Cursored ? 1 : page + 1;
            if (pending.Count > 0)
            {
                await DeliverAsync(pending, checkpoint, null, poll, cancellationToken);
            }
            if (answer.Cursored && answer.NextCursor is null)
            {
                return null;
            }
        }
    }

    // ---- change detection, envelope, delivery ----

    private sealed record Pending(AcceptedRecord Record, SinkEvent Event);

    private sealed class PollCounts
    {
        public int Created { get; set; }

        public int Updated { get; set; }
    }

    /// <summary>
    /// The records of a page that are new or whose content changed, each as the line to forward. An update names the
    /// top-level fields whose values differ from the version last delivered (when that version's field hashes are kept).
    /// </summary>
    private List<Pending> Changes(
        IReadOnlyList<ReportingRecord> records, Dictionary<string, KnownRecord> known, string group, Func<ReportingRecord, string> keyOf,
        EnvelopeContext? context, string? snapshotDay = null)
    {
        var pending = new List<Pending>();
        var observedAt = _time.GetUtcNow();
        foreach (var record in records)
        {
            var key = keyOf(record);
            var fingerprint = Fingerprint(record.Json);
            var seen = known.TryGetValue(key, out var previous);
            if (seen && previous!.Fingerprint == fingerprint)
            {
                continue;
            }
            // Snapshot rows are never updated (a new day is a new key): their field hashes would only take room.
            var fields = snapshotDay is null ? FieldHashes(record.Element) : null;
            var change = snapshotDay is not null ? ChangeSnapshot : seen ? ChangeUpdated : ChangeCreated;
            var changedFields = seen && previous!.Fields is { } before && fields is not null ? ChangedFields(before, fields) : null;
            known[key] = new KnownRecord(fingerprint, fields);
            var line = ReportingEnvelope.Wrap(record.Json, ReportingDataTypes.Name(DataType), change, observedAt, key, changedFields, context, snapshotDay);
            pending.Add(new Pending(new AcceptedRecord(key, group, fingerprint, fields, !seen), new SinkEvent(ReportingDataTypes.Name(DataType) + ":" + key + ":" + fingerprint, line)));
        }
        return pending;
    }

    /// <summary>A 32-bit hash of each top-level field's value (its JSON text), by field name.</summary>
    private static Dictionary<string, int> FieldHashes(JsonElement record)
    {
        var fields = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var property in record.EnumerateObject())
        {
            fields[property.Name] = BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes(property.Value.GetRawText())), 0);
        }
        return fields;
    }

    /// <summary>The fields whose values differ, in the record's order; fields that disappeared last.</summary>
    private static List<string> ChangedFields(Dictionary<string, int> before, Dictionary<string, int> after)
    {
        var changed = after.Where(field => !before.TryGetValue(field.Key, out var hash) || hash != field.Value).Select(field => field.Key).ToList();
        changed.AddRange(before.Keys.Where(name => !after.ContainsKey(name)));
        return changed;
    }

    /// <summary>Delivers in batches; after each accepted batch its fingerprints and the checkpoint are committed together.</summary>
    private async Task DeliverAsync(List<Pending> pending, ReportingCheckpointDocument checkpoint, ReportingTestDocument? test, PollCounts poll, CancellationToken cancellationToken)
    {
        var batchSize = Math.Max(1, _services.Sink.Options.MaxBatchEvents);
        for (var start = 0; start < pending.Count; start += batchSize)
        {
            var batch = pending.GetRange(start, Math.Min(batchSize, pending.Count - start));
            DeliveryReport report;
            try
            {
                report = await _services.Sink.SendAsync(Id, _target, [.. batch.Select(item => item.Event)], cancellationToken);
            }
            catch (SinkException failure) when (failure.Delivered.Settled > 0)
            {
                Commit(batch.GetRange(0, failure.Delivered.Settled));
                throw;
            }
            if (report.DeadLettered > 0)
            {
                Log.DeadLettered(_logger, Name, report.DeadLettered);
            }
            Commit(batch);
        }

        void Commit(List<Pending> accepted)
        {
            var records = accepted.Select(item => item.Record).ToList();
            try
            {
                _store.Commit(Id, records, checkpoint, test);
            }
            catch (Exception failure) when (failure is not OutOfMemoryException)
            {
                _held.Add(new HeldBatch(records, test));
                throw;
            }
            poll.Created += records.Count(record => record.Created);
            poll.Updated += records.Count(record => !record.Created);
        }
    }

    /// <summary>
    /// A poll after a failed commit first writes what the sink already accepted (held in memory, never sent again); it
    /// reads nothing until that lands, so the records it would otherwise find changed are known.
    /// </summary>
    private void CommitHeld(ReportingCheckpointDocument checkpoint)
    {
        while (_held.Count > 0)
        {
            _store.Commit(Id, _held[0].Records, checkpoint, _held[0].Test);
            Log.HeldCommitted(_logger, Name, _held[0].Records.Count);
            _held.RemoveAt(0);
        }
    }

    /// <summary>
    /// For a stop, once the data type's work has ended: writes what a failed commit left held, so a graceful stop does
    /// not send it again at the next start. Says so when the file still refuses it.
    /// </summary>
    public void CommitHeldAtStop()
    {
        if (_held.Count == 0)
        {
            return;
        }
        try
        {
            CommitHeld(_store.Checkpoint(Id));
        }
        catch (Exception error) when (error is IOException or LiteDB.LiteException or ObjectDisposedException)
        {
            var records = _held.Sum(batch => batch.Records.Count);
            Log.HeldLostAtStop(_logger, Name, records);
        }
    }

    private sealed record HeldBatch(IReadOnlyList<AcceptedRecord> Records, ReportingTestDocument? Test);

    private static string Fingerprint(string json)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(json), hash);
        return Convert.ToHexStringLower(hash[..8]);
    }

    // ---- calls: the gate first, transient failures retried, a 429 parks the key ----

    private readonly record struct CallResult<T>(T? Value, TimeSpan? Wait);

    private async Task<CallResult<T>> CallAsync<T>(string template, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
        where T : class
    {
        var gate = _services.ReportingGate;
        var fingerprint = _settings.ApiKeyFingerprint;
        for (var attempt = 1; ; attempt++)
        {
            var permit = gate.TryAcquire(fingerprint);
            while (!permit.Granted)
            {
                var wait = permit.NotBefore - _time.GetUtcNow();
                if (permit.Limit == ReportingLimit.Daily)
                {
                    throw Parked(template, null, ReportingLimit.Daily, permit.NotBefore, $"{template}: the Reporting key's daily budget is spent (window from its first call)");
                }
                if (permit.Limit == ReportingLimit.Burst || wait > LongestInPollWait)
                {
                    return new CallResult<T>(null, wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(1));
                }
                // Never a busy loop, even if the gate's instant has already passed.
                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(1), _time, cancellationToken);
                permit = gate.TryAcquire(fingerprint);
            }

            _calls++;
            var started = _time.GetTimestamp();
            try
            {
                T value;
                try
                {
                    value = await call(cancellationToken);
                }
                finally
                {
                    gate.Answered(fingerprint, permit.NotBefore);
                }
                _services.Ledger.RecordCall(new CallRecord(_time.GetUtcNow(), Id, fingerprint, template, 200, value is IReadOnlyList<ReportingRecord> list ? list.Count : 1, null, _time.GetElapsedTime(started)));
                return new CallResult<T>(value, null);
            }
            catch (KnowBe4ApiException failure)
            {
                var now = _time.GetUtcNow();
                _services.Ledger.RecordCall(new CallRecord(now, Id, fingerprint, template, failure.StatusCode, 0, failure.Kind + ": " + failure.Message, _time.GetElapsedTime(started)));
                if (failure.Kind == KnowBe4FailureKind.RateLimited)
                {
                    // A 429 although the ledger allowed the call: another client spends the key. The first parks the key for a
                    // burst window; a second right after means the daily window is spent.
                    var limit = gate.RecentlyParkedForBurst(fingerprint) ? ReportingLimit.Daily : ReportingLimit.Burst;
                    var until = gate.Park(fingerprint, limit, now + (failure.RetryAfter ?? (limit == ReportingLimit.Burst ? ReportingGate.BurstWindow : ReportingGate.DailyWindow)));
                    throw Parked(template, failure.StatusCode, limit, until, failure.Message);
                }
                if (attempt >= _services.Retry.Attempts + 1 || !CallRetry.IsTransient(failure, _services.Retry.MaxRetryAfter))
                {
                    throw;
                }
                Log.Retrying(_logger, Name, template, failure.Message, attempt + 1);
                var delay = failure.RetryAfter ?? _services.Retry.BaseDelay * Math.Pow(2, attempt - 1);
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, _time, cancellationToken);
                }
            }
        }
    }

    /// <summary>What parks the data type: the supervisor waits until the window ends, with a Warning health event.</summary>
    private KnowBe4ApiException Parked(string template, int? status, ReportingLimit limit, DateTimeOffset until, string reason)
    {
        Log.Parked(_logger, Name, template, until, limit);
        var wait = until - _time.GetUtcNow();
        var window = limit switch
        {
            ReportingLimit.Burst => "50-calls-a-minute",
            ReportingLimit.Daily => "daily",
            _ => "4-calls-a-second",
        };
        return new KnowBe4ApiException(KnowBe4FailureKind.QuotaExhausted, template, status,
            $"{reason}; the Reporting key's {window} limit is reached, its window ends at {until:O}", wait > TimeSpan.Zero ? wait : TimeSpan.FromSeconds(1));
    }

    private static DateTimeOffset? Utc(DateTime? value) => value is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : null;
}

/// <summary>A Reporting data type's checkpoint, for the admin endpoint and console.</summary>
public sealed record ReportingCheckpointView(
    string DataType,
    long Created,
    long Updated,
    long Calls,
    int ResumePage,
    DateTimeOffset? LastPollAt,
    DateTimeOffset? LastCompletedAt,
    DateOnly? SnapshotDay,
    int Tests,
    int RetiredTests,
    DateOnly? HistoryDay = null,
    string? EffectivePollInterval = null,
    int LastPassCalls = 0);
