#!/usr/bin/env bash
# Builds and runs every benchmark in one go: the Google Benchmark micro/macro benchmarks
# (bench/*_bench.cpp) and the layer-2 lab benchmark (kernel vs vipd on the same veth).
#   --quick   only the Google Benchmark binaries (no namespace lab)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then exec sudo -E "$0" "$@"; fi
  echo "bench.sh: must run as root (the lab benchmark builds network namespaces)" >&2; exit 1
fi
quick=0; [ "${1:-}" = "--quick" ] && quick=1

./scripts/deps.sh >/dev/null
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

for b in build/bench/vipd_bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b" --benchmark_counters_tabular=true
done

if [ "$quick" = 0 ] && [ -x bench/l2_bench.sh ]; then
  echo "== l2_bench.sh (kernel vs vipd on the same veth)"
  BUILD="$(pwd)/build" bench/l2_bench.sh
fi
if [ "$quick" = 0 ] && [ -x bench/bgp_bench.sh ]; then echo "== bgp_bench.sh (vipd vs ExaBGP into FRR and BIRD)"; bench/bgp_bench.sh build; fi
if [ "$quick" = 0 ] && [ -x bench/failover_bench.sh ]; then echo "== failover_bench.sh (vipd vs keepalived, 1 run)"; bench/failover_bench.sh build --quick; fi
