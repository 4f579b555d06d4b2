using System.Buffers;
using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Kb4Collector.Emulator;

internal sealed partial class EmulatorState
{
    private static readonly byte[] NotFoundBody = EmulatorJson.Message("Not Found");

    public static EmulatorResponse NotFound() => EmulatorResponse.Json(404, NotFoundBody);

    public static EmulatorResponse BadRequest(string message) => EmulatorResponse.Message(400, message);

    /// <summary>
    /// GET /events, paged from the sorted timeline. Order by occurred_date is total and deterministic: ascending is
    /// (occurred_date, id) with ids compared ordinally, descending (the default) is its exact reverse, so events sharing
    /// a millisecond come in id order ascending and reverse id order descending.
    /// </summary>
    public EmulatorResponse ListEvents(AccountState account, IQueryCollection query)
    {
        if (!EventQuery.TryParse(query, out var eventQuery, out var error))
        {
            return BadRequest(error);
        }
        EmulatorEvent[] page;
        PageMeta meta;
        lock (_gate)
        {
            if (_scanDeletions.Count > 0)
            {
                ApplyScanDeletionsLocked(account, eventQuery, Now);
            }
            var timeline = account.Events;
            if (eventQuery.UsesIndex)
            {
                var (start, end) = eventQuery.OccurredDate is { } day ? timeline.DayRange(day) : (0, timeline.Count);
                meta = PageMeta.For(end - start, eventQuery.Paging, out var offset);
                page = ArrayPool<EmulatorEvent>.Shared.Rent(meta.Count);
                for (var i = 0; i < meta.Count; i++)
                {
                    page[i] = eventQuery.Descending ? timeline[end - 1 - (int)offset - i] : timeline[start + (int)offset + i];
                }
            }
            else
            {
                var matches = Listing(timeline, eventQuery);
                meta = PageMeta.For(matches.Count, eventQuery.Paging, out var offset);
                page = ArrayPool<EmulatorEvent>.Shared.Rent(meta.Count);
                matches.CopyTo((int)Math.Min(offset, matches.Count), page, 0, meta.Count);
            }
        }
        try
        {
            return EmulatorJson.EventPage(page.AsSpan(0, meta.Count), meta);
        }
        finally
        {
            ArrayPool<EmulatorEvent>.Shared.Return(page, clearArray: true);
        }
    }

    /// <summary>Every event a List Events query matches, in its order (unpaged).</summary>
    private static List<EmulatorEvent> Listing(EventTimeline timeline, EventQuery eventQuery)
    {
        var matches = new List<EmulatorEvent>();
        foreach (var item in timeline.Ascending)
        {
            if (eventQuery.Matches(item))
            {
                matches.Add(item);
            }
        }
        if (eventQuery.OrderBy == EventOrder.OccurredDate)
        {
            if (eventQuery.Descending)
            {
                matches.Reverse();
            }
        }
        else
        {
            matches.Sort(eventQuery.Comparison());
        }
        return matches;
    }

    public EmulatorResponse GetEvent(AccountState account, string id)
    {
        lock (_gate)
        {
            return account.Events.TryGet(id, out var item) ? EmulatorJson.Item(item.Json) : NotFound();
        }
    }

