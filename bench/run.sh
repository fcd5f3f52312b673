#!/usr/bin/env bash
# Builds the benchmarks and runs them, appending each run's output to bench/results/<name>.txt with
# the date, commit and load average (bench/README.md quotes those files).
# Installs the benchmark-only peers (OpenBLAS, LibTorch) if missing; they are never library deps.
#   bash bench/run.sh [gemm|tape|train|conv|convnet|rnn|ops|mpi|all] [runs=1]
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
runs=${2:-1}
case $what in gemm|tape|train|conv|convnet|rnn|ops|mpi|all) ;; *) echo "usage: bash bench/run.sh [gemm|tape|train|conv|convnet|rnn|ops|mpi|all] [runs]" >&2; exit 2 ;; esac
bash scripts/deps.sh libopenblas-dev libtorch-dev
cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DTAPEGRAD_BUILD_BENCH=ON \
  -DTAPEGRAD_BUILD_TESTS=OFF -DTAPEGRAD_BUILD_EXAMPLES=OFF >/dev/null
cmake --build build/bench -j "$(nproc)"
mkdir -p bench/results

run() {  # result name, command...
  local name=$1; shift
  for ((r = 1; r <= runs; ++r)); do
    {
      echo "# date: $(date -u '+%F %T') UTC; git $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!bench/results' || echo ' + uncommitted changes')"
      echo "# command: $*"
      echo "# loadavg before: $(cat /proc/loadavg); run $r of $runs"
      "$@"
      echo
    } 2>&1 | tee -a "bench/results/$name.txt"
  done
}

want() { [ "$what" = all ] || [ "$what" = "$1" ]; }
want gemm && run gemm build/bench/bench/bench_gemm --threads 1,2 --shapes all --seconds 0.4
want tape && run tape_torch build/bench/bench/bench_tape_torch --samples 150
want train && run train_torch build/bench/bench/bench_train_torch --epochs 5 --accuracy
want rnn && run rnn_torch build/bench/bench/bench_rnn_torch --threads 2,1 --reps 20
want rnn && run lstm_train_torch build/bench/bench/bench_lstm_train_torch --threads 2 --batch 128 --epochs 2 --accuracy
want rnn && run lstm_accuracy build/bench/bench/bench_lstm_train_torch --threads 2 --batch 128 --accuracy-seeds 5
want ops && run ops_torch env OPENBLAS_NUM_THREADS=1 build/bench/bench/bench_ops_torch --samples 100
want conv && run conv_torch build/bench/bench/bench_conv_torch --threads 2,1 --batch 128,32 --samples 30
if want convnet; then  # epochs side by side with the 3-epoch accuracy, then each contender alone for its peak RSS
  run convnet_torch build/bench/bench/bench_convnet_torch --threads 2 --batch 128,32 --epochs 2 --accuracy
  for c in tapegrad nchw nhwc; do
    run convnet_torch build/bench/bench/bench_convnet_torch --threads 2 --batch 128 --epochs 1 --only $c
  done
  # The accuracy band over 5 seeds (one seed's 3-epoch accuracy varies by ~0.02 at batch 32).
  run convnet_accuracy build/bench/bench/bench_convnet_torch --threads 2 --batch 128,32 --accuracy-seeds 5
fi
# Data parallelism (issue 12): 1 rank vs 2 ranks, one thread each; then, as the machine's ceiling,
# two independent 1-rank runs at once pinned to the two cores (no communication); then allreduce
# latency/bandwidth.
if want mpi; then
  mpi=(mpirun --bind-to core)
  [ "$(id -u)" -ne 0 ] || mpi+=(--allow-run-as-root)
  tp=(build/bench/bench/bench_mpi throughput --samples 65536 --epochs 5)
  run mpi_throughput env TAPEGRAD_NUM_THREADS=1 "${mpi[@]}" -np 1 "${tp[@]}"
  run mpi_throughput env TAPEGRAD_NUM_THREADS=1 "${mpi[@]}" -np 2 "${tp[@]}"
  run mpi_throughput bash -c "TAPEGRAD_NUM_THREADS=1 taskset -c 0 ${tp[*]} | sed 's/^/core 0: /' &
    TAPEGRAD_NUM_THREADS=1 taskset -c 1 ${tp[*]} | sed 's/^/core 1: /'; wait"
  run mpi_allreduce env TAPEGRAD_NUM_THREADS=1 "${mpi[@]}" -np 2 build/bench/bench/bench_mpi allreduce
fi
exit 0
