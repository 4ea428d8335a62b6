# The vGPU request API (issue 16) on a real headless run with
# --vgpu-socket: `wattson vgpu` calls and their answers and exit codes,
# more than exists (partial, refused), negative/NaN amounts, unknown
# types, a client that disconnects holding resources (released, the log
# line), a flood from one client (rate limited while another is served),
# malformed lines (over-long, garbage, NUL bytes), another user (sudo -n
# -u nobody when there is one), the path existing as a regular file
# (refused, untouched), the socket removed on exit, and the client
# library through a program linked against it alone ($VGCLIENT_TEST).
. "$TESTS/lib.sh"
S="$T/vgpu.sock"

# ---- the path exists and is not a socket: refused, untouched -----------
echo precious >"$S"
expect_fail 6 "exists and is not a socket; not replacing it" -- run --duration 1s --vgpu-socket "$S"
check '[ "$(cat "$S")" = precious ]' "the regular file at the socket path is untouched"
rm -f "$S"
expect_fail 2 "takes request, release, available or limit\|needs request" -- vgpu --socket "$S"
expect_fail 4 "cannot connect to $S" -- vgpu --socket "$S" available

# ---- a live server -----------------------------------------------------
"$W" run --realtime --duration 120s --vgpu-socket "$S" -v >"$T/sum" 2>"$T/run.err" &
pid=$!
i=0
while [ $i -lt 300 ] && [ ! -S "$S" ]; do sleep 0.1; i=$((i + 1)); done
check '[ -S "$S" ]' "the socket appears: $(cat "$T/run.err")"
check '[ "$(stat -c %a "$S")" = 600 ]' "the socket is owner-only: $(stat -c %a "$S")"
# A second server on the same live socket is refused.
expect_fail 6 "another server answers there" -- run --duration 1s --vgpu-socket "$S"

v() { "$W" vgpu --socket "$S" "$@" >"$T/v.out" 2>"$T/v.err"; }
v available
check '[ $? -eq 0 ] && grep -q "^OK gpu0.compute=1 gpu0.memory=[0-9.e+]* gpu0.power=250 gpu1.compute=1" "$T/v.out"' \
    "available: $(cat "$T/v.out" "$T/v.err")"
v request compute 0.5
check '[ $? -eq 0 ] && grep -q "^OK granted=0.5 held=0.5 available=0.5 limit=none gpu=gpu0$" "$T/v.out"' \
    "request compute 0.5: $(cat "$T/v.out" "$T/v.err")"
v available gpu0
check 'grep -q "^OK gpu=gpu0 compute=1 " "$T/v.out"' \
    "the CLI's grant was released when it exited: $(cat "$T/v.out")"
v request power 400W gpu0
check '[ $? -eq 0 ] && grep -q "^OK granted=250 .* partial=1$" "$T/v.out"' \
    "more than exists: partial: $(cat "$T/v.out" "$T/v.err")"
v request compute nan
check '[ $? -eq 1 ] && grep -q "ERR EAMOUNT amount .nan. must be finite and > 0" "$T/v.err" && [ ! -s "$T/v.out" ]' \
    "NaN refused, exit 1: $(cat "$T/v.err")"
v -- request compute -0.5
check '[ $? -eq 1 ] && grep -q "ERR EAMOUNT" "$T/v.err"' "negative refused: $(cat "$T/v.err")"
v request bandwidth 1
check '[ $? -eq 1 ] && grep -q "ERR ETYPE unknown type .bandwidth." "$T/v.err"' "unknown type: $(cat "$T/v.err")"
v request compute 0.1 gpu9
check '[ $? -eq 1 ] && grep -q "ERR EGPU unknown gpu .gpu9." "$T/v.err"' "unknown gpu: $(cat "$T/v.err")"
expect_fail 2 "unknown call 'grab'" -- vgpu --socket "$S" grab compute 1
expect_fail 2 "wrong number of operands" -- vgpu --socket "$S" request compute

# A holder that disconnects: --hold keeps the grant, then exits.
"$W" vgpu --socket "$S" --hold 3s request compute 0.75 gpu1 >"$T/h.out" 2>&1 &
hp=$!
i=0
while [ $i -lt 100 ] && ! grep -q OK "$T/h.out"; do sleep 0.1; i=$((i + 1)); done
v available gpu1
check 'grep -q "^OK gpu=gpu1 compute=0.25 " "$T/v.out"' "held while --hold: $(cat "$T/v.out" "$T/h.out")"
v request compute 0.5 gpu1
check '[ $? -eq 0 ] && grep -q "granted=0.25 .*partial=1" "$T/v.out"' "partial beside a holder: $(cat "$T/v.out")"
wait $hp
sleep 0.3
v available gpu1
check 'grep -q "^OK gpu=gpu1 compute=1 " "$T/v.out"' "released after the holder exits: $(cat "$T/v.out")"
check 'grep -q "vgpu: client pid $hp (uid [0-9]*) disconnected holding gpu1 compute 0.75: released" "$T/run.err"' \
    "the release is logged with the pid: $(grep vgpu "$T/run.err")"

