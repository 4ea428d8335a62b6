# The offload protocol's network testbed (issue 18): scripts/ofnet.sh
# and wattson-ofrelay between two network namespaces.  What is asserted is
# the impairment the relay must create and what the kernel's TCP makes
# of it, never how fast our code runs: total loss stops everything, no
# loss stops nothing, a seeded 30 % loss is within 5 sigma of 30 % and
# agrees with what ping saw, a 20 ms one-way delay puts every RTT at or
# above 40 ms (a lower bound), a few MB cross 5 % loss intact (TCP's
# retransmissions), `set` changes the delay and tbf's rate live, and
# `down` leaves nothing behind.  Needs root and network namespaces:
# skipped (77) otherwise.
. "$TESTS/lib.sh"

NET=$WATTSON_SOURCE_DIR/scripts/ofnet.sh
# A run directory of our own and a name no other run uses.
export WATTSON_OFNET_RUN="$T/ofnet"
N="oft$$"
B=10.199.0.2
trap 'sh "$NET" down "$N" >/dev/null 2>&1; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM

on() { side=$1; shift; sh "$NET" exec "$N" "$side" "$@"; }
stat() { sed -n "s/^$1=//p" "$T/stats"; }
stats() { sh "$NET" stats "$N" >"$T/stats"; }
# received PINGOUT: ping's count of replies.
received() { sed -n 's/.* \([0-9]*\) received.*/\1/p' "$1"; }

# Refused before anything is built: a bad name, a bad value (the relay's
# own check), and a non-root caller is a skip, not a failure.
sh "$NET" up "bad/name" 2>"$T/err"
rc=$?
check '[ $rc -eq 2 ] && grep -q "bad testbed name" "$T/err"' "a bad name: exit 2"
sh "$NET" up "$N" --loss 1.5 2>"$T/err"
rc=$?
if [ $rc -eq 77 ]; then
    skip_all "ofnet.sh: $(cat "$T/err")"
fi
check '[ $rc -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "loss" "$T/err"' \
    "--loss 1.5: exit 2 with one line naming loss (rc $rc: $(cat "$T/err"))"
check '! ip netns list | grep -q "^$N-"' "a refused up builds no namespace"

# Total loss: nothing reaches B; `up` still comes up (it pings before
# applying the impairment) and the rate goes on as tbf.
if ! sh "$NET" up "$N" --loss 1 --rate 50mbit 2>"$T/err"; then
    fail "up --loss 1: $(cat "$T/err")"
    finish
fi
check 'on a tc qdisc show dev a0 | grep -q "tbf.*rate 50Mbit"' \
    "tbf with the rate on a0: $(on a tc qdisc show dev a0)"
check 'on b tc qdisc show dev b0 | grep -q "tbf.*rate 50Mbit"' "tbf on b0"
sh "$NET" up "$N" 2>"$T/err"
rc=$?
check '[ $rc -eq 1 ] && grep -q "already exists" "$T/err"' "a second up of one name is refused"
stats
in0=$(stat ab_in) lost0=$(stat ab_lost) ba0=$(stat ba_in)
on a ping -q -c 20 -i 0.01 -W 1 "$B" >"$T/ping" 2>&1
stats
check '[ "$(received "$T/ping")" = 0 ]' "--loss 1: no reply ($(tail -n 2 "$T/ping"))"
check '[ $(($(stat ab_in) - in0)) -eq 20 ] && [ $(($(stat ab_lost) - lost0)) -eq 20 ] && [ "$(stat ba_in)" = "$ba0" ]' \
    "--loss 1: 20 frames in, all lost, none reached B (ab_in $(stat ab_in) ab_lost $(stat ab_lost) ba_in $(stat ba_in))"

# No loss: every ping answered.
sh "$NET" set "$N" --loss 0
on a ping -q -c 50 -i 0.01 -W 1 "$B" >"$T/ping" 2>&1
check '[ "$(received "$T/ping")" = 50 ]' "--loss 0: 50 of 50 ($(tail -n 2 "$T/ping"))"

# A seeded 30 % loss, both directions: the relay's drops over its frames
# within 5 sigma of 0.3 (binomial), and ping's count equal to the replies
# the relay passed to A.
n_ping=400
stats
ab0=$(stat ab_in) abl0=$(stat ab_lost) ba0=$(stat ba_in) bal0=$(stat ba_lost) bao0=$(stat ba_out)
sh "$NET" set "$N" --loss 0.3
on a ping -q -c $n_ping -i 0.005 -W 1 "$B" >"$T/ping" 2>&1
stats
tot=$(($(stat ab_in) - ab0 + $(stat ba_in) - ba0))
lost=$(($(stat ab_lost) - abl0 + $(stat ba_lost) - bal0))
passed=$(($(stat ba_out) - bao0))
z=$(awk -v n="$tot" -v k="$lost" 'BEGIN { p = 0.3; printf "%.2f", (k - n * p) / sqrt(n * p * (1 - p)) }')
echo "ofnet: loss 0.3: $lost of $tot frames dropped ($(awk -v n="$tot" -v k="$lost" 'BEGIN { printf "%.3f", k / n }'), z = $z); ping: $(received "$T/ping") of $n_ping" >&2
check '[ $(($(stat ab_in) - ab0)) -eq $n_ping ]' "loss 0.3: the relay saw the $n_ping requests"
check 'awk -v z="$z" "BEGIN { exit !(z >= -5 && z <= 5) }"' "loss 0.3: z = $z outside 5 sigma"
check '[ "$(received "$T/ping")" = "$passed" ]' \
    "loss 0.3: ping received $(received "$T/ping"), the relay passed $passed replies"

