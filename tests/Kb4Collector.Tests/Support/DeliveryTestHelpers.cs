using System.Globalization;
using System.IO.Compression;
using System.Text;
using Kb4Collector.Delivery;
using Kb4Collector.Storage;

namespace Kb4Collector.Tests.Support;

/// <summary>A temp folder for a real LiteDB file, removed on dispose.</summary>
internal sealed class DeliveryTestFolder : IDisposable
{
    public DeliveryTestFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kb4collector-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public CollectorDatabase OpenDatabase() => CollectorDatabase.Open(Path);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a file still held open by a failed test must not hide that test's failure.
        }
    }
}

/// <summary>KnowBe4-shaped events with their exact bytes, and helpers to read bodies back.</summary>
internal static class DeliveryTestEvents
{
    public static readonly DateTimeOffset FirstOccurred = new(2024, 3, 1, 10, 5, 13, 890, TimeSpan.Zero);

    public static string Id(int index) => $"00000000-0000-4000-8000-{index:D12}";

    /// <summary>One event; <paramref name="padding"/> makes its description that many characters longer.</summary>
    public static SinkEvent Event(int index, int padding = 0)
    {
        var occurred = FirstOccurred.AddSeconds(index).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var json = "{\"id\":\"" + Id(index) + "\",\"account_id\":52306,\"user\":{\"email\":\"user" + index
            + "@example.com\",\"id\":38651943,\"archived\":false},\"external_id\":null,\"source\":null,\"description\":\"d"
            + new string('x', padding) + "\",\"occurred_date\":\"" + occurred
            + "\",\"risk\":{\"level\":5,\"decay_mode\":0,\"expire_date\":null},\"metadata\":null,\"event_type\":{\"id\":420899085,\"name\":\"event_type_55\",\"description\":null}}";
        return new SinkEvent(Id(index), Encoding.UTF8.GetBytes(json));
    }

    public static List<SinkEvent> Events(int count, int padding = 0) => [.. Enumerable.Range(0, count).Select(index => Event(index, padding))];

    public static byte[] Gunzip(byte[] body)
    {
        using var input = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>Splits an NDJSON body into its lines (without the '\n'); the body must end with '\n'.</summary>
    public static List<byte[]> Lines(byte[] body)
    {
        Assert.True(body.Length > 0 && body[^1] == (byte)'\n', "an NDJSON body ends with a newline");
        var lines = new List<byte[]>();
        var start = 0;
        for (var i = 0; i < body.Length; i++)
        {
            if (body[i] == (byte)'\n')
            {
                lines.Add(body[start..i]);
                start = i + 1;
            }
        }
        return lines;
    }
}
