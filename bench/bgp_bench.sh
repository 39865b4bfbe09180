#!/usr/bin/env bash
# BGP benchmark, issue 6 §5: vipd and ExaBGP announcing the same 10,000 /32s (a /18 pool) to FRR and
# to BIRD (iBGP 64512), side by side in one run. For every router x speaker x repetition it measures
#   - install: until all 10,000 routes are in the router's kernel table (polled every $POLL_MS ms),
#     counted from the speaker's start, from its TCP SYN, and from its last UPDATE (tcpdump);
#   - withdraw: vipd reloaded (SIGHUP) with the services removed / ExaBGP told through its API to
#     withdraw everything, until the kernel table holds none of them;
# prints the medians with the vipd/ExaBGP ratios, then vipd's VmRSS/VmHWM with the 10,000 prefixes
# announced to FRR, BIRD and GoBGP at once (all Established, all prefixes received).
#
# usage: sudo bench/bgp_bench.sh [BUILD_DIR]       (default BUILD_DIR: ./build)
# env:   REPS=3 COUNT=10000 POLL_MS=10 SPEAKERS="vipd exabgp" ROUTERS="frr bird" RSS=1 KEEP_TMP=0
#        VIPD_LOG_LEVEL=info (debug: per-UPDATE logs in $TMP/*.vipd.log, with KEEP_TMP=1)
#
# Lab (names unique per run, everything torn down on exit; nothing leaves the namespaces):
#   <id>n  node: vipd or ExaBGP   n1 10.99.1.2/24 <-> p1 10.99.1.1/24  <id>f  FRR (zebra + bgpd)
#                                 n2 10.99.2.2/24 <-> p2 10.99.2.1/24  <id>b  BIRD 2
#                                 n3 10.99.3.2/24 <-> p3 10.99.3.1/24  <id>g  GoBGP (RSS run only)
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-${BUILD:-$ROOT/build}}" && pwd)
VIPD=${VIPD:-$BUILD/src/daemon/vipd}
REPS=${REPS:-3}
COUNT=${COUNT:-10000}
POLL_MS=${POLL_MS:-10}
SPEAKERS=${SPEAKERS:-vipd exabgp}
ROUTERS=${ROUTERS:-frr bird}
RSS=${RSS:-1}
VIPD_LOG_LEVEL=${VIPD_LOG_LEVEL:-info}
PHASE_TIMEOUT=${PHASE_TIMEOUT:-60}   # seconds, per install / withdraw phase
AS=64512
HOLD=30                             # no keepalive falls inside a phase (phases last < 10 s)
ID=bgb$$
NS_NODE=${ID}n
declare -A NS=([frr]=${ID}f [bird]=${ID}b [gobgp]=${ID}g)
declare -A IDX=([frr]=1 [bird]=2 [gobgp]=3)
declare -A PROTO=([frr]=bgp [bird]=bird)
TMP=$(mktemp -d /tmp/vipd-bgpbench.XXXXXX); chmod 0755 "$TMP"   # FRR drops to user frr
SPEAKER_PID='' TCPDUMP_PID=''

[ "$(id -u)" -eq 0 ] || { echo "bgp_bench.sh: run as root (network namespaces)" >&2; exit 1; }
[ -x "$VIPD" ] || { echo "bgp_bench.sh: $VIPD missing: cmake --build $BUILD --target vipd" >&2; exit 1; }
for t in /usr/lib/frr/bgpd bird birdc gobgpd gobgp exabgp tcpdump python3; do
  command -v "$t" >/dev/null || [ -x "$t" ] || { echo "bgp_bench.sh: $t missing (scripts/deps.sh)" >&2; exit 1; }
done

