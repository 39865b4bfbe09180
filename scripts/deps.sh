#!/usr/bin/env bash
# Installs every build, test and lab dependency of vipd from Debian's packages.
# Idempotent: packages already present are not touched and `apt-get update` runs only
# when something is missing.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then exec sudo -E "$0" "$@"; fi
  echo "deps.sh: must run as root (sudo is not installed)" >&2; exit 1
fi

PACKAGES=(
  # toolchain
  build-essential cmake pkg-config clang libclang-rt-14-dev clang-format clang-tidy
  # libraries
  libpcap-dev libnl-3-dev libnl-route-3-dev libboost-dev libyaml-cpp-dev libspdlog-dev
  libfmt-dev libsystemd-dev libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev
  prometheus-cpp-dev
  # lab tools used by the integration tests and the demo
  iproute2 iputils-arping iputils-ping ndisc6 tcpdump procps psmisc curl python3
  # packaging: .deb Depends (dpkg-shlibdeps) and the unit's score (systemd-analyze security)
  dpkg-dev systemd
  # VRRP interop peer (failover tests, keepalived 2.2.7 in bookworm)
  keepalived
  # BGP peer for capturing golden vectors and interop tests (BIRD 2.0.12 in bookworm)
  bird2
  # more BGP interop peers (issue 6): FRR 8.4 and GoBGP 3.10
  frr gobgpd
  # reference speaker for the BGP bench (bench/bgp_bench.sh): ExaBGP 4.2
  exabgp
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "deps.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "deps.sh: all dependencies present"
