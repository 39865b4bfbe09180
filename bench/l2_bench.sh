#!/usr/bin/env bash
# Layer-2 benchmark, issue 4 §7: the Linux kernel and vipd answering ARP and NS side by side, in one
# lab and one run, with bench/vipd-l2load as the client.
#   (a) kernel: the node's kernel answers for addresses it owns (10.77.0.10, fd77::10)
#   (b) vipd:   vipd answers for VIPs the node's kernel does not own (10.77.0.100, fd77::100)
# For each: closed loop at $RATE req/s (p50/p99 latency) and open loop flat out (answered/s, loss),
# then vipd's RSS with 1,000 and 100,000 VIPs. Prints a table with vipd/kernel ratios.
#
# usage: sudo bench/l2_bench.sh [BUILD_DIR]        (default BUILD_DIR: ./build)
# env:   COUNT=5000 RATE=1000 DURATION=2 RSS=1 (0 skips the RSS runs) KEEP_TMP=0
#
# Lab (all names unique per run, everything torn down on exit):
#   <id>c  client  cl0 02:77:00:00:00:02 10.77.0.2/16 fd77::2/64 ──┐
#                                                                  [br0 in <id>s]
#   <id>n  node    n0  02:77:00:00:10:00 10.77.0.10/16 fd77::10/64 ┘
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-${BUILD:-$ROOT/build}}" && pwd)
LOAD=$BUILD/bench/vipd-l2load
VIPD=${VIPD:-$BUILD/src/daemon/vipd}   # overridable: any responder taking --config/--state-dir
COUNT=${COUNT:-5000}
RATE=${RATE:-1000}
DURATION=${DURATION:-2}
RSS=${RSS:-1}
ID=l2b$$
NS_CLI=${ID}c NS_NODE=${ID}n NS_SW=${ID}s
TMP=$(mktemp -d /tmp/vipd-l2bench.XXXXXX)
VIPD_PID=

[ "$(id -u)" -eq 0 ] || { echo "l2_bench.sh: run as root (network namespaces)" >&2; exit 1; }
[ -x "$LOAD" ] || { echo "l2_bench.sh: $LOAD missing: cmake --build $BUILD --target vipd-l2load" >&2; exit 1; }

# shellcheck source=bench/netns_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/netns_lib.sh"

stop_vipd() {
  if [ -n "$VIPD_PID" ]; then
    kill -TERM "$VIPD_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$VIPD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$VIPD_PID" 2>/dev/null || true
    wait "$VIPD_PID" 2>/dev/null || true
    VIPD_PID=
  fi
}

