#!/usr/bin/env bash
# Failover benchmark, issue 7 §4: a vipd pair and a keepalived pair (VRRPv3, same VRID, VIP and advert
# interval) side by side in one lab and one run, probed with vipd-l2load's watch mode every 10 ms.
#
# Matrix: {link cut (master's bridge port down), kill -9, graceful stop (SIGTERM)} x {advert 100 ms,
# 20 ms} x N runs, for each implementation; plus `vipctl drain` for vipd. Per trial:
#   gap       client-visible gap: last reply from the old MAC -> first reply from the new MAC (watcher,
#             kernel RX timestamps; 10 ms probes, so a handover with no missed probe shows ~10 ms and one
#             where both MACs answered the switching probe shows 0)
#   takeover  the old master's last VRRP advert -> the new master's first advert (tcpdump -tt in the
#             prober namespace; adverts are multicast, so the bridge floods them there)
#   answer    the old master's last advert -> the new MAC's first ARP reply
#   lost      probes nobody answered; two = probes answered by two MACs; overlap = how long the old
#             MAC kept answering after the new one started (bounded by the observation window)
#   client    runs in which the client's neighbour entry for the VIP moved to the new MAC (gratuitous
#             ARP; the client itself sends nothing)
#
# usage: sudo bench/failover_bench.sh [BUILD_DIR] [--runs N] [--quick]     (BUILD_DIR default ./build)
# env:   ADVERTS="100 20"  SCENARIOS="cut kill9 term drain"  IMPLS="keepalived vipd"  KEEP_TMP=0
#
# Lab (names unique per run, torn down on exit), all on br0 in <id>s, multicast VRRP, VRID 79:
#   <id>1 node n1 eth0 02:79:00:00:00:11 10.79.0.11/24  priority 150 (master)
#   <id>2 node n2 eth0 02:79:00:00:00:12 10.79.0.12/24  priority 100
#   <id>c client  eth0 02:79:00:00:00:02 10.79.0.2/24   (neighbour entry watched, sends nothing)
#   <id>p prober  eth0 02:79:00:00:00:03 10.79.0.3/24   (vipd-l2load watch + tcpdump)
#   VIP 10.79.0.100: keepalived puts it on eth0 of the master; vipd answers for it in user space.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=3
BUILD_ARG=
while [ $# -gt 0 ]; do
  case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --runs=*) RUNS=${1#--runs=}; shift ;;
    --quick) RUNS=1; shift ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    -*) echo "failover_bench.sh: unknown option $1" >&2; exit 64 ;;
    *) BUILD_ARG=$1; shift ;;
  esac
done
case $RUNS in ''|*[!0-9]*) echo "failover_bench.sh: --runs needs a number" >&2; exit 64 ;; esac
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 50 ] || { echo "failover_bench.sh: --runs 1..50" >&2; exit 64; }
BUILD=$(cd "${BUILD_ARG:-${BUILD:-$ROOT/build}}" && pwd)
LOAD=$BUILD/bench/vipd-l2load
VIPD=${VIPD:-$BUILD/src/daemon/vipd}
VIPCTL=${VIPCTL:-$BUILD/src/vipctl/vipctl}
ADVERTS=${ADVERTS:-"100 20"}
SCENARIOS=${SCENARIOS:-"cut kill9 term drain"}
IMPLS=${IMPLS:-"keepalived vipd"}

ID=fob$$
NS_SW=${ID}s NS_1=${ID}1 NS_2=${ID}2 NS_C=${ID}c NS_P=${ID}p
VIP=10.79.0.100
IP1=10.79.0.11 IP2=10.79.0.12
MAC1=02:79:00:00:00:11 MAC2=02:79:00:00:00:12
TAGS_FROM=10.79.0.200   # the watcher's tag addresses: 10.79.0.200-249
VRID=79
TMP=$(mktemp -d /tmp/vipd-fobench.XXXXXX)
P1="" P2="" WATCH_PID="" DUMP_PID=""
T_START=$SECONDS

[ "$(id -u)" -eq 0 ] || { echo "failover_bench.sh: run as root (network namespaces)" >&2; exit 1; }
[ -x "$LOAD" ] || { echo "failover_bench.sh: $LOAD missing: cmake --build $BUILD --target vipd-l2load" >&2; exit 1; }
for tool in tcpdump keepalived; do
  command -v $tool >/dev/null || { echo "failover_bench.sh: $tool not installed (scripts/deps.sh)" >&2; exit 1; }
