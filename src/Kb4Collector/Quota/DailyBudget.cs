namespace Kb4Collector.Quota;

/// <summary>
/// A key's KnowBe4 calls per UTC day: <see cref="Total"/> (10 per licensed user, or an explicit budget) of which
/// <see cref="ManualReserve"/> is kept for manual calls (CLI, admin) and never spent by scheduled polling.
/// </summary>
public sealed record DailyBudget
{
    public const int CallsPerLicensedUser = 10;

    /// <summary>Default reserve: 5 % of the budget, at least 10 calls, at most half the budget.</summary>
    public const double DefaultReserveShare = 0.05;

    public const int DefaultMinimumReserve = 10;

    /// <summary>
    /// The budget of a key whose source gives neither <c>licensedUsers</c> nor <c>dailyCallBudget</c>: the quota of a
    /// 5-seat account, below any real account's, so the collector never provokes "Limit Exceeded" by its own pace.
    /// </summary>
    public const int DefaultDailyCallBudget = 50;

    private DailyBudget(int total, int manualReserve)
    {
        Total = total;
        ManualReserve = manualReserve;
    }

    public int Total { get; }

    public int ManualReserve { get; }

    /// <summary>Calls scheduled polling may spend per day.</summary>
    public int Scheduled => Total - ManualReserve;

    /// <summary>
    /// The budget for a key: <paramref name="dailyCallBudget"/> when given, else 10 × <paramref name="licensedUsers"/>;
    /// else <see cref="DefaultDailyCallBudget"/>; the reserve is <paramref name="manualReserve"/> when given, else <see cref="DefaultReserve"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A count is out of range.</exception>
    public static DailyBudget Create(int? licensedUsers, int? dailyCallBudget = null, int? manualReserve = null)
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
        return new DailyBudget(total, reserve);
    }

    public static int DefaultReserve(int total)
        => Math.Min(Math.Max((int)Math.Ceiling(total * DefaultReserveShare), DefaultMinimumReserve), total / 2);
}