cleanup() {
  stop_vipd
  delete_namespaces $NS_CLI $NS_NODE $NS_SW
  [ "${KEEP_TMP:-0}" = 1 ] && echo "kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

lab_up() {
  mkns "$NS_SW"; mkns "$NS_NODE"; mkns "$NS_CLI"
  nsx "$NS_SW" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  # no STP/forward delay (ports would sit in LEARNING), no snooping (would eat NS to solicited-node groups)
  nsx "$NS_SW" ip link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
  nsx "$NS_SW" ip link set br0 up
  ip link add cl0 netns "$NS_CLI" type veth peer name pc netns "$NS_SW"
  ip link add n0 netns "$NS_NODE" type veth peer name pn netns "$NS_SW"
  for p in pc pn; do nsx "$NS_SW" ip link set "$p" master br0; nsx "$NS_SW" ip link set "$p" up; done
  nsx "$NS_CLI" ip link set cl0 address 02:77:00:00:00:02
  nsx "$NS_NODE" ip link set n0 address 02:77:00:00:10:00
  nsx "$NS_CLI" ip addr add 10.77.0.2/16 dev cl0
  nsx "$NS_CLI" ip addr add fd77::2/64 dev cl0 nodad
  nsx "$NS_NODE" ip addr add 10.77.0.10/16 dev n0
  nsx "$NS_NODE" ip addr add fd77::10/64 dev n0 nodad
  nsx "$NS_CLI" ip link set cl0 up
  nsx "$NS_NODE" ip link set n0 up
  # wait for IPv6 to be usable on both ends (multicast route appears a few ms after link up)
  for _ in $(seq 100); do
    nsx "$NS_CLI" ip -6 route show table local dev cl0 | grep -q 'multicast ff00::/8' &&
      nsx "$NS_NODE" ip -6 route show table local dev n0 | grep -q 'multicast ff00::/8' && break
    sleep 0.02
  done
}

# load LABEL ARGS...: one vipd-l2load run in the client namespace, its RESULT line kept in $TMP/results
load() {
  local label=$1; shift
  local out
  out=$(timeout 120 ip netns exec "$NS_CLI" "$LOAD" -i cl0 --label "$label" "$@" 2>&1) || true
  echo "$out" | grep -v '^RESULT' | sed 's/^/    /'
  echo "$out" | grep '^RESULT' >>"$TMP/results" || echo "RESULT label=$label failed=1" >>"$TMP/results"
}

# field LABEL KEY: a value from the RESULT line of LABEL ("-" when absent)
field() {
  local line
  line=$(grep " label=$1 " "$TMP/results" | tail -1 || true)
  local v
  v=$(echo "$line" | tr ' ' '\n' | sed -n "s/^$2=//p")
  echo "${v:--}"
}

suite() {  # suite WHO ARP_TARGET NS_TARGET
  local who=$1 t4=$2 t6=$3
  echo "== $who: ARP closed loop ($COUNT at $RATE req/s) for $t4"
  load "$who-arp-closed" -m arp -l closed -t "$t4" -s 10.77.0.200 -r "$RATE" -n "$COUNT"
  echo "== $who: NS closed loop ($COUNT at $RATE req/s) for $t6"
  load "$who-ns-closed" -m ns -l closed -t "$t6" -s fd77::f000 -r "$RATE" -n "$COUNT"
  echo "== $who: ARP open loop (flat out, ${DURATION}s)"
  load "$who-arp-open" -m arp -l open -t "$t4" -s 10.77.0.200 -d "$DURATION"
  echo "== $who: NS open loop (flat out, ${DURATION}s)"
  load "$who-ns-open" -m ns -l open -t "$t6" -s fd77::f000 -d "$DURATION"
}

# write_config FILE N: a layer2 pool and N services, half IPv4 (10.77.0.100 up) and half IPv6 (fd77::100 up)
write_config() {
  local file=$1 n=$2
  {
    echo 'address-pools:'
    echo '  - {name: lab, protocol: layer2, addresses: [10.77.0.100-10.77.255.254, "fd77::100-fd77::ffff:ffff"]}'
    echo 'services:'
    awk -v n="$n" 'BEGIN {
      h = int((n + 1) / 2)
      for (i = 0; i < h; i++) { a = 100 + i; printf "  - {name: v4-%d, pool: lab, address: 10.77.%d.%d}\n", i, int(a / 256), a % 256 }
      for (i = 0; i < n - h; i++) printf "  - {name: v6-%d, pool: lab, address: \"fd77::%x\"}\n", i, 256 + i
    }'
  } >"$file"
}

# start_vipd CONFIG: vipd in the node namespace; returns 1 (with a reason) if it is not usable
start_vipd() {
  local config=$1
  local state=$TMP/state.$RANDOM
  mkdir -p "$state"
  if [ ! -x "$VIPD" ]; then echo "vipd: not available ($VIPD not built)"; return 1; fi
  ip netns exec "$NS_NODE" "$VIPD" --config "$config" --state-dir "$state" >"$TMP/vipd.log" 2>&1 &
  VIPD_PID=$!
  # up = it answers ARP for the first VIP (bounded: 60 s, 100k VIPs take a while to load)
  local deadline=$((SECONDS + 60))
  while [ $SECONDS -lt $deadline ]; do
    if ! kill -0 "$VIPD_PID" 2>/dev/null; then
      echo "vipd: not available (exited: $(tail -3 "$TMP/vipd.log" | tr '\n' ' '))"; VIPD_PID=; return 1
    fi
    if timeout 5 ip netns exec "$NS_CLI" "$LOAD" -i cl0 -m arp -l closed -t 10.77.0.100 -s 10.77.250.1 \
         --tags 1 -r 100 -n 3 --warmup 0 --timeout-ms 100 2>/dev/null | grep -q 'answered=[1-9]'; then
      return 0
    fi
    sleep 0.2
  done
  echo "vipd: not available (no ARP answer for 10.77.0.100 within 60 s; log: $(tail -3 "$TMP/vipd.log" | tr '\n' ' '))"
  stop_vipd
  return 1
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo -; }

