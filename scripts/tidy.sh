#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy) over every src/**/*.cpp with the build's compile database, one
# file per job, $(nproc) jobs; any finding is an error. Prints the findings of each failing file
# and exits 1 if there is one.
#   BUILD_DIR=build   the build tree holding compile_commands.json (configured here if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
command -v clang-tidy >/dev/null || { echo "tidy.sh: clang-tidy is missing (apt-get install clang-tidy)" >&2; exit 2; }
if [ ! -f "$build/compile_commands.json" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
mapfile -t files < <(git ls-files 'src/*.cpp')
[ "${#files[@]}" -gt 0 ] || exit 0
# Each job's output is printed in one piece, so parallel findings do not interleave; clang's
# "N warnings generated." count (system headers, filtered out) is dropped.
# shellcheck disable=SC2016 # $0 and $1 are expanded by the inner sh, not here
if printf '%s\0' "${files[@]}" | xargs -0 -n1 -P"$(nproc)" sh -c '
  out=$(clang-tidy -p "$0" --quiet --warnings-as-errors="*" "$1" 2>&1) && exit 0
  printf "%s\n" "$out" | grep -Ev "^[0-9]+ (warnings?|errors?)( and [0-9]+ errors?)? generated\.$"
  exit 1' "$build"; then
  echo "tidy.sh: ${#files[@]} files clean"
else
  echo "tidy.sh: clang-tidy found problems (above)" >&2
  exit 1
fi
