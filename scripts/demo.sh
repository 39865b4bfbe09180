#!/usr/bin/env bash
# The README's main job: installs dependencies, builds vipd, builds the seed's lab (a node with two
# links on one L2 domain, and a client), shows the kernel's naive answer (two MACs for one VIP)
# next to vipd's (exactly one), prints a verdict table; then adds a second node and shows failover
# (VRRPv3) with a 10 ms ARP probe: a crash (kill -9) and a planned stop (SIGTERM). Tears the lab down.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then exec sudo -E "$0" "$@"; fi
  echo "demo.sh: must run as root (it builds network namespaces; sudo is not installed)" >&2; exit 1
fi

./scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target vipd vipctl vipd-l2load >/dev/null
VIPD="$ROOT/build/src/daemon/vipd"
L2LOAD="$ROOT/build/bench/vipd-l2load"

SW=vipd-demo-sw; NODE=vipd-demo-node; NODE2=vipd-demo-node2; CLI=vipd-demo-client
WORK=$(mktemp -d /tmp/vipd-demo.XXXXXX)
VIPD_PID=""; VIPD2_PID=""
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
teardown() {
  for pid in $VIPD_PID $VIPD2_PID; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  for ns in $CLI $NODE $NODE2 $SW; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap teardown EXIT
teardown 2>/dev/null || true
WORK=$(mktemp -d /tmp/vipd-demo.XXXXXX)

mkns() {
  ip netns add "$1"
  nsx "$1" ip link set lo up
  nsx "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
    net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.default.accept_ra=0
}

echo "== building the lab: node eth0 (10.77.0.10/24) and eth1 (10.78.0.10/24) on ONE bridge with a client"
mkns $SW; mkns $NODE; mkns $CLI
nsx $SW ip link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
nsx $SW ip link set br0 up
plug() {  # plug NS LINK MAC PORT
  ip link add "$2" netns "$1" type veth peer name "$4" netns $SW
  nsx "$1" ip link set "$2" address "$3"
  nsx $SW ip link set "$4" master br0
  nsx $SW ip link set "$4" up
  nsx "$1" ip link set "$2" up
}
plug $NODE eth0 02:77:00:00:10:00 pn0
plug $NODE eth1 02:77:00:00:10:01 pn1
plug $CLI eth0 02:77:00:00:00:02 pc0
nsx $NODE ip addr add 10.77.0.10/24 dev eth0
nsx $NODE ip addr add fd77::10/64 dev eth0 nodad
nsx $NODE ip addr add 10.78.0.10/24 dev eth1
nsx $NODE ip addr add fd78::10/64 dev eth1 nodad
nsx $CLI ip addr add 10.77.0.2/24 dev eth0
nsx $CLI ip addr add fd77::2/64 dev eth0 nodad
sleep 0.3

arp_macs() { grep -o 'reply from [0-9.]* \[[0-9A-Fa-f:]*\]' | grep -o '\[.*\]' | tr -d '[]' | tr 'A-F' 'a-f' | sort | uniq -c; }
nd_macs() { grep -o 'Target link-layer address: [0-9A-Fa-f:]*' | awk '{print $4}' | tr 'A-F' 'a-f' | sort | uniq -c; }
summary() { awk '{printf "%s%s x%s", (NR>1?", ":""), $2, $1} END {if (NR==0) printf "none"}'; }

echo
echo "== 1. naive kernel behaviour: VIP on lo (IPv4, arp_ignore=0) and on both links (IPv6)"
nsx $NODE sysctl -qw net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.all.arp_announce=0
nsx $NODE ip addr add 10.77.0.100/32 dev lo
nsx $NODE ip addr add fd77::100/128 dev eth0 nodad
nsx $NODE ip addr add fd77::100/128 dev eth1 nodad
echo "\$ arping -b -c 3 -w 3 -I eth0 10.77.0.100      (from the client)"
naive_arp=$(nsx $CLI arping -b -c 3 -w 3 -I eth0 10.77.0.100 || true); echo "$naive_arp" | sed 's/^/   /'
echo "\$ ndisc6 -m -n -r 1 -w 1000 fd77::100 eth0"
naive_nd=$(nsx $CLI ndisc6 -m -n -r 1 -w 1000 fd77::100 eth0 || true); echo "$naive_nd" | sed 's/^/   /'
nsx $NODE ip addr del 10.77.0.100/32 dev lo
nsx $NODE ip addr del fd77::100/128 dev eth0
nsx $NODE ip addr del fd77::100/128 dev eth1
nsx $CLI ip neigh flush all; nsx $CLI ip -6 neigh flush all

echo
echo "== 2. vipd with config/lab.yaml (no VIP on any kernel interface)"
echo "\$ vipd --check --config config/lab.yaml"
"$VIPD" --check --config config/lab.yaml --state-dir "$WORK/state" | sed 's/^/   /'
echo "\$ vipd --explain 10.77.0.100 --config config/lab.yaml      (in the node namespace)"
nsx $NODE "$VIPD" --explain 10.77.0.100 --config config/lab.yaml | sed 's/^/   /'
ip netns exec $NODE "$VIPD" --config config/lab.yaml --state-dir "$WORK/state" >"$WORK/vipd.log" 2>&1 &
VIPD_PID=$!
for _ in $(seq 50); do grep -q 'answering ARP/NDP' "$WORK/vipd.log" 2>/dev/null && break; sleep 0.1; done
sleep 0.2
echo "\$ arping -b -c 3 -w 3 -I eth0 10.77.0.100      (from the client)"
vipd_arp=$(nsx $CLI arping -b -c 3 -w 3 -I eth0 10.77.0.100 || true); echo "$vipd_arp" | sed 's/^/   /'
echo "\$ ndisc6 -m -n -r 1 -w 1000 fd77::100 eth0"
vipd_nd=$(nsx $CLI ndisc6 -m -n -r 1 -w 1000 fd77::100 eth0 || true); echo "$vipd_nd" | sed 's/^/   /'
kill "$VIPD_PID"; wait "$VIPD_PID" 2>/dev/null || true; VIPD_PID=""
echo "   vipd log:"; sed 's/^/   | /' "$WORK/vipd.log"

verdict() {  # verdict MACS-SUMMARY  -> OK when exactly one MAC, the one of eth0
  local macs=$1
  if [ "$(echo "$macs" | grep -c .)" = 1 ] && echo "$macs" | grep -q '02:77:00:00:10:00'; then echo "one MAC (eth0)"; else
    echo "$(echo "$macs" | grep -c .) MACs"; fi
}
na=$(echo "$naive_arp" | arp_macs); nn=$(echo "$naive_nd" | nd_macs)
va=$(echo "$vipd_arp" | arp_macs); vn=$(echo "$vipd_nd" | nd_macs)
echo
echo "== verdict (eth0 = 02:77:00:00:10:00, eth1 = 02:77:00:00:10:01)"
printf '%-28s %-44s %s\n' "probe" "answers (MAC x count)" "verdict"
printf '%-28s %-44s %s\n' "kernel, ARP 10.77.0.100" "$(echo "$na" | summary)" "$(verdict "$na")"
printf '%-28s %-44s %s\n' "kernel, NDP fd77::100" "$(echo "$nn" | summary)" "$(verdict "$nn")"
printf '%-28s %-44s %s\n' "vipd,   ARP 10.77.0.100" "$(echo "$va" | summary)" "$(verdict "$va")"
printf '%-28s %-44s %s\n' "vipd,   NDP fd77::100" "$(echo "$vn" | summary)" "$(verdict "$vn")"
if [ "$(verdict "$va")" = "one MAC (eth0)" ] && [ "$(verdict "$vn")" = "one MAC (eth0)" ]; then
  echo "RESULT: vipd answers on exactly one link."
else
  echo "RESULT: unexpected answers from vipd (see above)"; exit 1
fi

echo
echo "== 3. failover: a second node (eth0 10.77.0.11, 02:77:00:00:20:00) joins; VRRPv3 group 'lan',"
echo "   node priority 150, node2 priority 100, adverts every 100 ms. The client probes 10.77.0.100"
echo "   with one ARP request every 10 ms (vipd-l2load watch) while we crash / stop the master."
mkns $NODE2
plug $NODE2 eth0 02:77:00:00:20:00 pn2
nsx $NODE2 ip addr add 10.77.0.11/24 dev eth0
failover_config() {  # failover_config PRIORITY SOCKET
  cat <<EOC
interfaces: {allow: [eth0]}
address-pools: [{name: lan, protocol: layer2, addresses: [10.77.0.100/32]}]
services: [{name: web, pool: lan}]
failover:
  vrrp: [{name: lan, interface: eth0, vrid: 51, priority: $1, advert-interval: 100ms, pools: [lan]}]
gratuitous: {count: 3, interval: 100ms}
control: {socket: $2}
metrics: {listen: ""}
EOC
}
failover_config 150 "$WORK/n1.sock" >"$WORK/n1.yaml"
failover_config 100 "$WORK/n2.sock" >"$WORK/n2.yaml"
start_node() {  # start_node NS N -> pid in STARTED_PID
  ip netns exec "$1" "$VIPD" --config "$WORK/n$2.yaml" --state-dir "$WORK/state$2" >>"$WORK/n$2.log" 2>&1 &
  STARTED_PID=$!
}
wait_master() {  # wait_master SOCKET
  for _ in $(seq 60); do
    "$ROOT/build/src/vipctl/vipctl" --socket "$1" --json status 2>/dev/null | grep -q '"state": *"master"' && return 0
    sleep 0.1
  done
  return 1
}
start_node $NODE 1; VIPD_PID=$STARTED_PID
start_node $NODE2 2; VIPD2_PID=$STARTED_PID
wait_master "$WORK/n1.sock" || { echo "node never became master"; cat "$WORK/n1.log"; exit 1; }
sleep 0.3
probe() {  # probe ACTION-AFTER-MS COMMAND... ; prints the probe's RESULT line
  nsx $CLI "$L2LOAD" -i eth0 -l watch -t 10.77.0.100 -s 10.77.0.200 --tags 50 --interval-ms 10 \
    --duration-ms 2000 --label demo >"$WORK/probe.out" 2>&1 &
  local probe_pid=$!
  sleep "$1"; shift
  "$@"
  wait "$probe_pid" || true
  grep '^RESULT' "$WORK/probe.out"
}
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
show() {  # show TITLE RESULT-LINE
  printf '   %-34s sent %4s  unanswered %3s  answered by two MACs %3s  gap %6s ms  (%s -> %s)\n' "$1" \
    "$(field "$2" sent)" "$(field "$2" unanswered)" "$(field "$2" answered_by_two)" "$(field "$2" gap_ms)" \
    "$(field "$2" mac0)" "$(field "$2" mac1)"
}
echo "\$ kill -9 <node's vipd>      (crash: node2 takes over after 3 x 100 ms + skew)"
crash=$(probe 0.5 kill -9 "$VIPD_PID"); wait "$VIPD_PID" 2>/dev/null || true; VIPD_PID=""
show "crash (kill -9 of the master)" "$crash"
echo "\$ restart node's vipd         (preempt: it takes the VIP back)"
start_node $NODE 1; VIPD_PID=$STARTED_PID
wait_master "$WORK/n1.sock" || { echo "node did not take the VIP back"; cat "$WORK/n1.log"; exit 1; }
sleep 0.5
echo "\$ kill -TERM <node's vipd>   (planned stop: priority 0, keeps answering until node2 is master)"
planned=$(probe 0.5 kill -TERM "$VIPD_PID"); wait "$VIPD_PID" 2>/dev/null || true; VIPD_PID=""
show "planned stop (SIGTERM)" "$planned"
echo "   node2's failover log:"; grep -h 'failover' "$WORK/n2.log" | sed 's/^/   | /'
if [ "$(field "$crash" answered_by_two)" = 0 ] && [ "$(field "$planned" unanswered)" = 0 ] &&
   [ "$(field "$crash" macs)" = 2 ] && [ "$(field "$planned" macs)" = 2 ]; then
  echo "RESULT: one MAC per link; failover without two MACs on a crash and without loss on a planned stop."
  echo "        The lab is torn down."
else
  echo "RESULT: unexpected failover behaviour (see above)"; exit 1
fi
