# Sourced by the bench labs (l2_bench.sh, bgp_bench.sh, failover_bench.sh): namespace helpers.
# shellcheck shell=bash

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# A namespace with lo up, no IPv6 DAD/RA/RS (addresses usable at once) and no reverse-path filter.
mkns() {
  ip netns add "$1"
  nsx "$1" ip link set lo up
  nsx "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
    net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.default.accept_ra=0 \
    net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
}

# Kills whatever still runs inside each namespace, then deletes it (missing ones are fine).
delete_namespaces() {
  local ns p
  for ns in "$@"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
}
