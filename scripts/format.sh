#!/usr/bin/env bash
# Applies .clang-format to every tracked C++ file (the one formatter, style item 14).
#   --check   change nothing; list the files that differ and exit 1 if any does (scripts/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=apply
[ "${1:-}" = "--check" ] && mode=check
command -v clang-format >/dev/null || { echo "format.sh: clang-format is missing (scripts/deps.sh installs it)" >&2; exit 2; }
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.cc' | grep -v '\.bpf\.c$' || true)
[ "${#files[@]}" -gt 0 ] || exit 0
if [ "$mode" = apply ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
if ! out=$(clang-format --dry-run -Werror "${files[@]}" 2>&1); then
  echo "format.sh: these files are not formatted (run ./scripts/format.sh):" >&2
  printf '%s\n' "$out" | grep -oE '^[^:]+\.(cpp|hpp|h|cc):' | sort -u | sed 's/:$//; s/^/  /' >&2
  exit 1
fi
echo "format.sh: ${#files[@]} files formatted"
