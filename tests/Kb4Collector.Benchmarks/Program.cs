using BenchmarkDotNet.Running;
using Kb4Collector.Benchmarks.EndToEnd;
using Kb4Collector.Benchmarks.Pipeline;

if (await ProcessBenchmark.TryRunAsync(args) is { } processExitCode)
{
    return processExitCode;
}
if (await PipelineProbe.TryRunAsync(args) is { } exitCode)
{
    return exitCode;
}
BenchmarkSwitcher.FromAssembly(typeof(PipelineBenchmarks).Assembly).Run(args);
return 0;
