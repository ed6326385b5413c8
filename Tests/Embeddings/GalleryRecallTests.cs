using Xunit.Abstractions;

namespace EdgeLoss.Tests.Embeddings;

/// <summary>int8 storage against float32 on a face-recognition-sized gallery: 2000 identities x 512 dimensions.</summary>
public class GalleryRecallTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1.2)]    // genuine cosine about 0.64: an easy, typical camera
    [InlineData(3.2)]    // genuine cosine about 0.30: twice the best of 2000 impostors (about 0.155)
    [InlineData(5.0)]    // genuine cosine about 0.20: among the best impostors, f32 itself often wrong
    [InlineData(6.0)]    // genuine cosine about 0.16: f32 right in only about 64% of queries
    public void Int8_keeps_recall_at_1_of_float32(double noise)
    {
        const int identities = 2000, dim = 512, queries = 500;
        var random = new Random(42);
        float[] persons = Data.Gaussian(random, identities * dim);
        string[] ids = [.. Enumerable.Range(0, identities).Select(i => $"person{i}")];
        using var f32 = EmbeddingGallery.Open(null, dim, EmbeddingStorage.F32);
        using var i8 = EmbeddingGallery.Open(null, dim, EmbeddingStorage.I8);
        f32.EnrollBatch(ids, persons);
        i8.EnrollBatch(ids, persons);

        int agree = 0, f32Correct = 0, i8Correct = 0;
        double sumSq = 0, worst = 0;
        var a = new Match[5];
        var b = new Match[5];
        for (int t = 0; t < queries; t++)
        {
            int truth = random.Next(identities);
            float[] probe = Data.Noisy(random, persons.AsSpan(truth * dim, dim), noise);
            f32.Search(probe, 5, a);
            i8.Search(probe, 5, b);
            agree += a[0].Id == b[0].Id ? 1 : 0;
            f32Correct += a[0].Id == ids[truth] ? 1 : 0;
            i8Correct += b[0].Id == ids[truth] ? 1 : 0;
            // quantization error of the same identity's score
            double err = b[0].Score - f32.Verify(b[0].Id, probe);
            sumSq += err * err;
            worst = Math.Max(worst, Math.Abs(err));
        }
        double rms = Math.Sqrt(sumSq / queries);
        output.WriteLine($"noise {noise}: recall@1 f32 {f32Correct / (double)queries:F3}, i8 {i8Correct / (double)queries:F3}, " +
                         $"i8 top-1 = f32 top-1 in {agree / (double)queries:F3}; score error rms {rms:E2}, max {worst:E2}");
        Assert.True(agree >= 0.99 * queries, $"int8 agrees with float32 on the top identity in only {agree} of {queries} queries");
        Assert.True(i8Correct >= f32Correct - 0.01 * queries, $"int8 recall@1 {i8Correct}, float32 {f32Correct} of {queries}");
        // Each element is rounded to a step s = max|u| / 127, about 0.14 / 127 for these unit vectors, so its error is
        // uniform with rms s / sqrt(12) ~ 3.2e-4; projected on the other vector each side moves the cosine by about
        // that, together sqrt(2) * 3.2e-4 ~ 4.5e-4 rms (measured 3.6e-4 to 4.4e-4, max 1.5e-3).
        Assert.True(rms < 1e-3, $"int8 score error rms {rms}");
        Assert.True(worst < 5e-3, $"int8 score error max {worst}");
    }
}
