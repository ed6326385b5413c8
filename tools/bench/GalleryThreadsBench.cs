using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace EdgeLoss.Bench;

/// <summary>
/// EmbeddingGallery searches held to 1 core and allowed 2 (GalleryTuning.MaxDegreeOfParallelism), on the shapes of
/// <see cref="GalleryBench"/>: the like-for-like pair of faiss_bench.py --threads 1 / --threads 2. By default a call
/// splits over all cores once it scans at least GalleryTuning.ParallelMinBytes (4 MiB) of templates times queries,
/// which every case here does (10k float32 rows are 20 MB, 10k int8 rows 5 MB).
/// Run: dotnet run -c Release --project tools/bench -- --filter '*GalleryThreadsBench*' --job short
/// </summary>
[MemoryDiagnoser]
public class GalleryThreadsBench
{
    private const int Dim = 512, K = 5, Batch = 64;

    [Params(10_000, 100_000)]
    public int Identities { get; set; }

    [Params(EmbeddingStorage.F32, EmbeddingStorage.I8)]
    public EmbeddingStorage Storage { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    private EmbeddingGallery _gallery = null!;
    private float[] _queries = null!;
    private readonly Match[] _results = new Match[Batch * K];
    private readonly int[] _found = new int[Batch];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        float[] matrix = GalleryBench.UnitRows(random, Identities);
        _queries = GalleryBench.UnitRows(random, Batch);
        _gallery = EmbeddingGallery.Open(null, Dim, Storage, GalleryTuning.Default with { MaxDegreeOfParallelism = Threads });
        string[] ids = [.. Enumerable.Range(0, Identities).Select(i => $"id{i}")];
        _gallery.EnrollBatch(ids, matrix);
    }

    [GlobalCleanup]
    public void Cleanup() => _gallery.Dispose();

    [Benchmark(Description = "Search top-5")]
    public int Search() => _gallery.Search(_queries.AsSpan(0, Dim), K, _results);

    [Benchmark(OperationsPerInvoke = Batch, Description = "SearchBatch 64 queries, per query")]
    public int SearchBatch()
    {
        _gallery.SearchBatch(_queries, Batch, K, _results, _found);
        return _found[0];
    }
}
