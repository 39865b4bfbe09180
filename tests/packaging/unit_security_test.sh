#!/usr/bin/env bash
# The unit's sandboxing score: `systemd-analyze security` exposure must be <= 2.0 (issue 5 §5).
# --threshold=20 makes systemd-analyze itself fail above 2.0; the parsed level is checked too, so a
# systemd that ignores --threshold cannot pass a weak unit. Exit 77 = skipped (ctest SKIP_RETURN_CODE).
set -uo pipefail
unit=${1:?usage: unit_security_test.sh UNIT_FILE}

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "SKIP: systemd-analyze not installed (Debian package systemd)"; exit 77
fi
output=$(systemd-analyze security --offline=true --threshold=20 --no-pager "$unit" 2>&1)
rc=$?
level=$(printf '%s\n' "$output" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' | tail -1)
if [ -z "$level" ]; then
  printf '%s\n' "$output"
  echo "FAIL: no exposure level in systemd-analyze output"; exit 1
fi
printf '%s\n' "$output" | grep '✗' || true
echo "exposure level of $(basename "$unit"): $level (target <= 2.0)"
if [ "$rc" -ne 0 ] || ! awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }'; then
  echo "FAIL: exposure $level above 2.0 (systemd-analyze exit $rc)"; exit 1
fi
echo "PASS"