# 20 ms one way: every round trip crosses the relay twice.
sh "$NET" set "$N" --loss 0 --delay 20ms
on a ping -c 10 -i 0.05 -W 2 "$B" >"$T/ping" 2>&1
minrtt=$(sed -n 's/.*time=\([0-9.]*\) ms/\1/p' "$T/ping" | sort -n | head -n 1)
echo "ofnet: delay 20ms: min RTT $minrtt ms over $(received "$T/ping") replies" >&2
check '[ "$(received "$T/ping")" = 10 ]' "delay 20ms: 10 of 10"
check 'sed -n "s/.*time=\([0-9.]*\) ms/\1/p" "$T/ping" | awk "\$1 < 40 { bad = 1 } END { exit bad || NR != 10 }"' \
    "delay 20ms: an RTT under 40 ms: $(grep time= "$T/ping" | head -n 3)"
# Jitter of 10 ms on 20 ms: no round trip under 2 x (20 - 10) ms.
sh "$NET" set "$N" --jitter 10ms
on a ping -c 10 -i 0.01 -W 2 "$B" >"$T/ping" 2>&1
check 'sed -n "s/.*time=\([0-9.]*\) ms/\1/p" "$T/ping" | awk "\$1 < 20 { bad = 1 } END { exit bad || NR != 10 }"' \
    "jitter 10ms on 20ms: an RTT under 20 ms or a reply missing: $(tail -n 2 "$T/ping")"
sh "$NET" set "$N" --jitter 0
# ... and live back to none: the bound no longer holds for every reply.
sh "$NET" set "$N" --delay 0
on a ping -c 5 -i 0.05 -W 2 "$B" >"$T/ping" 2>&1
check 'sed -n "s/.*time=\([0-9.]*\) ms/\1/p" "$T/ping" | awk "\$1 < 40 { low = 1 } END { exit !low }"' \
    "set --delay 0: still every RTT over 40 ms"
# A bad live value is refused and changes nothing.
sh "$NET" set "$N" --jitter 5parsecs 2>"$T/err"
rc=$?
check '[ $rc -eq 2 ] && grep -q jitter "$T/err"' "set --jitter 5parsecs: exit 2"

# A few MB over TCP through 5 % loss (and tbf's rate, changed live)
# arrive intact: the kernel retransmits what the relay dropped.
sh "$NET" set "$N" --loss 0.05 --rate 20mbit
check 'on a tc qdisc show dev a0 | grep -q "rate 20Mbit"' "set --rate: tbf changed"
cat >"$T/tx.py" <<'PY'
import hashlib, random, socket, sys
mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if mode == "recv":
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(1)
    s.settimeout(120)
    c, _ = s.accept()
    c.settimeout(120)
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        h.update(b)
        n += len(b)
    print(n, h.hexdigest())
else:
    data = random.Random(int(sys.argv[5])).randbytes(int(sys.argv[4]))
    s = socket.create_connection((host, port), timeout=120)
    s.sendall(data)
    s.close()
    print(len(data), hashlib.sha256(data).hexdigest())
PY
stats
l0=$(stat ab_lost)
on b python3 "$T/tx.py" recv "$B" 5001 >"$T/rx" 2>&1 &
rx=$!
# the listener is up when B has a socket on 5001
i=0
until on b sh -c "grep -q ':1389 ' /proc/net/tcp" || [ $i -ge 100 ]; do
    sleep 0.05
    i=$((i + 1))
done
on a python3 "$T/tx.py" send "$B" 5001 4000000 18 >"$T/tx" 2>&1
wait $rx
stats
echo "ofnet: TCP 4 MB through 5 % loss: $(($(stat ab_lost) - l0)) frames dropped A to B" >&2
check '[ -s "$T/tx" ] && [ "$(cat "$T/tx")" = "$(cat "$T/rx")" ]' \
    "TCP through 5 % loss: sent '$(cat "$T/tx")', received '$(cat "$T/rx")'"
check '[ $(($(stat ab_lost) - l0)) -gt 0 ]' "TCP through 5 % loss: the relay dropped nothing"
# Every frame the relay took is accounted for, each direction.
for d in ab ba; do
    check '[ "$(stat ${d}_in)" -eq $(($(stat ${d}_out) + $(stat ${d}_dropped) + $(stat ${d}_queued))) ]' \
        "$d: in $(stat ${d}_in) != out $(stat ${d}_out) + dropped $(stat ${d}_dropped) + queued $(stat ${d}_queued)"
done

# down: no namespace, no veth, no relay; twice is fine.
pid=$(cat "$WATTSON_OFNET_RUN/$N/relay.pid")
sh "$NET" down "$N"
rc=$?
check '[ $rc -eq 0 ]' "down: exit 0"
check '! ip netns list | grep -q "^$N-"' "down: namespaces left: $(ip netns list | grep "^$N-")"
# (a zombie is an ended process its parent has not reaped: here PID 1,
# which need not do so at once)
check '! [ -r "/proc/$pid/status" ] || grep -q "^State:[[:space:]]*Z" "/proc/$pid/status"' \
    "down: relay $pid still running"
check '[ ! -e "$WATTSON_OFNET_RUN/$N" ]' "down: run directory left"
check '! ip -o link show type veth | grep -Eq "^[0-9]+: [ab][01]@"' "down: a veth left in the root namespace"
sh "$NET" down "$N"
rc=$?
check '[ $rc -eq 0 ]' "a second down: exit 0"
finish
