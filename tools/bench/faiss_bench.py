#!/usr/bin/python3
"""FAISS on the shapes of GalleryBench.cs, for comparison with EmbeddingGallery.

Galleries of 10k and 100k random 512-d unit vectors; top-5 by inner product (= cosine) for a single query and for
a batch of 64 queries (time reported per query). float32: IndexFlatIP (exact, BLAS for batches). int8:
IndexScalarQuantizer QT_8bit (per-dimension ranges trained on the gallery), the closest FAISS has to the
gallery's int8 storage.

FAISS searches a single query on one thread whatever --threads says (its flat and scalar-quantizer scans split
over queries, not over the database); --threads matters for the batch, whose IndexFlatIP path is a BLAS sgemm
(nq >= 20). The header line names the BLAS library actually loaded: Debian's default is the reference libblas;
run with LD_LIBRARY_PATH pointing at an OpenBLAS directory to compare against an optimized one.

Needs Debian's python3-faiss (apt-get install python3-faiss) and numpy; run with /usr/bin/python3:
    /usr/bin/python3 tools/bench/faiss_bench.py [--threads 2] [--repeat 20] [--sizes 10000,100000]
Prints one markdown table; the machine and the numbers go to docs/ next to the BenchmarkDotNet results.
"""
import argparse
import platform
import time

import faiss
import numpy as np

DIM, K, BATCH = 512, 5, 64


def unit_rows(rng, n):
    x = rng.uniform(-1.0, 1.0, size=(n, DIM)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def per_query_us(index, queries, repeat):
    """Median over `repeat` runs of the time of one search call, divided by the number of queries."""
    index.search(queries, K)                                      # warm up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        index.search(queries, K)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)) / len(queries) * 1e6


def loaded_blas():
    """The BLAS shared object this process mapped (faiss links libblas.so.3, which the loader resolves)."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
    return ", ".join(sorted(paths)) or "none"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--sizes", default="10000,100000")
    args = ap.parse_args()
    faiss.omp_set_num_threads(args.threads)
    rng = np.random.default_rng(1)
    queries = unit_rows(rng, BATCH)

    print(f"faiss {faiss.__version__}, numpy {np.__version__}, {platform.processor() or platform.machine()}, "
          f"{args.threads} threads, median of {args.repeat}")
    compile_options = faiss.get_compile_options() if hasattr(faiss, "get_compile_options") else "unknown"
    print(f"faiss compile options: {compile_options}; BLAS: {loaded_blas()}")
    print()
    print("| identities | index | single query top-5 (us) | batch of 64, per query (us) |")
    print("|---:|---|---:|---:|")
    for n in (int(s) for s in args.sizes.split(",")):
        gallery = unit_rows(rng, n)
        flat = faiss.IndexFlatIP(DIM)
        flat.add(gallery)
        sq8 = faiss.IndexScalarQuantizer(DIM, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
        sq8.train(gallery)
        sq8.add(gallery)
        for name, index in (("IndexFlatIP (float32)", flat), ("IndexScalarQuantizer QT_8bit", sq8)):
            single = per_query_us(index, queries[:1], args.repeat)
            batch = per_query_us(index, queries, max(3, args.repeat // 4))
            print(f"| {n} | {name} | {single:.1f} | {batch:.1f} |")
        # the same answers as an exact search? (int8 recall@1 against float32 on these queries)
        _, exact = flat.search(queries, 1)
        _, approx = sq8.search(queries, 1)
        print(f"|  | QT_8bit top-1 = float32 top-1 | {np.mean(exact[:, 0] == approx[:, 0]):.3f} of {BATCH} | |")


if __name__ == "__main__":
    main()
