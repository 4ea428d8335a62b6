# `wattson offload serve` and `offload run` (issue 18) between real
# processes: on the loopback, every mode completes and every output equals
# the local run's; the faults the issue lists - another protocol version
# (both sides say why), a corrupted and a truncated frame, a peer that
# disconnects mid-request or never answers (the request fails over to the
# user's device), a server killed mid-run - and, in network namespaces, a
# server on its default loopback address unreachable from the other
# namespace.  The stranger is tests/integration/ofpeer.py, written from
# the protocol's headers.  Nothing asserts on speed.
. "$TESTS/lib.sh"

PEER="$TESTS/ofpeer.py"
CFG=$WATTSON_SHARED_DATA/darknet-cfg/yolov3-tiny.cfg
PIDS=""
cleanup() {
    for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
    [ -n "${NS:-}" ] && sh "$WATTSON_SOURCE_DIR/scripts/ofnet.sh" down "$NS" >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# serve NAME ARGS...: a server on 127.0.0.1:0 in the background; its port
# in $PORT (from the line it prints), its pid added to PIDS.
serve() {
    name=$1
    shift
    "$W" offload serve --listen 127.0.0.1:0 "$@" >"$T/$name.out" 2>"$T/$name.err" &
    pid=$!
    PIDS="$PIDS $pid"
    i=0
    PORT=""
    while [ $i -lt 100 ] && [ -z "$PORT" ]; do
        PORT=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$T/$name.out")
        [ -z "$PORT" ] && sleep 0.05
        i=$((i + 1))
    done
    SPID=$pid
}
# peer_server MODE: ofpeer.py as a server; its port in $PORT.
peer_server() {
    rm -f "$T/pport"
    python3 "$PEER" server "$1" "$T/pport" >"$T/peer.out" 2>&1 &
    PIDS="$PIDS $!"
    i=0
    while [ $i -lt 100 ] && [ ! -s "$T/pport" ]; do sleep 0.05; i=$((i + 1)); done
    PORT=$(cat "$T/pport")
}
# field FILE KEY: the values of KEY in a JSON-lines file, one per line.
field() { python3 -c "import json,sys
for l in open(sys.argv[1]): print(json.loads(l)[sys.argv[2]])" "$1" "$2"; }

# ---- the command line ----
expect_fail 2 "not serve or run" -- offload bogus
expect_fail 2 "needs --model" -- offload run --connect 127.0.0.1:1
expect_fail 2 "needs --connect" -- offload run --model "$CFG"
expect_fail 2 "mode: 'fast'" -- offload run --model "$CFG" --mode fast
expect_fail 2 "zstd: 'max'" -- offload run --model "$CFG" --mode local --zstd max
expect_fail 2 "requests: '0'" -- offload run --model "$CFG" --mode local --requests 0
expect_fail 2 "device: 'cpu:-1'" -- offload run --model "$CFG" --mode local --device cpu:-1
expect_fail 2 "not an address" -- offload run --model "$CFG" --connect localhost:7207
expect_fail 2 "not an address" -- offload serve --listen 1.2.3:7207
expect_fail 3 "nope.cfg" -- offload run --model "$T/nope.cfg" --mode local
expect_fail 2 "does not take --listen" -- offload run --model "$CFG" --mode local --listen 127.0.0.1:1
expect_fail 2 "transport: 'sctp' is not tcp or udp" -- offload run --model "$CFG" --mode local --transport sctp
expect_fail 2 "does not take --transport" -- offload serve --transport udp

# ---- every mode on the loopback ----
serve s1
check '[ -n "$PORT" ]' "serve printed its port ($(cat "$T/s1.out" "$T/s1.err"))"
for m in local remote static adaptive; do
    "$W" offload run --connect "127.0.0.1:$PORT" --model "$CFG" --mode $m \
        --requests 3 --out "$T/$m.jsonl" >"$T/$m.out" 2>"$T/$m.err"
    rc=$?
    check '[ $rc -eq 0 ]' "mode $m: exit $rc ($(cat "$T/$m.err"))"
    check '[ "$(field "$T/$m.jsonl" ok | sort -u)" = True ]' "mode $m: every output equals the local run's"
    check '[ "$(field "$T/$m.jsonl" failover | sort -u)" = False ]' "mode $m: nothing failed over"
    check '[ "$(wc -l <"$T/$m.jsonl")" -eq 3 ]' "mode $m: three records"
    check 'grep -q "^offload run: 3 requests ($m)" "$T/$m.out"' "mode $m: the summary line"
done
n=$(field "$T/remote.jsonl" layers | sed -n 1p)
check '[ "$(field "$T/local.jsonl" remote_layers | sort -u)" = 0 ]' "local: no layer remote"
check '[ "$(field "$T/remote.jsonl" remote_layers | sort -u)" = "$n" ]' "remote: all $n layers remote"
check '[ "$(field "$T/local.jsonl" wire_up | sort -u)" = 0 ]' "local: nothing on the wire"
# all-remote sends the input: its bytes crossed (more than the raw input
# would be only by the frames' headers, less if compressed)
check '[ "$(field "$T/remote.jsonl" raw_up | sort -u)" -gt 100000 ]' "remote: the input crossed"
# static keeps one split for every request
check '[ "$(field "$T/static.jsonl" remote_layers | sort -u | wc -l)" -eq 1 ]' "static: one split"
# --zstd off: nothing compressed, the bytes on the wire at least the raw
"$W" offload run --connect "127.0.0.1:$PORT" --model "$CFG" --mode remote \
    --requests 1 --zstd off --out "$T/off.jsonl" >/dev/null 2>&1
check '[ "$(field "$T/off.jsonl" wire_up)" -ge "$(field "$T/off.jsonl" raw_up)" ]' \
    "--zstd off: wire >= raw ($(field "$T/off.jsonl" wire_up) vs $(field "$T/off.jsonl" raw_up))"
"$W" offload run --connect "127.0.0.1:$PORT" --model "$CFG" --mode remote \
    --requests 1 --zstd fast --out "$T/fast.jsonl" >/dev/null 2>&1
check '[ "$(field "$T/fast.jsonl" wire_up)" -lt "$(field "$T/fast.jsonl" raw_up)" ]' \
    "--zstd fast: the activations shrink ($(field "$T/fast.jsonl" wire_up) of $(field "$T/fast.jsonl" raw_up))"

# ---- --transport udp on the loopback: tensors as erasure-coded datagrams ----
for m in remote adaptive; do
    "$W" offload run --connect "127.0.0.1:$PORT" --model "$CFG" --mode $m \
        --requests 3 --transport udp --out "$T/udp-$m.jsonl" >"$T/udp-$m.out" 2>"$T/udp-$m.err"
    rc=$?
    check '[ $rc -eq 0 ]' "udp, mode $m: exit $rc ($(cat "$T/udp-$m.err"))"
    check '[ "$(field "$T/udp-$m.jsonl" ok | sort -u)" = True ]' "udp, mode $m: every output equals the local run's"
    check '[ "$(field "$T/udp-$m.jsonl" failover | sort -u)" = False ]' "udp, mode $m: nothing failed over"
    check '[ "$(wc -l <"$T/udp-$m.jsonl")" -eq 3 ]' "udp, mode $m: three records"
done
# all-remote: every request's tensors went both ways as datagrams
check '[ "$(field "$T/udp-remote.jsonl" transport | sort -u)" = udp ]' "udp remote: every request over udp"
check '[ "$(field "$T/udp-remote.jsonl" dg_sent | sort -un | sed -n 1p)" -gt 0 ] && [ "$(field "$T/udp-remote.jsonl" dg_got | sort -un | sed -n 1p)" -gt 0 ]' \
    "udp remote: datagrams sent and received in every request ($(field "$T/udp-remote.jsonl" dg_sent | tr '\n' ' '))"
check '[ "$(field "$T/udp-remote.jsonl" raw_down | sort -u)" -gt 0 ]' "udp remote: the output came home"
# adaptive: every request that offloaded anything went over udp (whether
# one does depends on what the loopback measures)
check 'python3 -c "import json,sys
sys.exit(any(r[\"remote_layers\"] and r[\"transport\"] != \"udp\" for r in map(json.loads, open(sys.argv[1]))))" "$T/udp-adaptive.jsonl"' \
    "udp adaptive: every offloaded request over udp"

# ---- the server refuses strangers and stays up ----
python3 "$PEER" client v2 "$PORT" >"$T/p.out" 2>&1
check 'grep -q "ERROR.*version 2.*speaks 1" "$T/p.out"' "a version-2 client is told why: $(cat "$T/p.out")"
python3 "$PEER" client badcrc "$PORT" >"$T/p.out" 2>&1
check 'grep -q "ERROR.*CRC32C" "$T/p.out"' "a corrupted frame is named: $(cat "$T/p.out")"
python3 "$PEER" client remote "$PORT" >"$T/p.out" 2>&1
check 'grep -q "ERROR.*a remote, not a user" "$T/p.out"' "a remote posing as a user: $(cat "$T/p.out")"
python3 "$PEER" client trunc "$PORT" >"$T/p.out" 2>&1
"$W" offload run --connect "127.0.0.1:$PORT" --model "$CFG" --mode remote \
    --requests 1 >"$T/after.out" 2>&1
check '[ $? -eq 0 ]' "the server still serves after the strangers ($(cat "$T/after.out"))"
kill -TERM "$SPID"
wait "$SPID"
rc=$?
check '[ $rc -eq 0 ]' "serve: SIGTERM is exit 0 (got $rc)"
check 'grep -q "version 2, this wattson speaks 1" "$T/s1.err"' "serve says why it refused the version-2 peer"
check 'grep -q "CRC32C" "$T/s1.err"' "serve says why it dropped the corrupted peer"
check 'grep -q "(4 refused)" "$T/s1.out"' \
    "serve counts four refused peers: $(tail -n 1 "$T/s1.out")"

# ---- a version-2 server: the user refuses it and says why ----
peer_server v2
"$W" offload run --connect "127.0.0.1:$PORT" --model "$CFG" --requests 1 >"$T/v2.out" 2>"$T/v2.err"
rc=$?
check '[ $rc -eq 1 ] && grep -q "version 2, this wattson speaks 1" "$T/v2.err"' \
    "run against a version-2 server: exit 1 with the reason (rc $rc: $(cat "$T/v2.err"))"
sleep 0.2
check 'grep -q "ERROR.*version 2" "$T/peer.out"' "the version-2 server was told why: $(cat "$T/peer.out")"

# ---- a remote that drops the connection on a request: failover ----
peer_server drop
"$W" offload run --connect "127.0.0.1:$PORT" --model "$CFG" --mode remote --requests 2 \
    --out "$T/drop.jsonl" >"$T/drop.out" 2>"$T/drop.err"
rc=$?
check '[ $rc -eq 0 ]' "a dropped request still completes: exit $rc ($(cat "$T/drop.err"))"
check '[ "$(field "$T/drop.jsonl" failover | sed -n 1p)" = True ]' "the first request failed over"
check 'head -n 1 "$T/drop.jsonl" | grep -q "closed the connection\|reset by peer"' "its reason: $(head -n 1 "$T/drop.jsonl")"
check '[ "$(field "$T/drop.jsonl" ok | sort -u)" = True ]' "failed-over outputs equal the local run's"

# ---- a remote that never answers: the timeout ----
peer_server silent
"$W" offload run --connect "127.0.0.1:$PORT" --model "$CFG" --mode remote --requests 1 \
    --timeout 0.5s --out "$T/silent.jsonl" >"$T/silent.out" 2>"$T/silent.err"
rc=$?
check '[ $rc -eq 0 ] && [ "$(field "$T/silent.jsonl" failover)" = True ]' \
    "a silent remote: failed over (rc $rc, $(cat "$T/silent.jsonl"))"
check 'grep -q "timed out" "$T/silent.jsonl"' "its reason is the timeout"

# ---- a real server killed mid-run ----
serve s2 --device gpu:0.002
"$W" offload run --connect "127.0.0.1:$PORT" --model "$CFG" --mode remote --requests 4 \
    --out "$T/kill.jsonl" >"$T/kill.out" 2>"$T/kill.err" &
RPID=$!
i=0
while [ $i -lt 100 ] && ! grep -q "^request 0" "$T/kill.out" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
kill -9 "$SPID"
wait "$RPID"
rc=$?
check '[ $rc -eq 0 ]' "run survives its server's death: exit $rc ($(cat "$T/kill.err"))"
check '[ "$(field "$T/kill.jsonl" ok | sort -u)" = True ] && [ "$(wc -l <"$T/kill.jsonl")" -eq 4 ]' \
    "every request completed with the local run's outputs"
check 'tail -n 3 "$T/kill.jsonl" | grep -q "closed the connection\|reset by peer\|no connection"' \
    "the requests after the kill ran locally: $(tail -n 3 "$T/kill.jsonl" | cut -c1-300)"

# ---- the remote's devices from its lab, booked by its allocator ----
expect_fail 2 "one or the other" -- offload serve --lab "$WATTSON_SOURCE_DIR/tests/fixtures/labs/offload-edge.lua" --device gpu:1
expect_fail 3 "no cluster table" -- offload serve --lab "$WATTSON_SOURCE_DIR/lua-policies/labs/default.lua"
serve edge --lab "$WATTSON_SOURCE_DIR/tests/fixtures/labs/offload-edge.lua"
check 'grep -q "devices t4a x0.45 16 GB t4b x0.45 16 GB" "$T/edge.out"' "serve --lab lists the lab's devices: $(cat "$T/edge.out")"
for i in 1 2; do
    "$W" offload run --connect "127.0.0.1:$PORT" --model "$CFG" --mode remote --requests 4 \
        --out "$T/edge$i.jsonl" >/dev/null 2>"$T/edge$i.err" &
    eval "E$i=\$!"
done
wait "$E1"
rc1=$?
wait "$E2"
rc2=$?
check '[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ]' "two users at once: exit $rc1 and $rc2 ($(cat "$T/edge1.err" "$T/edge2.err"))"
check '[ "$(field "$T/edge1.jsonl" ok | sort -u)$(field "$T/edge2.jsonl" ok | sort -u)" = TrueTrue ]' "two users at once: every output the local run's"
kill -TERM "$SPID"
wait "$SPID"
# (which device each lands on depends on whether they overlap: the
# allocator's choices are test_ofalloc's)
check '[ "$(grep -c "layers on t4[ab]," "$T/edge.err")" -eq 8 ]' \
    "all 8 requests were booked on the lab's devices: $(grep 'layers on' "$T/edge.err" | sed 's/.*layers on \([^,]*\),.*/\1/' | tr '\n' ' ')"
serve tiny --lab "$WATTSON_SOURCE_DIR/tests/fixtures/labs/offload-tiny.lua"
"$W" offload run --connect "127.0.0.1:$PORT" --model "$CFG" --mode remote --requests 1 \
    --out "$T/tiny.jsonl" >/dev/null 2>"$T/tiny.err"
rc=$?
check '[ $rc -eq 0 ] && [ "$(field "$T/tiny.jsonl" failover)" = True ] && grep -q "largest device here has" "$T/tiny.jsonl"' \
    "a request no device can hold is refused with the reason and fails over (rc $rc: $(cat "$T/tiny.jsonl"))"
kill -TERM "$SPID"
wait "$SPID"

# ---- network namespaces: the default address is loopback only ----
NS="oflt$$"
export WATTSON_OFNET_RUN="$T/ofnet"
if sh "$WATTSON_SOURCE_DIR/scripts/ofnet.sh" up "$NS" >"$T/ns.err" 2>&1; then
    on() { side=$1; shift; sh "$WATTSON_SOURCE_DIR/scripts/ofnet.sh" exec "$NS" "$side" "$@"; }
    on b "$W" offload serve --duration 20s >"$T/nsb.out" 2>&1 &
    PIDS="$PIDS $!"
    sleep 0.5
    on a "$W" offload run --connect 10.199.0.2:7207 --model "$CFG" --requests 1 >"$T/nsa.out" 2>"$T/nsa.err"
    rc=$?
    check '[ $rc -eq 1 ] && grep -qi "refused" "$T/nsa.err"' \
        "from the other namespace the default server is unreachable (rc $rc: $(cat "$T/nsa.err"))"
    on b "$W" offload serve --listen 10.199.0.2:7208 --duration 20s >"$T/nsb2.out" 2>&1 &
    PIDS="$PIDS $!"
    sleep 0.5
    on a "$W" offload run --connect 10.199.0.2:7208 --model "$CFG" --mode remote --requests 2 >"$T/nsa2.out" 2>"$T/nsa2.err"
    rc=$?
    check '[ $rc -eq 0 ]' "listening on the namespace's address, it serves the other namespace (rc $rc: $(cat "$T/nsa2.err"))"
    # datagrams through 5 % loss each way at 100 Mb/s: parity rebuilds
    # groups, NACKs fetch the rest, every request completes
    sh "$WATTSON_SOURCE_DIR/scripts/ofnet.sh" set "$NS" --loss 0.05 --rate 100mbit >"$T/set.err" 2>&1
    check '[ $? -eq 0 ]' "ofnet set --loss 0.05 --rate 100mbit ($(cat "$T/set.err"))"
    on a "$W" offload run --connect 10.199.0.2:7208 --model "$CFG" --mode remote --requests 4 \
        --transport udp --timeout 10s --out "$T/nsudp.jsonl" >"$T/nsudp.out" 2>"$T/nsudp.err"
    rc=$?
    check '[ $rc -eq 0 ]' "udp through 5 % loss: exit $rc ($(cat "$T/nsudp.err"))"
    check '[ "$(wc -l <"$T/nsudp.jsonl")" -eq 4 ] && [ "$(field "$T/nsudp.jsonl" ok | sort -u)" = True ]' \
        "udp through 5 % loss: four requests, every output the local run's"
    check '[ "$(field "$T/nsudp.jsonl" failover | sort -u)" = False ]' \
        "udp through 5 % loss: nothing failed over ($(field "$T/nsudp.jsonl" why | sort -u | tr '\n' ' '))"
    rec=$(field "$T/nsudp.jsonl" fec_recovered | awk '{ s += $1 } END { print s + 0 }')
    check '[ "$rec" -gt 0 ]' "udp through 5 % loss: lost datagrams rebuilt from parity ($rec groups)"
else
    skip "network namespaces: $(cat "$T/ns.err")"
fi
finish
