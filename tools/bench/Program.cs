using BenchmarkDotNet.Running;

// Run all: dotnet run -c Release --project tools/bench -- --filter '*'
// One class: dotnet run -c Release --project tools/bench -- --filter '*SoftmaxBench*'
// Results and the machine they ran on are written up in docs/benchmarks.md.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

/// <summary>Entry point type, named for BenchmarkSwitcher.</summary>
public partial class Program { }
