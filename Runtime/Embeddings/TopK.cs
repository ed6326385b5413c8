using System.Runtime.CompilerServices;

namespace EdgeLoss;

/// <summary>A scored identity during a search: its slot in the gallery, score and enrollment ordinal.</summary>
internal struct Candidate
{
    public int Slot;
    public float Score;
    public long Ordinal;
}

/// <summary>
/// Top-k selection over identities with a binary heap of at most k entries whose root is the worst kept
/// candidate. "Better" is a total order: higher score, then the identity enrolled first (smaller ordinal), which
/// is the tie rule of semantics.md section 4. Scanning N rows costs O(N) compares against the root plus
/// O(log k) for the few that enter, instead of sorting N scores.
/// </summary>
internal static class TopK
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Better(in Candidate a, in Candidate b) =>
        a.Score > b.Score || (a.Score == b.Score && a.Ordinal < b.Ordinal);

    /// <summary>
    /// A row scoring below this cannot change the heap: -inf while it is not full, else the root's score. A row
    /// scoring exactly this still may (a tie broken by ordinal), so callers test <c>score &gt;= threshold</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Threshold(ReadOnlySpan<Candidate> heap, int count) =>
        count < heap.Length ? float.NegativeInfinity : heap[0].Score;

    /// <summary>
    /// Offers a template's score for identity <paramref name="slot"/>, which may already be in the heap (several
    /// templates per identity): then its entry keeps the better score. The heap's capacity is
    /// <c>heap.Length</c> = k. The linear search for the slot runs only for rows that pass the threshold, and k is
    /// small on this path.
    /// </summary>
    public static void Offer(Span<Candidate> heap, ref int count, int slot, float score, long ordinal)
    {
        for (int i = 0; i < count; i++)
        {
            if (heap[i].Slot == slot)
            {
                if (score > heap[i].Score)
                {
                    heap[i].Score = score;
                    SiftDown(heap, count, i);
                }
                return;
            }
        }
        OfferNew(heap, ref count, new Candidate { Slot = slot, Score = score, Ordinal = ordinal });
    }

    /// <summary>Offers a candidate whose identity is known not to be in the heap.</summary>
    public static void OfferNew(Span<Candidate> heap, ref int count, in Candidate c)
    {
        if (count < heap.Length)
        {
            heap[count] = c;
            SiftUp(heap, count++);
        }
        else if (Better(c, heap[0]))
        {
            heap[0] = c;
            SiftDown(heap, count, 0);
        }
    }

    /// <summary>
    /// Sorts best first (score descending, then ordinal ascending) by heapsort: with the worst at the root, moving
    /// the root to the end again and again leaves the best at the front. In place, no allocation (Span.Sort with a
    /// comparer boxes it).
    /// </summary>
    public static void SortBestFirst(Span<Candidate> items)
    {
        for (int i = items.Length / 2 - 1; i >= 0; i--)
            SiftDown(items, items.Length, i);
        for (int end = items.Length - 1; end > 0; end--)
        {
            (items[0], items[end]) = (items[end], items[0]);
            SiftDown(items, end, 0);
        }
    }

    private static void SiftUp(Span<Candidate> heap, int i)
    {
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (!Better(heap[parent], heap[i]))
                return;
            (heap[parent], heap[i]) = (heap[i], heap[parent]);
            i = parent;
        }
    }

    private static void SiftDown(Span<Candidate> heap, int count, int i)
    {
        while (true)
        {
            int worst = i, left = 2 * i + 1, right = left + 1;
            if (left < count && Better(heap[worst], heap[left])) worst = left;
            if (right < count && Better(heap[worst], heap[right])) worst = right;
            if (worst == i)
                return;
            (heap[worst], heap[i]) = (heap[i], heap[worst]);
            i = worst;
        }
    }
}