done

# shellcheck source=bench/netns_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/netns_lib.sh"
now() { date +%s.%N; }
log() { echo "[$(printf '%4d' $((SECONDS - T_START)))s] $*"; }

# stop_pid PID [SIG]: SIG (TERM) then KILL after 2 s; only our own children are passed here.
stop_pid() {
  local pid=$1 sig=${2:-TERM}
  [ -n "$pid" ] || return 0
  kill -"$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# The keepalived VRRP child of node N (keepalived writes it; -R: never respawned).
ka_child() { [ -s "$TMP/n$1/vrrp.pid" ] && cat "$TMP/n$1/vrrp.pid" || true; }

stop_pair() {
  local n c
  for n in 1 2; do
    c=$(ka_child $n)
    # the child pid must still live in our namespace (pid reuse) before we signal it
    if [ -n "$c" ] && [ "$(ip netns identify "$c" 2>/dev/null)" = "${ID}$n" ]; then stop_pid "$c" KILL; fi
    rm -f "$TMP/n$n/"*.pid
  done
  stop_pid "$P1"; stop_pid "$P2"
  P1="" P2=""
  # keepalived killed with -9 leaves the VIP on its interface; the next trial starts clean.
  for n in 1 2; do nsx ${ID}$n ip addr del $VIP/24 dev eth0 2>/dev/null || true; done
  nsx $NS_SW ip link set p1 up
}

cleanup() {
  set +e
  stop_pid "$WATCH_PID"; stop_pid "$DUMP_PID"
  stop_pair 2>/dev/null
  delete_namespaces $NS_C $NS_P $NS_1 $NS_2 $NS_SW  # what is left inside was started by this script
  [ "${KEEP_TMP:-0}" = 1 ] && echo "kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

lab_up() {
  local ns
  for ns in $NS_SW $NS_1 $NS_2 $NS_C $NS_P; do mkns $ns; done
  nsx $NS_SW sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  # no STP/forward delay, no snooping: multicast adverts are flooded to every port (the prober sees them)
  nsx $NS_SW ip link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
  nsx $NS_SW ip link set br0 up
  local spec name port mac ip
  for spec in "$NS_1 p1 $MAC1 $IP1" "$NS_2 p2 $MAC2 $IP2" "$NS_C pc 02:79:00:00:00:02 10.79.0.2" \
              "$NS_P pp 02:79:00:00:00:03 10.79.0.3"; do
    read -r name port mac ip <<<"$spec"
    ip link add eth0 netns "$name" type veth peer name "$port" netns $NS_SW
    nsx $NS_SW ip link set "$port" master br0
    nsx $NS_SW ip link set "$port" up
    nsx "$name" ip link set eth0 address "$mac"
    nsx "$name" ip addr add "$ip/24" dev eth0
    nsx "$name" ip link set eth0 up
  done
  # nodes answer ARP only for addresses on the receiving link (keepalived's VIP is on eth0)
  for ns in $NS_1 $NS_2; do nsx $ns sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2; done
}

# start_pair IMPL ADVERT_MS: n1 priority 150, n2 priority 100, both started at once.
start_pair() {
  local impl=$1 adv=$2 n prio pid
  for n in 1 2; do
    [ $n = 1 ] && prio=150 || prio=100
    mkdir -p "$TMP/n$n"
    rm -f "$TMP/n$n/"*.pid
    if [ "$impl" = keepalived ]; then
      cat >"$TMP/n$n/keepalived.conf" <<EOF
global_defs {
    router_id fob-n$n
    vrrp_version 3
    script_user root
    enable_script_security
}
vrrp_instance VI_BENCH {
    state BACKUP
    interface eth0
    virtual_router_id $VRID
    priority $prio
    advert_int $(awk -v a="$adv" 'BEGIN { printf "%g", a / 1000 }')
    virtual_ipaddress {
        $VIP/24 dev eth0
    }
}
EOF
      # -P VRRP only, -n no daemon, -R no respawn, per-lab pid files (never /run's defaults)
      ip netns exec ${ID}$n keepalived -P -n -R -l -D -G -f "$TMP/n$n/keepalived.conf" \
        -p "$TMP/n$n/keepalived.pid" -r "$TMP/n$n/vrrp.pid" -c "$TMP/n$n/checkers.pid" \
        >"$TMP/n$n/daemon.log" 2>&1 </dev/null &
      pid=$!
    else
      cat >"$TMP/n$n/vipd.yaml" <<EOF
address-pools:
  - {name: lab, protocol: layer2, addresses: [10.79.0.100-10.79.0.109]}
services:
  - {name: web, pool: lab, address: $VIP}
failover:
  vrrp:
    - {name: lan, interface: eth0, vrid: $VRID, priority: $prio, advert-interval: ${adv}ms, preempt: true, pools: [lab]}
control: {socket: $TMP/n$n/vipd.sock}
metrics: {listen: ""}
EOF
      mkdir -p "$TMP/n$n/state"
      ip netns exec ${ID}$n "$VIPD" --config "$TMP/n$n/vipd.yaml" --state-dir "$TMP/n$n/state" \
        >"$TMP/n$n/daemon.log" 2>&1 </dev/null &
      pid=$!
    fi
    [ $n = 1 ] && P1=$pid || P2=$pid
  done
}

# watch_short: one 60 ms watch; prints its RESULT line
watch_short() {
  timeout 3 ip netns exec $NS_P "$LOAD" -i eth0 -l watch -t $VIP -s $TAGS_FROM --tags 50 --interval-ms 10 \
    --duration-ms 60 --grace-ms 20 2>/dev/null | grep '^RESULT' || true
}

# wait_master: until n1 alone answers for the VIP (3 probes windows in a row), bounded.
wait_master() {
  local deadline=$((SECONDS + 8)) ok=0 r
  while [ $SECONDS -lt $deadline ]; do
    r=$(watch_short)
    if [[ "$r" == *" macs=1 "* && "$r" == *" mac0=$MAC1 "* && "$r" == *" unanswered=0 "* ]]; then
      ok=$((ok + 1))
      [ $ok -ge 3 ] && return 0
    else
      ok=0
      sleep 0.05
    fi
  done
  return 1
}

# field LINE KEY
field() { local v; v=$(tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p" | head -1); echo "${v:--}"; }

# vipd_failover_ready: the running vipd n1 reports a failover group (the wiring is in this build)
vipd_failover_ready() {
  [ -x "$VIPCTL" ] || return 1
  timeout 3 "$VIPCTL" --socket "$TMP/n1/vipd.sock" --json status 2>/dev/null |
    tr -d ' \n' | grep -q '"failover":\[{'
}

# trial IMPL SCENARIO ADVERT_MS RUN: one failover, one line appended to $TMP/trials
trial() {
  local impl=$1 scen=$2 adv=$3 run=$4
  local base_ms=300 window_ms=$((6 * adv + 500)) act res
  start_pair "$impl" "$adv"
  if ! wait_master; then
    log "$impl $scen ${adv}ms #$run: n1 never became the sole answerer: $(watch_short)"
    tail -5 "$TMP/n1/daemon.log" | sed 's/^/    n1: /'
    echo "$impl $scen $adv $run fail - - - - - - -" >>"$TMP/trials"
    stop_pair
    return
  fi
  sleep "$(awk -v a="$adv" 'BEGIN { print (3 * a + 50) / 1000 }')"  # n2 has heard adverts: backup
  # the client believes n1 owns the VIP (stale: it will not probe by itself); only a gratuitous
  # announcement can move it
  nsx $NS_C ip neigh replace $VIP lladdr $MAC1 dev eth0 nud stale

  nsx $NS_P tcpdump -i eth0 -n -tt -l 'ip proto 112' >"$TMP/vrrp.txt" 2>"$TMP/tcpdump.err" &
  DUMP_PID=$!
  for _ in $(seq 60); do grep -q 'listening on' "$TMP/tcpdump.err" && break; sleep 0.05; done
  ip netns exec $NS_P "$LOAD" -i eth0 -l watch -t $VIP -s $TAGS_FROM --tags 50 --interval-ms 10 \
    --duration-ms $((base_ms + window_ms)) --label "$impl-$scen-$adv-$run" >"$TMP/watch.txt" 2>&1 &
  WATCH_PID=$!
  for _ in $(seq 40); do grep -q '^watching' "$TMP/watch.txt" && break; sleep 0.05; done
  sleep "$(awk -v b=$base_ms 'BEGIN { print b / 1000 }')"

  act=$(now)
  case $scen in
    cut) nsx $NS_SW ip link set p1 down ;;
    kill9)
      if [ "$impl" = keepalived ]; then kill -KILL "$(ka_child 1)" "$P1" 2>/dev/null || true
      else kill -KILL "$P1"; fi ;;
    term) kill -TERM "$P1" ;;
    drain) timeout 5 "$VIPCTL" --socket "$TMP/n1/vipd.sock" drain >/dev/null 2>&1 || log "vipctl drain failed" ;;
  esac
  wait "$WATCH_PID" 2>/dev/null || true
  WATCH_PID=
  sleep 0.05  # the last adverts reach tcpdump's file
  stop_pid "$DUMP_PID"; DUMP_PID=
  res=$(grep '^RESULT' "$TMP/watch.txt" || true)
  local client
  client=$(nsx $NS_C ip neigh show $VIP dev eth0 | grep -q "lladdr $MAC2" && echo 1 || echo 0)
  stop_pair

  # VRRP times: last advert from n1 before n2's first advert after the action; n2's first advert
  local start_us switch_ms m0 m1 gap lost two overlap times
  start_us=$(field "$res" start_unix_us); switch_ms=$(field "$res" switch_at_ms)
  m0=$(field "$res" mac0); m1=$(field "$res" mac1)
  gap=$(field "$res" gap_ms); lost=$(field "$res" unanswered); two=$(field "$res" answered_by_two)
  overlap=$(field "$res" overlap_ms)
  times=$(awk -v act="$act" -v a="$IP1" -v b="$IP2" '
    $2 == "IP" && $3 == b && $1 >= act - 0.001 && first_b == "" { first_b = $1 }
    $2 == "IP" && $3 == a { t[n++] = $1 }
    END {
      if (first_b == "") { print "- -"; exit }
      last_a = ""
      for (i = 0; i < n; i++) if (t[i] < first_b) last_a = t[i]
      if (last_a == "") { print "- -"; exit }
      printf "%.6f %.6f\n", last_a, first_b
    }' "$TMP/vrrp.txt")
  local last_a first_b takeover=- answer=-
  read -r last_a first_b <<<"$times"
  if [ "$last_a" != - ]; then
    takeover=$(awk -v a="$last_a" -v b="$first_b" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
    if [ "$m1" = "$MAC2" ] && [ "$switch_ms" != - ] && [ "$start_us" != - ]; then
      answer=$(awk -v s="$start_us" -v w="$switch_ms" -v a="$last_a" 'BEGIN { printf "%.1f", (s / 1e6 + w / 1000 - a) * 1000 }')
    fi
  fi
  local status=ok
  if [ -z "$res" ] || [ "$m0" != "$MAC1" ] || [ "$m1" != "$MAC2" ]; then status=noswitch; gap=-; fi
  echo "$impl $scen $adv $run $status $gap $takeover $answer $lost $two $overlap $client" >>"$TMP/trials"
  log "$(printf '%-10s %-5s %3sms #%s: %-8s gap %6s ms  takeover %6s ms  answer %6s ms  lost %3s  two %3s  overlap %6s ms  client %s' \
    "$impl" "$scen" "$adv" "$run" "$status" "$gap" "$takeover" "$answer" "$lost" "$two" "$overlap" "$client")"
  if [ $status != ok ]; then
    grep -v '^RESULT' "$TMP/watch.txt" | sed 's/^/    /' | head -12
  fi
}

lab_up
: >"$TMP/trials"
log "lab: $NS_1 (150) $NS_2 (100) client $NS_C prober $NS_P switch $NS_SW; runs $RUNS; adverts $ADVERTS ms"
log "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); keepalived $(keepalived --version 2>&1 | head -1)"

# vipd: usable only when this build has the failover wiring (status shows the group)
VIPD_NOTE=
if [[ " $IMPLS " == *" vipd "* ]]; then
  if [ ! -x "$VIPD" ]; then
    VIPD_NOTE="vipd: not available ($VIPD not built)"
  else
    start_pair vipd 100
    ready=0
    for _ in $(seq 30); do vipd_failover_ready && { ready=1; break; }; sleep 0.1; done
    stop_pair
    [ $ready = 1 ] || VIPD_NOTE="vipd: not available (no \"failover\" group in vipctl --json status: wiring not in this build?)"
  fi
  if [ -n "$VIPD_NOTE" ]; then log "$VIPD_NOTE"; IMPLS=${IMPLS//vipd/}; fi
fi

for adv in $ADVERTS; do
  for scen in $SCENARIOS; do
    for run in $(seq "$RUNS"); do
      for impl in $IMPLS; do
        [ "$scen" = drain ] && [ "$impl" != vipd ] && continue  # keepalived has no drain
        trial "$impl" "$scen" "$adv" "$run"
      done
    done
  done
done

echo
echo "== failover: vipd and keepalived 2.2.7 side by side (ms; median / max over runs; probes every 10 ms)"
printf '%-6s %-6s %-10s %4s  %-15s %-15s %-15s %-10s %-10s %-15s %s\n' scen advert impl runs "gap med/max" \
  "takeover med/max" "answer med/max" "lost max" "two max" "overlap med/max" "client moved"
awk '
  function med(list, n,   a, i, j, t) {
    if (n == 0) return "-"
    split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : sprintf("%.1f", (a[n / 2] + a[n / 2 + 1]) / 2)
  }
  function mx(list, n,   a, i, m) {
    if (n == 0) return "-"
    split(list, a, " "); m = a[1]
    for (i = 2; i <= n; i++) if (a[i] + 0 > m + 0) m = a[i]
    return m
  }
  function add(key, col, v) { if (v != "-") { L[key, col] = L[key, col] " " v; N[key, col]++ } }
  {
    key = $2 " " $3 " " $1
    if (!(key in seen)) { seen[key] = 1; order[k++] = key }
    runs[key]++
    if ($5 != "ok") fails[key]++
    add(key, "gap", $6); add(key, "tk", $7); add(key, "ans", $8); add(key, "lost", $9)
    add(key, "two", $10); add(key, "ov", $11); moved[key] += ($12 == "1")
  }
  END {
    for (i = 0; i < k; i++) {
      key = order[i]; split(key, p, " ")
      f = fails[key] ? sprintf(" (%d failed)", fails[key]) : ""
      printf "%-6s %-6s %-10s %4d  %-15s %-15s %-15s %-10s %-10s %-15s %d/%d%s\n", p[1], p[2] "ms", p[3], runs[key],
        med(L[key, "gap"], N[key, "gap"]) " / " mx(L[key, "gap"], N[key, "gap"]),
        med(L[key, "tk"], N[key, "tk"]) " / " mx(L[key, "tk"], N[key, "tk"]),
        med(L[key, "ans"], N[key, "ans"]) " / " mx(L[key, "ans"], N[key, "ans"]),
        mx(L[key, "lost"], N[key, "lost"]), mx(L[key, "two"], N[key, "two"]),
        med(L[key, "ov"], N[key, "ov"]) " / " mx(L[key, "ov"], N[key, "ov"]), moved[key], runs[key], f
    }
  }' "$TMP/trials"
echo
echo "gap: last reply from the old MAC -> first from the new (0 = both answered the switching probe);"
echo "takeover: old master's last VRRP advert -> new master's first advert; answer: that last advert ->"
echo "new MAC's first ARP reply; lost: unanswered probes in a run; two: probes answered by two MACs;"
echo "overlap: how long the old MAC kept answering after the switch (capped by the window: 6 x advert + 500 ms)."
echo "Targets (issue 7): crash gap <= keepalived at the same advert and < 100 ms at 20 ms; term/drain lost 0;"
echo "kill9 two 0."
[ -n "$VIPD_NOTE" ] && echo "$VIPD_NOTE"
echo "host load average $(cut -d' ' -f1-3 /proc/loadavg); wall $((SECONDS - T_START)) s"
echo
echo "== trials (impl scenario advert run status gap takeover answer lost two overlap client)"
cat "$TMP/trials"
