using Kb4Collector.Quota;

namespace Kb4Collector.Tests.Quota;

public sealed class DailyBudgetTests
{
    [Theory]
    [InlineData(1, null, null, 10, 1)]          // tiny account: the 10-call minimum reserve is capped at a tenth
    [InlineData(2, null, null, 20, 2)]
    [InlineData(100, null, null, 1_000, 50)]    // 5 %
    [InlineData(10_000, null, null, 100_000, 5_000)]
    [InlineData(100, 500, null, 500, 25)]       // an explicit budget wins over seats
    [InlineData(null, 300, null, 300, 15)]
    [InlineData(100, null, 0, 1_000, 0)]        // explicit reserve
    [InlineData(100, null, 200, 1_000, 200)]
    [InlineData(null, null, null, DailyBudget.DefaultDailyCallBudget, 5)]
    public void BudgetAndReserve(int? licensedUsers, int? dailyCallBudget, int? manualReserve, int total, int reserve)
    {
        var budget = DailyBudget.Create(licensedUsers, dailyCallBudget, manualReserve);

        Assert.Equal(total, budget.Total);
        Assert.Equal(reserve, budget.ManualReserve);
        Assert.Equal(total - reserve, budget.Scheduled);
    }

    [Theory]
    [InlineData(0.5, 1_000, 500)]   // the collector's share is below what the reserve leaves
    [InlineData(1.0, 1_000, 950)]   // the reserve is below the share
    [InlineData(0.001, 1_000, 1)]   // at least one call
    public void TheCollectorSpendsAtMostItsShare(double share, int total, int scheduled) =>
        Assert.Equal(scheduled, DailyBudget.Create(null, total, collectorShare: share).Scheduled);

    [Theory]
    [InlineData(0, null, null)]
    [InlineData(null, -1, null)]
    [InlineData(10, null, 101)]
    [InlineData(10, null, -1)]
    public void ImpossibleBudgetsAreRefused(int? licensedUsers, int? dailyCallBudget, int? manualReserve)
    {
        Assert.ThrowsAny<ArgumentException>(() => DailyBudget.Create(licensedUsers, dailyCallBudget, manualReserve));
    }
}
