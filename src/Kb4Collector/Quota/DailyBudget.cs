namespace Kb4Collector.Quota;

/// <summary>
/// A key's KnowBe4 calls per UTC day: <see cref="Total"/> (10 per licensed user, or an explicit budget) of which
/// <see cref="ManualReserve"/> is kept for manual calls (CLI, admin) and never spent by scheduled polling.
/// </summary>
public sealed record DailyBudget
{
    public const int CallsPerLicensedUser = 10;

    /// <summary>Default reserve: 5 % of the budget, at least 10 calls, at most a tenth of the budget.</summary>
    public const double DefaultReserveShare = 0.05;

    public const int DefaultMinimumReserve = 10;

    /// <summary>
    /// The budget of a key whose source gives neither <c>licensedUsers</c> nor <c>dailyCallBudget</c>: the quota of a
    /// 5-seat account, below any real account's, so the collector never provokes "Limit Exceeded" by its own pace.
    /// </summary>
    public const int DefaultDailyCallBudget = 50;

    private DailyBudget(int total, int manualReserve, int scheduled)
    {
        Total = total;
        ManualReserve = manualReserve;
        Scheduled = scheduled;
    }

    public int Total { get; }

    public int ManualReserve { get; }

    /// <summary>Calls scheduled polling may spend per day: the collector's share, and never the manual reserve.</summary>
    public int Scheduled { get; }

    /// <summary>
    /// The budget for a key: <paramref name="dailyCallBudget"/> when given, else 10 × <paramref name="licensedUsers"/>;
    /// else <see cref="DefaultDailyCallBudget"/>; the reserve is <paramref name="manualReserve"/> when given, else <see cref="DefaultReserve"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A count is out of range.</exception>
    /// <param name="collectorShare">
    /// The share of the budget scheduled polling may spend (a source's <c>maxQuotaShare</c>): the tools that push events
    /// into KnowBe4 spend the same quota.
    /// </param>
    public static DailyBudget Create(int? licensedUsers, int? dailyCallBudget = null, int? manualReserve = null, double collectorShare = 1.0)
    {
        int total;
        if (dailyCallBudget is { } explicitBudget)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(explicitBudget, nameof(dailyCallBudget));
            total = explicitBudget;
        }
        else if (licensedUsers is { } users)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(users, nameof(licensedUsers));
            total = (int)Math.Min(int.MaxValue, (long)users * CallsPerLicensedUser);
        }
        else
        {
            total = DefaultDailyCallBudget;
        }

        var reserve = manualReserve ?? DefaultReserve(total);
        if (reserve < 0 || reserve > total)
        {
            throw new ArgumentOutOfRangeException(nameof(manualReserve), reserve, $"The manual reserve must be between 0 and the daily budget ({total}).");
        }
        if (collectorShare is <= 0 or > 1 || double.IsNaN(collectorShare))
        {
            throw new ArgumentOutOfRangeException(nameof(collectorShare), collectorShare, "The collector's share of the budget must be greater than 0 and at most 1.");
        }
        var scheduled = Math.Min(total - reserve, (int)Math.Floor(total * collectorShare));
        return new DailyBudget(total, reserve, Math.Max(scheduled, 1));
    }

    /// <summary>5 % of the budget, at least 10 calls, but never more than a tenth of a small budget (10 calls a day keep 1).</summary>
    public static int DefaultReserve(int total)
        => Math.Min(Math.Max((int)Math.Ceiling(total * DefaultReserveShare), DefaultMinimumReserve), Math.Max(total / 10, 1));
}
