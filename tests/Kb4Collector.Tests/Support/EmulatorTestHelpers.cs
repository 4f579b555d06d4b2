using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Kb4Collector.Emulator;
using Microsoft.Extensions.Time.Testing;

namespace Kb4Collector.Tests.Support;

/// <summary>Starts emulators on loopback port 0 and calls them with plain HttpClient + JsonDocument.</summary>
internal static class EmulatorTestHelpers
{
    public static readonly DateTimeOffset Start = new(2025, 3, 10, 12, 0, 0, TimeSpan.Zero);

    /// <summary>One account, no backlog, limits off unless the scenario says otherwise.</summary>
    public static EmulatorScenario Quiet(int backlog = 0, int seed = 7) => new()
    {
        Accounts = [new EmulatorAccountSpec { Name = "Acme", AccountId = 52306, Seats = 50, ApiKeys = ["test-key-1", "test-key-2"] }],
        Backlog = new EmulatorBacklog { Events = backlog, Days = 10 },
        Limits = EmulatorLimits.Off,
        Seed = seed,
    };

    public static Task<KnowBe4Emulator> StartAsync(EmulatorScenario scenario, FakeTimeProvider clock, TimeSpan? statusDelay = null) =>
        KnowBe4Emulator.StartAsync(
            new EmulatorOptions { Scenario = scenario, TimeProvider = clock, StatusProcessingDelay = statusDelay ?? TimeSpan.FromSeconds(2) },
            TestContext.Current.CancellationToken);

    public static HttpClient Client(KnowBe4Emulator emulator, string? key = null)
    {
        var client = new HttpClient { BaseAddress = emulator.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key ?? emulator.ApiKey);
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    public static async Task<(HttpStatusCode Status, JsonDocument Body)> GetJsonAsync(this HttpClient client, string path)
    {
        using var response = await client.GetAsync(path, TestContext.Current.CancellationToken);
        return (response.StatusCode, await ReadJsonAsync(response));
    }

    public static async Task<(HttpStatusCode Status, JsonDocument Body)> PostJsonAsync(this HttpClient client, string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(path, content, TestContext.Current.CancellationToken);
        return (response.StatusCode, await ReadJsonAsync(response));
    }

    public static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        return JsonDocument.Parse(bytes.Length == 0 ? "null"u8.ToArray() : bytes);
    }

    public static string Message(this JsonDocument document) => document.RootElement.GetProperty("message").GetString()!;

    public static JsonElement Data(this JsonDocument document) => document.RootElement.GetProperty("data");

    public static JsonElement Meta(this JsonDocument document) => document.RootElement.GetProperty("meta");

    public static IReadOnlyList<string> Ids(this JsonDocument document) =>
        [.. document.Data().EnumerateArray().Select(item => item.GetProperty("id").GetString()!)];

    public static IReadOnlyList<string> PropertyNames(this JsonElement element) =>
        [.. element.EnumerateObject().Select(property => property.Name)];

    /// <summary>A file of the repository, found by walking up from the test binaries to Kb4Collector.sln.</summary>
    public static string RepositoryFile(string relativePath)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Kb4Collector.sln")))
            {
                return Path.Combine(directory.FullName, relativePath);
            }
        }
        throw new FileNotFoundException($"Kb4Collector.sln not found above {AppContext.BaseDirectory}");
    }
}

/// <summary>A TextWriter that another thread may read while a command writes to it.</summary>
internal sealed class LockedStringWriter : TextWriter
{
    private readonly Lock _gate = new();
    private readonly StringBuilder _text = new();

    public override Encoding Encoding => Encoding.UTF8;

    public string Text
    {
        get
        {
            lock (_gate)
            {
                return _text.ToString();
            }
        }
    }

    public override void Write(char value)
    {
        lock (_gate)
        {
            _text.Append(value);
        }
    }

    public override void Write(string? value)
    {
        lock (_gate)
        {
            _text.Append(value);
        }
    }

    public override void Write(char[] buffer, int index, int count)
    {
        lock (_gate)
        {
            _text.Append(buffer, index, count);
        }
    }

    public override string ToString() => Text;
}