    public EmulatorResponse DeleteEvent(AccountState account, string id, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (!account.Events.TryGet(id, out var item))
            {
                return NotFound();
            }
            Remove(item, now);
            return EmulatorResponse.Empty(204);
        }
    }

    /// <summary>POST /events: records a status, answers 201 with the request id; the event appears when the status is processed.</summary>
    public EmulatorResponse SubmitCreate(ApiKeyState key, CreateEventRequest request, DateTimeOffset now)
    {
        string id;
        lock (_gate)
        {
            var status = new StatusRecord
            {
                Id = NewId(_apiRandom),
                Account = key.Account,
                ApiKeyName = key.Name,
                ReceivedAt = Truncate(now),
                DueAt = now + StatusProcessingDelay,
                Sequence = ++_statusSequence,
                Request = request,
            };
            id = status.Id;
            key.Account.AddStatus(status);
            _pendingStatuses.Enqueue(status, (status.DueAt.UtcTicks, status.Sequence));
            MaterializeLocked(now);
        }
        return EmulatorResponse.Write(201, id, static (writer, requestId) =>
        {
            writer.WriteStartObject();
            writer.WriteStartObject("data");
            writer.WriteString("id", requestId);
            writer.WriteEndObject();
            writer.WriteEndObject();
        });
    }

    private void ProcessStatus(StatusRecord status)
    {
        var request = status.Request;
        var account = status.Account;
        var user = account.FindUser(request.TargetUser);
        if (user is null)
        {
            status.Failures.Add((request.TargetUser, $"User {request.TargetUser} not found"));
        }
        else
        {
            var occurred = request.OccurredDate ?? status.ReceivedAt;
            var item = new EmulatorEvent
            {
                Id = NewId(_apiRandom),
                Account = account,
                User = user,
                Type = account.GetOrAddEventType(request.EventType),
                OccurredDate = occurred,
                ExternalId = request.ExternalId,
                Source = request.Source,
                Description = request.Description,
                RiskLevel = request.RiskLevel,
                RiskDecayMode = request.RiskDecayMode ?? 0,
                RiskExpireDate = request.RiskExpireDate ?? DateOnly.FromDateTime(occurred.UtcDateTime).AddMonths(1),
                MetadataJson = request.MetadataJson,
                CreatedAt = status.DueAt,
            }.Render();
            Store(item);
            status.EventIds.Add(item.Id);
        }
        status.ProcessedAt = status.DueAt;
    }

    /// <summary>GET /event_types: <c>{data, meta: {count}}</c>, optional exact <c>name</c> filter (case-insensitive).</summary>
    public EmulatorResponse ListEventTypes(AccountState account, IQueryCollection query)
    {
        var name = EventQuery.Value(query, "name");
        List<EmulatorEventType> types;
        lock (_gate)
        {
            types = [.. account.EventTypes.Where(type => name is null || type.Name.Equals(name, StringComparison.OrdinalIgnoreCase))];
        }
        return EmulatorResponse.Write(200, types, static (writer, list) =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("data");
            foreach (var type in list)
            {
                EmulatorJson.WriteEventType(writer, type);
            }
            writer.WriteEndArray();
            writer.WriteStartObject("meta");
            writer.WriteNumber("count", list.Count);
            writer.WriteEndObject();
            writer.WriteEndObject();
        });
    }

    public EmulatorResponse GetEventType(AccountState account, string id)
    {
        EmulatorEventType? type;
        lock (_gate)
        {
            type = long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var typeId) ? account.FindEventType(typeId) : null;
        }
        return type is null ? NotFound() : EmulatorResponse.Write(200, type, static (writer, value) =>
        {
            writer.WriteStartObject();
            writer.WritePropertyName("data");
            EmulatorJson.WriteEventType(writer, value);
            writer.WriteEndObject();
        });
    }

    /// <summary>GET /statuses: newest first, Kaminari paging; <c>processed</c> = true|false|YYYY-MM-DD.</summary>
    public EmulatorResponse ListStatuses(AccountState account, IQueryCollection query)
    {
        var paging = PageRequest.Parse(EventQuery.Value(query, "page"), EventQuery.Value(query, "per_page"));
        Func<StatusRecord, bool> filter = static _ => true;
        if (EventQuery.Value(query, "processed") is { } processed)
        {
            if (bool.TryParse(processed, out var isProcessed))
            {
                filter = status => status.ProcessedAt is not null == isProcessed;
            }
            else if (EventQuery.TryParseDay(processed, out var day))
            {
                filter = status => status.ProcessedAt is { } at && DateOnly.FromDateTime(at.UtcDateTime) == day;
            }
            else
            {
                return BadRequest("processed must be true, false or a date (YYYY-MM-DD)");
            }
        }
        lock (_gate)
        {
            var matches = account.Statuses.Where(filter).Reverse().ToList();
            var meta = PageMeta.For(matches.Count, paging, out var offset);
            var page = matches.Skip((int)Math.Min(offset, matches.Count)).Take(meta.Count).ToList();
            return EmulatorResponse.Write(200, (page, meta), static (writer, state) =>
            {
                writer.WriteStartObject();
                writer.WriteStartArray("data");
                foreach (var status in state.page)
                {
                    EmulatorJson.WriteStatus(writer, status);
                }
                writer.WriteEndArray();
                writer.WritePropertyName("meta");
                EmulatorJson.WritePageMeta(writer, state.meta);
                writer.WriteEndObject();
            });
        }
    }

    public EmulatorResponse GetStatus(AccountState account, string id)
    {
        lock (_gate)
        {
            return account.FindStatus(id) is { } status
                ? EmulatorResponse.Write(200, status, static (writer, value) =>
                {
                    writer.WriteStartObject();
                    writer.WritePropertyName("data");
                    EmulatorJson.WriteStatus(writer, value);
                    writer.WriteEndObject();
                })
                : NotFound();
        }
    }
}