# shellcheck source=bench/netns_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/netns_lib.sh"
now_us() { local t=$EPOCHREALTIME; echo $((10#${t/./})); }   # bash 5, no fork
peer_ip() { echo "10.99.${IDX[$1]}.1"; }
node_ip() { echo "10.99.${IDX[$1]}.2"; }

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null && [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]; }
stop_pid() {  # stop_pid PID: TERM, 5 s, KILL (only pids this script started)
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
  alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
stop_pidfile() { [ -f "$1" ] && stop_pid "$(cat "$1")"; rm -f "$1"; }

cleanup() {
  stop_pid "$SPEAKER_PID"; stop_pid "$TCPDUMP_PID"
  for r in frr bird gobgp; do stop_router "$r" 2>/dev/null || true; done
  delete_namespaces "${NS[@]}" "$NS_NODE"  # what is left inside was started by this script
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

lab_up() {
  mkns "$NS_NODE"
  for r in frr bird gobgp; do
    local i=${IDX[$r]}
    mkns "${NS[$r]}"
    ip link add "p$i" netns "${NS[$r]}" type veth peer name "n$i" netns "$NS_NODE"
    nsx "${NS[$r]}" ip addr add "$(peer_ip "$r")/24" dev "p$i"
    nsx "$NS_NODE" ip addr add "$(node_ip "$r")/24" dev "n$i"
    nsx "${NS[$r]}" ip link set "p$i" up
    nsx "$NS_NODE" ip link set "n$i" up
  done
}

# ---- routers (each passive: it waits for the node's speaker to connect) ---------------------------

start_frr() {
  local run=$TMP/frr ns=${NS[frr]} nb; nb=$(node_ip frr)
  mkdir -p "$run"; rm -f "$run"/*.log "$run"/*.pid
  echo "hostname ${ns}-zebra" >"$run/zebra.conf"
  cat >"$run/bgpd.conf" <<EOF
frr defaults traditional
hostname ${ns}-bgpd
!
router bgp $AS
 bgp router-id $(peer_ip frr)
 no bgp default ipv4-unicast
 neighbor $nb remote-as $AS
 neighbor $nb passive
 neighbor $nb timers $((HOLD / 3)) $HOLD
 address-family ipv4 unicast
  neighbor $nb activate
 exit-address-family
exit
EOF
  chown -R frr:frr "$run"; chmod 0755 "$run"
  local common=(-d -P 0 --vty_socket "$run" -z "$run/zserv.api")
  nsx "$ns" /usr/lib/frr/zebra "${common[@]}" -i "$run/zebra.pid" -f "$run/zebra.conf" --log "file:$run/zebra.log" >/dev/null 2>&1
  for _ in $(seq 50); do [ -S "$run/zserv.api" ] && break; sleep 0.1; done
  nsx "$ns" /usr/lib/frr/bgpd "${common[@]}" -i "$run/bgpd.pid" -f "$run/bgpd.conf" --log "file:$run/bgpd.log" >/dev/null 2>&1
}
start_bird() {
  local run=$TMP/bird ns=${NS[bird]}
  mkdir -p "$run"; rm -f "$run"/bird.log "$run"/bird.pid
  cat >"$run/bird.conf" <<EOF
log "$run/bird.log" all;
router id $(peer_ip bird);
protocol device { scan time 10; }
protocol kernel kernel4 { ipv4 { import none; export where source = RTS_BGP; }; }
protocol bgp node_v4 {
  local $(peer_ip bird) as $AS;
  neighbor $(node_ip bird) as $AS;
  direct;                     # iBGP would default to multihop + recursive next hops (needs an IGP)
  passive on;
  hold time $HOLD;
  ipv4 { import all; export none; };
}
EOF
  nsx "$ns" bird -c "$run/bird.conf" -s "$run/bird.ctl" -P "$run/bird.pid"
}
start_gobgp() {
  local run=$TMP/gobgp ns=${NS[gobgp]}
  mkdir -p "$run"
  cat >"$run/gobgpd.toml" <<EOF
[global.config]
  as = $AS
  router-id = "$(peer_ip gobgp)"
  port = 179
  local-address-list = ["$(peer_ip gobgp)"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "$(node_ip gobgp)"
    peer-as = $AS
  [neighbors.timers.config]
    hold-time = $HOLD
    keepalive-interval = $((HOLD / 3))
  [neighbors.transport.config]
    local-address = "$(peer_ip gobgp)"
    passive-mode = true
EOF
  setsid ip netns exec "$ns" gobgpd -f "$run/gobgpd.toml" -p -l warn --pprof-disable \
    --api-hosts="unix://$run/api.sock" </dev/null >"$run/gobgpd.log" 2>&1 &
  echo $! >"$run/gobgpd.pid"
}
start_router() {  # start_router R: fresh daemon, listening on :179, empty table
  stop_router "$1"
  "start_$1"
  local ns=${NS[$1]}
  for _ in $(seq 100); do
    [ -n "$(nsx "$ns" ss -Hltn 'sport = :179' 2>/dev/null)" ] && return 0
    sleep 0.05
  done
  echo "bgp_bench.sh: $1 does not listen on :179 in $ns" >&2; return 1
}
stop_router() {
  case "$1" in
    frr) stop_pidfile "$TMP/frr/bgpd.pid"; stop_pidfile "$TMP/frr/zebra.pid"; rm -f "$TMP/frr"/*.vty "$TMP/frr/zserv.api" ;;
    bird) stop_pidfile "$TMP/bird/bird.pid"; rm -f "$TMP/bird/bird.ctl" ;;
    gobgp) stop_pidfile "$TMP/gobgp/gobgpd.pid"; rm -f "$TMP/gobgp/api.sock" ;;
  esac
}
kcount() { ip -n "${NS[$1]}" -4 route show proto "${PROTO[$1]}" | wc -l; }   # routes in the kernel
ribcount() {  # prefixes received in the router's BGP table (for routers without a kernel table too)
  case "$1" in
    frr) vtysh --vty_socket "$TMP/frr" -d bgpd -c 'show bgp ipv4 unicast summary json' 2>/dev/null |
           python3 -c 'import json,sys; print(sum(p.get("pfxRcd",0) for p in json.load(sys.stdin).get("peers",{}).values()))' 2>/dev/null || echo 0 ;;
    bird) birdc -s "$TMP/bird/bird.ctl" show route table master4 primary where source = RTS_BGP count 2>/dev/null |
            awk '/routes for/ {print $1; f=1} END {if (!f) print 0}' ;;
    gobgp) gobgp --target "unix://$TMP/gobgp/api.sock" -j global rib summary -a ipv4 2>/dev/null |
             python3 -c 'import json,sys; print(json.load(sys.stdin).get("num_destination",0))' 2>/dev/null || echo 0 ;;
  esac
}
# wait_kcount R N: poll the kernel table every POLL_MS until it holds N routes; echoes the time (us)
wait_kcount() {
  local r=$1 n=$2 deadline=$(( $(now_us) + PHASE_TIMEOUT * 1000000 )) c t
  local pause; pause=$(awk -v m="$POLL_MS" 'BEGIN { printf "%.3f", m / 1000 }')
  while :; do
    c=$(kcount "$r"); t=$(now_us)
    [ "$c" -eq "$n" ] && { echo "$t"; return 0; }
    [ "$t" -ge "$deadline" ] && { echo "bgp_bench.sh: $r: $c routes, not $n, after ${PHASE_TIMEOUT}s" >&2; return 1; }
    [ -n "$SPEAKER_PID" ] && ! alive "$SPEAKER_PID" && { echo "bgp_bench.sh: speaker exited" >&2; return 1; }
    sleep "$pause"
  done
}

# ---- speakers --------------------------------------------------------------------------------------

# The pool's first COUNT addresses, as vipd allocates them (lowest free first, avoid-buggy-ips off).
prefixes() {
  awk -v n="$COUNT" 'BEGIN { for (i = 0; i < n; i++) printf "10.128.%d.%d/32\n", int(i / 256), i % 256 }'
}
[ "$COUNT" -le 16384 ] || { echo "bgp_bench.sh: COUNT <= 16384 (a /18)" >&2; exit 1; }

# vipd_config FILE SERVICES(0|1) ROUTER...: one bgp pool, COUNT allocated services, a peer per router
vipd_config() {
  local file=$1 with=$2; shift 2
  {
    echo "log-level: $VIPD_LOG_LEVEL"
    echo "control: {socket: $TMP/vipd.sock}"
    echo 'metrics: {listen: ""}'
    echo 'peers:'
    for r in "$@"; do
      echo "  - {peer-address: $(peer_ip "$r"), peer-asn: $AS, my-asn: $AS, hold-time: ${HOLD}s," \
           "router-id: $(node_ip frr), source-address: $(node_ip "$r")}"
    done
    echo 'address-pools:'
    echo '  - {name: bench, protocol: bgp, addresses: [10.128.0.0/18], avoid-buggy-ips: false}'
    if [ "$with" = 1 ]; then
      echo 'services:'
      awk -v n="$COUNT" 'BEGIN { for (i = 0; i < n; i++) printf "  - {name: s%d, pool: bench}\n", i }'
    fi
  } >"$file"
}

start_vipd() {  # start_vipd LABEL ROUTER...
  local label=$1; shift
  vipd_config "$TMP/$label.yaml" 1 "$@"
  vipd_config "$TMP/$label.empty.yaml" 0 "$@"
  rm -rf "$TMP/state"; mkdir -p "$TMP/state"
  ip netns exec "$NS_NODE" "$VIPD" --config "$TMP/$label.yaml" --state-dir "$TMP/state" >"$TMP/$label.vipd.log" 2>&1 &
  SPEAKER_PID=$!
}
withdraw_vipd() {  # reload with the services removed
  cp "$TMP/$1.empty.yaml" "$TMP/$1.yaml"
  kill -HUP "$SPEAKER_PID"
}

# ExaBGP: the routes are static (sent when the session comes up, like vipd's table); the API process
# withdraws them all when the bench writes to its FIFO.
start_exabgp() {  # start_exabgp LABEL ROUTER
  local label=$1 r=$2 conf=$TMP/$1.exabgp.conf
  rm -f "$TMP/exa.fifo"; mkfifo "$TMP/exa.fifo"
  prefixes >"$TMP/prefixes"
  cat >"$TMP/exa_feed.py" <<'EOF'
import sys
prefixes = open(sys.argv[1]).read().split()
with open(sys.argv[2]) as fifo:   # blocks until the bench opens the FIFO for writing
    fifo.read()
for i in range(0, len(prefixes), 500):
    sys.stdout.write("withdraw attributes next-hop self nlri " + " ".join(prefixes[i:i + 500]) + "\n")
sys.stdout.flush()
sys.stdin.read()                  # stay alive until ExaBGP closes our stdin
EOF
  {
    echo "process feed { run /usr/bin/python3 $TMP/exa_feed.py $TMP/prefixes $TMP/exa.fifo; encoder text; }"
    echo "neighbor $(peer_ip "$r") {"
    echo "  router-id $(node_ip "$r"); local-address $(node_ip "$r"); local-as $AS; peer-as $AS;"
    echo "  hold-time $HOLD;"
    echo "  family { ipv4 unicast; }"
    echo "  api { processes [ feed ]; }"
    echo "  static {"
    prefixes | awk '{ printf "    route %s next-hop self;\n", $1 }'
    echo "  }"
    echo "}"
  } >"$conf"
  ip netns exec "$NS_NODE" env exabgp.daemon.user=root exabgp.daemon.daemonize=false exabgp.log.destination=stdout \
    exabgp.api.ack=false exabgp.log.level=WARNING exabgp "$conf" >"$TMP/$label.exabgp.log" 2>&1 &
  SPEAKER_PID=$!
}
withdraw_exabgp() { timeout 10 sh -c 'echo go >"$1"' _ "$TMP/exa.fifo"; }   # bounded: the API process may be gone

start_tcpdump() {  # start_tcpdump LABEL ROUTER: capture the session on the router's side
  ip netns exec "${NS[$2]}" tcpdump -i "p${IDX[$2]}" --immediate-mode -Z root -U -n -s 0 -w "$TMP/$1.pcap" 'tcp port 179' 2>"$TMP/$1.tcpdump.log" &
  TCPDUMP_PID=$!
  for _ in $(seq 100); do grep -q 'listening on' "$TMP/$1.tcpdump.log" 2>/dev/null && return 0; sleep 0.02; done
  echo "bgp_bench.sh: tcpdump did not start" >&2; return 1
}

# pcap_times LABEL NODE_IP T_SPLIT_US: "syn first_announce last_announce first_withdraw last_withdraw
# n_announce n_withdraw bytes_announce bytes_withdraw" (us; 0 when absent): the node's TCP stream
# reassembled and cut into BGP messages; a message's time is that of the segment completing it.
# UPDATEs before T_SPLIT belong to the announcement, after it to the withdrawal; End-of-RIB (an empty
# 23-byte UPDATE) is not counted.
pcap_times() {
  /usr/bin/python3 - "$TMP/$1.pcap" "$2" "$3" <<'PYEOF'
import socket, struct, sys
path, node, split_us = sys.argv[1], socket.inet_aton(sys.argv[2]), int(sys.argv[3])
data = open(path, "rb").read()
magic = struct.unpack("<I", data[:4])[0]
endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
nano = magic in (0xA1B23C4D, 0x4D3CB2A1)
linktype = struct.unpack(endian + "I", data[20:24])[0]
off, syn, isn, segs = 24, 0, None, {}
while off + 16 <= len(data):
    sec, frac, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
    pkt = data[off + 16:off + 16 + incl]; off += 16 + incl
    t = sec * 1000000 + (frac // 1000 if nano else frac)
    l2 = 14 if linktype == 1 else 16 if linktype == 113 else 0
    ip = pkt[l2:]
    if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6 or ip[12:16] != node: continue
    ihl = (ip[0] & 15) * 4; tcp = ip[ihl:]
    seq, flags = struct.unpack("!I", tcp[4:8])[0], tcp[13]
    payload = tcp[(tcp[12] >> 4) * 4:struct.unpack("!H", ip[2:4])[0] - ihl]
    if flags & 2:  # SYN
        syn, isn = syn or t, seq + 1
        continue
    if isn is not None and payload:
        segs.setdefault((seq - isn) & 0xFFFFFFFF, (t, payload))
stream, times, pos = bytearray(), [], 0
for rel in sorted(segs):
    t, payload = segs[rel]
    if rel + len(payload) <= pos: continue
    payload = payload[max(0, pos - rel):]
    stream += payload; pos += len(payload); times.append((pos, t))
fa = la = fw = lw = na = nw = ba = bw = 0; i = 0; ti = 0
while i + 19 <= len(stream):
    length, kind = struct.unpack("!HB", stream[i + 16:i + 19])
    if length < 19 or i + length > len(stream): break
    i += length
    while times[ti][0] < i: ti += 1
    t = times[ti][1]
    if kind != 2 or length == 23: continue
    if t < split_us:
        fa = fa or t; la = t; na += 1; ba += length
    else:
        fw = fw or t; lw = t; nw += 1; bw += length
print(syn, fa, la, fw, lw, na, nw, ba, bw)
PYEOF
}

ms() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == 0 || b == 0) print "-"; else printf "%.0f", (b - a) / 1000 }'; }

measure() {  # measure ROUTER SPEAKER REP
  local r=$1 s=$2 rep=$3 label=$1-$2-$3 t0 tinst tw tzero
  start_router "$r"
  [ "$(kcount "$r")" -eq 0 ] || { echo "bgp_bench.sh: $r table not empty at start" >&2; return 1; }
  start_tcpdump "$label" "$r"
  t0=$(now_us)
  "start_$s" "$label" "$r"
  if ! tinst=$(wait_kcount "$r" "$COUNT"); then stop_pid "$SPEAKER_PID"; SPEAKER_PID=; stop_pid "$TCPDUMP_PID"; TCPDUMP_PID=; return 1; fi
  sleep 0.5   # let the tail of the burst settle before the withdrawal phase starts
  tw=$(now_us)
  "withdraw_$s" "$label"
  if ! tzero=$(wait_kcount "$r" 0); then stop_pid "$SPEAKER_PID"; SPEAKER_PID=; stop_pid "$TCPDUMP_PID"; TCPDUMP_PID=; return 1; fi
  sleep 0.2
  stop_pid "$SPEAKER_PID"; SPEAKER_PID=
  stop_pid "$TCPDUMP_PID"; TCPDUMP_PID=
  stop_router "$r"
  local syn fa la fw lw na nw ba bw
  read -r syn fa la fw lw na nw ba bw < <(pcap_times "$label" "$(node_ip "$r")" "$tw")
  local line; line="RESULT router=$r speaker=$s rep=$rep start_to_syn_ms=$(ms "$t0" "$syn")"
  line+=" install_from_start_ms=$(ms "$t0" "$tinst") install_from_syn_ms=$(ms "$syn" "$tinst")"
  line+=" send_ms=$(ms "$fa" "$la") install_after_last_update_ms=$(ms "$la" "$tinst") updates=$na update_bytes=$ba"
  line+=" withdraw_ms=$(ms "$tw" "$tzero") withdraw_send_ms=$(ms "$fw" "$lw")"
  line+=" withdraw_after_last_update_ms=$(ms "$lw" "$tzero") withdraw_updates=$nw withdraw_bytes=$bw"
  echo "$line" | tee -a "$TMP/results"
}

# median FIELD ROUTER SPEAKER
median() {
  grep "router=$2 speaker=$3 " "$TMP/results" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$1=//p" | grep -v '^-$' |
    sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }

lab_up
: >"$TMP/results"
echo "lab: node $NS_NODE, routers ${NS[frr]} (FRR) ${NS[bird]} (BIRD) ${NS[gobgp]} (GoBGP); $COUNT /32 of 10.128.0.0/18, iBGP $AS"
echo "versions: vipd $("$VIPD" --version 2>/dev/null | head -1), $(/usr/lib/frr/bgpd --version 2>/dev/null | head -1)," \
     "$(bird --version 2>&1 | head -1), ExaBGP $(exabgp --version 2>/dev/null | sed -n 's/^ExaBGP : //p'), $(gobgpd --version 2>&1 | head -1)"
echo "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); poll every $POLL_MS ms; $REPS repetitions"

for rep in $(seq "$REPS"); do
  for r in $ROUTERS; do
    for s in $SPEAKERS; do
      measure "$r" "$s" "$rep" || echo "RESULT router=$r speaker=$s rep=$rep failed=1" | tee -a "$TMP/results"
    done
  done
done

echo
echo "== medians of $REPS (ms; install = all $COUNT routes in the router's kernel table; withdraw = none left)"
printf '%-6s %-7s %9s %9s %9s %9s %9s %9s\n' router speaker 'inst/start' 'inst/SYN' 'send' 'after-last' withdraw 'wd-after'
for r in $ROUTERS; do
  for s in $SPEAKERS; do
    printf '%-6s %-7s %9s %9s %9s %9s %9s %9s\n' "$r" "$s" "$(median install_from_start_ms "$r" "$s")" \
      "$(median install_from_syn_ms "$r" "$s")" "$(median send_ms "$r" "$s")" \
      "$(median install_after_last_update_ms "$r" "$s")" "$(median withdraw_ms "$r" "$s")" \
      "$(median withdraw_after_last_update_ms "$r" "$s")"
  done
done
if [[ " $SPEAKERS " == *" vipd "* && " $SPEAKERS " == *" exabgp "* ]]; then
  echo
  echo "== ratio vipd / ExaBGP (target <= 1.00)"
  printf '%-6s %12s %12s %12s\n' router 'install/start' 'install/SYN' withdraw
  for r in $ROUTERS; do
    printf '%-6s %12s %12s %12s\n' "$r" \
      "$(ratio "$(median install_from_start_ms "$r" vipd)" "$(median install_from_start_ms "$r" exabgp)")" \
      "$(ratio "$(median install_from_syn_ms "$r" vipd)" "$(median install_from_syn_ms "$r" exabgp)")" \
      "$(ratio "$(median withdraw_ms "$r" vipd)" "$(median withdraw_ms "$r" exabgp)")"
  done
fi

if [ "$RSS" = 1 ]; then
  echo
  echo "== vipd memory: $COUNT prefixes announced to FRR, BIRD and GoBGP at once"
  for r in frr bird gobgp; do start_router "$r"; done
  start_vipd rss frr bird gobgp
  deadline=$((SECONDS + PHASE_TIMEOUT)); ok=0
  while [ $SECONDS -lt $deadline ] && alive "$SPEAKER_PID"; do
    f=$(ribcount frr); b=$(ribcount bird); g=$(ribcount gobgp)
    if [ "$f" = "$COUNT" ] && [ "$b" = "$COUNT" ] && [ "$g" = "$COUNT" ]; then ok=1; break; fi
    sleep 0.2
  done
  sleep 1   # settle: the last UPDATEs flushed, End-of-RIB sent
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$SPEAKER_PID/status" 2>/dev/null || echo -)
  hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$SPEAKER_PID/status" 2>/dev/null || echo -)
  if [ "$ok" = 1 ]; then
    echo "all 3 peers hold $COUNT prefixes: vipd VmRSS $rss KiB, VmHWM $hwm KiB"
  else
    echo "peers did not all receive $COUNT prefixes (frr=$(ribcount frr) bird=$(ribcount bird) gobgp=$(ribcount gobgp)); VmRSS $rss KiB, VmHWM $hwm KiB"
  fi
  echo "RESULT rss peers=3 prefixes=$COUNT all_received=$ok vmrss_kib=$rss vmhwm_kib=$hwm" >>"$TMP/results"
  stop_pid "$SPEAKER_PID"; SPEAKER_PID=
  for r in frr bird gobgp; do stop_router "$r"; done
fi
echo
cat "$TMP/results"
