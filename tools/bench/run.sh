#!/bin/sh
# Runs the benchmark classes one at a time (each in its own BenchmarkDotNet process, with /proc/loadavg logged
# before and after, since the numbers in docs/benchmarks.md come from a shared machine) and FAISS right after the
# gallery benchmarks. Reports go to tools/bench/results/<name>/: BenchmarkDotNet's *-report-github.md per class,
# faiss-threads{1,2}.md, and run.log with the load and the wall time of every step.
#
#   tools/bench/run.sh [name] [Class ...]      default: every class, in the order of docs/benchmarks.md
#   "faiss" runs tools/bench/faiss_bench.py with 1 and 2 threads; "faiss-openblas" the same with OPENBLAS_DIR's BLAS.
#
# Job: --job short (1 launch, 3 warmups, 3 iterations); the gallery classes get 5 iterations.
set -eu
cd "$(dirname "$0")/../.."
name=${1:-$(date +%Y-%m-%d)}
[ $# -gt 0 ] && shift
classes=${*:-MemoryBandwidthBench GalleryBench faiss GalleryThreadsBench SoftmaxBench CrossEntropyBench ActivationBench PointwiseLossBench MarginHeadBench}
out=tools/bench/results/$name
mkdir -p "$out"
log=$out/run.log

stamp() { echo "$(date -u +%H:%M:%S) $1 loadavg $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"; }

dotnet build tools/bench/EdgeLoss.Bench.csproj -c Release -nologo -v quiet
for class in $classes; do
    if [ "$class" = faiss ]; then
        for threads in 1 2; do
            stamp "start faiss --threads $threads"
            /usr/bin/python3 tools/bench/faiss_bench.py --threads "$threads" --repeat 20 | tee "$out/faiss-threads$threads.md"
            stamp "end   faiss --threads $threads"
        done
        continue
    fi
    if [ "$class" = faiss-openblas ]; then
        # FAISS's batch path is a BLAS sgemm; Debian's default libblas is the unoptimized reference one. Point
        # OPENBLAS_DIR at a directory holding OpenBLAS's libblas.so.3 (e.g. Debian's libopenblas0-pthread, installed
        # or unpacked with dpkg -x) to measure FAISS with an optimized BLAS without changing the system's choice.
        for threads in 1 2; do
            stamp "start faiss --threads $threads, BLAS from $OPENBLAS_DIR"
            LD_LIBRARY_PATH=$OPENBLAS_DIR OPENBLAS_NUM_THREADS=$threads /usr/bin/python3 tools/bench/faiss_bench.py \
                --threads "$threads" --repeat 20 | tee "$out/faiss-openblas-threads$threads.md"
            stamp "end   faiss --threads $threads, BLAS from $OPENBLAS_DIR"
        done
        continue
    fi
    iterations=3
    case $class in Gallery*) iterations=5 ;; esac
    stamp "start $class"
    dotnet run -c Release --no-build --project tools/bench -- --filter "*.$class.*" --job short \
        --iterationCount "$iterations" --artifacts "$out/artifacts" >"$out/$class.log" 2>&1
    stamp "end   $class"
    cp "$out/artifacts/results/EdgeLoss.Bench.$class-report-github.md" "$out/$class.md"
done