ratio() {  # ratio VIPD KERNEL -> "1.23" or "-"
  awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'
}

lab_up
: >"$TMP/results"
echo "lab: client $NS_CLI, node $NS_NODE, switch $NS_SW; load generator $LOAD"
echo "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# (a) the kernel
suite kernel 10.77.0.10 fd77::10

# (b) vipd
VIPD_OK=0
cat >"$TMP/vipd.yaml" <<'EOF'
address-pools:
  - {name: lab, protocol: layer2, addresses: [10.77.0.100-10.77.0.199, "fd77::100-fd77::1ff"]}
services:
  - {name: web, pool: lab, address: 10.77.0.100}
  - {name: web6, pool: lab, address: "fd77::100"}
EOF
if start_vipd "$TMP/vipd.yaml"; then
  VIPD_OK=1
  echo "vipd: up (pid $VIPD_PID, RSS $(rss_kib "$VIPD_PID") KiB with 2 VIPs)"
  suite vipd 10.77.0.100 fd77::100
  stop_vipd
fi

RSS_1K=- RSS_100K=-
if [ "$VIPD_OK" = 1 ] && [ "$RSS" = 1 ]; then
  for n in 1000 100000; do
    write_config "$TMP/vipd-$n.yaml" "$n"
    t0=$SECONDS
    if start_vipd "$TMP/vipd-$n.yaml"; then
      sleep 1  # settle after the first answer (gratuitous bursts, remaining memberships)
      r=$(rss_kib "$VIPD_PID")
      echo "vipd: $n VIPs: up after $((SECONDS - t0)) s, VmRSS $r KiB"
      [ "$n" = 1000 ] && RSS_1K=$r || RSS_100K=$r
      stop_vipd
    fi
  done
fi

f() { field "$@"; }
echo
echo "== results (latency in microseconds, closed loop at $RATE req/s; open loop flat out for ${DURATION}s)"
printf '%-26s %12s %12s %8s   %s\n' metric kernel vipd ratio "target"
row() { printf '%-26s %12s %12s %8s   %s\n' "$1" "$2" "$3" "$(ratio "$3" "$2")" "$4"; }
row "ARP p50 us"          "$(f kernel-arp-closed p50_us)" "$(f vipd-arp-closed p50_us)" "<= 1.5x"
row "ARP p99 us"          "$(f kernel-arp-closed p99_us)" "$(f vipd-arp-closed p99_us)" "<= 2x"
row "ARP closed lost"     "$(f kernel-arp-closed lost)"   "$(f vipd-arp-closed lost)"   ""
row "NS p50 us"           "$(f kernel-ns-closed p50_us)"  "$(f vipd-ns-closed p50_us)"  "<= 1.5x"
row "NS p99 us"           "$(f kernel-ns-closed p99_us)"  "$(f vipd-ns-closed p99_us)"  "<= 2x"
row "NS closed lost"      "$(f kernel-ns-closed lost)"    "$(f vipd-ns-closed lost)"    ""
row "ARP flat sent/s"     "$(f kernel-arp-open sent_per_s)" "$(f vipd-arp-open sent_per_s)" ""
row "ARP flat answered/s" "$(f kernel-arp-open answered_per_s)" "$(f vipd-arp-open answered_per_s)" ">= 1x"
row "ARP flat loss %"     "$(f kernel-arp-open loss_pct)" "$(f vipd-arp-open loss_pct)" "0"
row "NS flat sent/s"      "$(f kernel-ns-open sent_per_s)" "$(f vipd-ns-open sent_per_s)" ""
row "NS flat answered/s"  "$(f kernel-ns-open answered_per_s)" "$(f vipd-ns-open answered_per_s)" ">= 1x"
row "NS flat loss %"      "$(f kernel-ns-open loss_pct)"  "$(f vipd-ns-open loss_pct)"  "0"
printf '%-26s %12s %12s %8s   %s\n' "vipd RSS KiB, 1k VIPs" "" "$RSS_1K" "" "<= 8192"
printf '%-26s %12s %12s %8s   %s\n' "vipd RSS KiB, 100k VIPs" "" "$RSS_100K" "" "<= 65536"
[ "$VIPD_OK" = 1 ] || echo "vipd: not available (kernel figures only)"
echo
cat "$TMP/results"
