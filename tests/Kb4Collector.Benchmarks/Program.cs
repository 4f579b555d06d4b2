using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Kb4Collector.Benchmarks.Emulator.EmulatorPageBenchmarks).Assembly).Run(args);
