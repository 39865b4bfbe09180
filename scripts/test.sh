#!/usr/bin/env bash
# The README's test command: installs dependencies, builds (Release with assertions, -Werror) and
# runs every ctest label (unit, fuzz, netns; later peer), then builds the unit and fuzz tests with
# ASan+UBSan and runs them too.
#   --no-sanitize   skip the sanitizer build (quicker local iteration)
#   --no-tidy       skip clang-tidy over src/ (scripts/tidy.sh, after the main build)
#   --sanitize-only only the sanitizer build
#   -L LABEL / -R REGEX are passed to ctest for the main build
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then exec sudo -E "$0" "$@"; fi
  echo "test.sh: must run as root (network-namespace tests need it; sudo is not installed)" >&2; exit 1
fi

main_build=1; sanitize_build=1; tidy=1; ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-sanitize) sanitize_build=0 ;;
    --no-tidy) tidy=0 ;;
    --sanitize-only) main_build=0 ;;
    -L|-R|-E|-LE) ctest_args+=("$1" "$2"); shift ;;
    *) echo "test.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

./scripts/deps.sh
jobs=$(nproc)

# One formatter (.clang-format), enforced: a formatting diff fails the run before anything builds.
./scripts/format.sh --check

if [ "$main_build" = 1 ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DVIPD_WERROR=ON >/dev/null
  cmake --build build -j"$jobs"
  (cd build && ctest --output-on-failure -j"$jobs" --timeout 300 "${ctest_args[@]}")
  # clang-tidy (.clang-tidy) over src/ with this build's compile database: any finding fails.
  if [ "$tidy" = 1 ]; then BUILD_DIR=build ./scripts/tidy.sh; fi
fi

if [ "$sanitize_build" = 1 ]; then
  echo "== ASan+UBSan build: unit and fuzz-corpus tests"
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DVIPD_SANITIZE=ON -DVIPD_BUILD_BENCH=OFF >/dev/null
  cmake --build build-asan -j"$jobs"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     ctest --output-on-failure -j"$jobs" -L 'unit|fuzz' --timeout 300)
fi