# Malformed lines, a flood beside a paced client (python3: raw bytes).
if command -v python3 >/dev/null 2>&1; then
    python3 - "$S" >"$T/py.out" 2>&1 <<'PY'
import socket, sys
p = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(p); return s
def lines(s, n, t=5):
    s.settimeout(t); b = b""
    while b.count(b"\n") < n:
        d = s.recv(65536)
        if not d: break
        b += d
    return b.decode().splitlines()
a = conn(); a.sendall(b"garbage\nREQUEST\0compute 1\nREQUEST compute 0.1\n")
r = lines(a, 3)
print("garbage", r[0].startswith("ERR EPROTO unknown request"))
print("nul", r[1].startswith("ERR EPROTO byte 0x00"))
print("after", r[2].startswith("OK granted=0.1"))
a.sendall(b"A" * 300)
r = lines(a, 1); a.settimeout(5)
print("long", r[0].startswith("ERR EPROTO line longer than 255"))
try:
    print("closed", a.recv(10) == b"")
except ConnectionResetError:  # closed with the rest of the line unread
    print("closed", True)
# The flooder reads its answers as it goes (one that does not is dropped).
import threading
f = conn(); g = conn(); got = []
t = threading.Thread(target=lambda: got.extend(lines(f, 5000, 30)))
t.start()
f.sendall(b"AVAILABLE\n" * 5000)
g.sendall(b"AVAILABLE gpu0\n")
print("served", lines(g, 1)[0].startswith("OK gpu=gpu0"))
t.join(); r = got
print("flood", sum(1 for x in r if x.startswith("ERR ERATE")) > 0 and len(r) == 5000)
PY
    for k in garbage nul after long closed served flood; do
        check 'grep -q "^$k True$" "$T/py.out"' "python client: $k: $(cat "$T/py.out")"
    done
else
    skip "python3 not installed: malformed lines and the flood"
fi

# The client library, linked alone.
if [ -n "${VGCLIENT_TEST:-}" ] && [ -x "$VGCLIENT_TEST" ]; then
    "$VGCLIENT_TEST" "$S" 2>"$T/lib.err"
    check '[ $? -eq 0 ]' "libwattson-vgpu: $(cat "$T/lib.err")"
else
    skip "VGCLIENT_TEST not set: the client library program"
fi

# Another user: even with the socket opened to all, SO_PEERCRED refuses.
if [ "$(id -u)" -eq 0 ] && sudo -n -u nobody true 2>/dev/null && command -v python3 >/dev/null 2>&1; then
    chmod 755 "$T"
    chmod 666 "$S"
    sudo -n -u nobody python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(sys.argv[1])
s.settimeout(5); print(s.recv(200).decode().strip())' "$S" >"$T/nobody.out" 2>&1
    check 'grep -q "^ERR EPERM" "$T/nobody.out"' "nobody is refused: $(cat "$T/nobody.out")"
    check 'grep -q "vgpu: refused pid [0-9]* of uid [0-9]*" "$T/run.err"' "the refusal is logged"
    chmod 700 "$T"
else
    skip "no sudo -n -u nobody here: another user's connection (test_vgserve covers the uid check)"
fi

kill -TERM $pid
wait $pid
rc=$?
check '[ $rc -eq 130 ]' "SIGTERM ends the run with 130 (got $rc)"
check '[ ! -e "$S" ]' "the socket is removed on exit"
check '[ "$(json "[\"vgpu_api_malformed\"]" <"$T/sum")" -ge 3 ]' "vgpu_api_malformed counted: $(tail -c 400 "$T/sum")"
check '[ "$(json "[\"vgpu_api_rate_limited\"]" <"$T/sum")" -ge 1 ] || ! command -v python3 >/dev/null' "vgpu_api_rate_limited counted"
check '[ "$(json "[\"vgpu_api_disconnect_releases\"]" <"$T/sum")" -ge 3 ]' "vgpu_api_disconnect_releases counted"
check '[ "$(json "[\"vgpu_api_refused\"]" <"$T/sum")" -ge 4 ]' "vgpu_api_refused counted"

# A lab without a GPU: refused at start.
cat >"$T/nogpu.lua" <<'LAB'
return { drivers = { { plugin = "sim", devices = {
  { name = "cpu0", kind = "cpu", part = "zen3-core" } } } } }
LAB
"$W" run --lab "$T/nogpu.lua" --duration 1s --vgpu-socket "$S" >/dev/null 2>"$T/ng.err"
check '[ $? -eq 2 ] && grep -q "has no device of kind gpu" "$T/ng.err"' "no gpu: exit 2: $(cat "$T/ng.err")"
finish
