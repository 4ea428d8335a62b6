# `wattson partition` (issue 15): a training pipeline for the shared
# PipeDream profiles and a Darknet cfg over heterogeneous devices - a
# table, JSON with stages covering every layer once, the bottleneck never
# under its certified lower bound, a memory cap obeyed or refused with
# its reason, and bad input refused with one line and its exit code.
. "$TESTS/lib.sh"
P="$WATTSON_SHARED_DATA/pipedream-profiles"
C="$WATTSON_SHARED_DATA/darknet-cfg"
if [ ! -d "$P" ]; then
    skip "no shared data at $P"
    finish
fi
DEV="v100:1:16G,v100:1:16G,t4:0.45:16G,t4:0.45:16G"

"$W" partition "$P/resnet50.txt" --devices "$DEV" >"$T/out" 2>"$T/err"
check '[ $? -eq 0 ]' "partition resnet50 runs: $(cat "$T/err")"
check "grep -q '^model resnet50 (177 layers' '$T/out' && grep -Eq '^bottleneck [0-9.]+ ms per micro-batch .* lower bound [0-9.]+ ms, ratio 1[.][0-9]+' '$T/out'" \
    "the table names the model, the bottleneck and its bound: $(tail -2 "$T/out" | tr '\n' '|')"

# JSON for every shared profile: the stages cover each layer once, on
# distinct devices, within memory, and the ratio to the bound is >= 1
for f in "$P"/*.txt; do
    case "$f" in */LICENSE.txt) continue ;; esac
    "$W" partition "$f" --devices "$DEV" --json >"$T/j" 2>"$T/err" || {
        check false "partition $(basename "$f"): $(cat "$T/err")"
        continue
    }
    check "python3 - '$T/j' '$f' <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
layers = sum(1 for l in open(sys.argv[2]) if l.count(' -- ') >= 2)
st = j['stages']
assert sum(s['layers'] for s in st) == j['layers'] == layers, (j['layers'], layers)
assert len({s['device'] for s in st}) <= len(st)
assert all(s['memory_bytes'] <= 16e9 for s in st)
assert j['ratio'] >= 1 - 1e-9 and j['bottleneck_ms'] >= j['bound_ms'] * (1 - 1e-9)
assert abs(j['bottleneck_ms'] - max(max(s['compute_ms'], s['link_ms']) for s in st)) < 1e-6 * j['bottleneck_ms']
PY" "$(basename "$f"): stages cover the layers, within memory, ratio >= 1: $(head -c 300 "$T/j")"
done

# a Darknet cfg: its layers' work from FLOPs
"$W" partition "$C/yolov3-tiny.cfg" --devices a,b:2 --json >"$T/y" 2>"$T/err"
check "grep -q '\"model\":\"yolov3-tiny\",\"layers\":24,\"devices\":2' '$T/y'" \
    "a Darknet cfg partitions: $(head -c 200 "$T/y") $(cat "$T/err")"

# memory: one small device cannot hold vgg16 (138 M parameters, twice)
expect_fail 3 "no partition fits in memory" -- partition "$P/vgg16.txt" --devices tiny:1:100M
expect_fail 3 "nosuch.txt" -- partition "$T/nosuch.txt" --devices a
expect_fail 2 "--devices: a: speed 'x' is not a number > 0" -- partition "$P/vgg16.txt" --devices a:x
expect_fail 2 "--link: '12Q': BANDWIDTH" -- partition "$P/vgg16.txt" --devices a --link 12Q
expect_fail 2 "partition needs --devices SPEC" -- partition "$P/vgg16.txt"

# bench partition: a row per shared model with a ratio >= 1 on both
# device sets, and the adaptation table's worst window line
"$W" bench partition "$WATTSON_SHARED_DATA" >"$T/b" 2>"$T/err"
check '[ $? -eq 0 ]' "bench partition runs: $(cat "$T/err")"
check "python3 - '$T/b' <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
i = lines.index(next(l for l in lines if l.startswith('model ')))
rows = []
for l in lines[i + 1:]:
    if not l.strip():
        break
    rows.append(l)
assert len(rows) == 15, rows
for r in rows:
    c = r.split()
    assert float(c[4]) >= 1 - 1e-9 and float(c[8]) >= 1 - 1e-9, r
ad = [l for l in lines if l.startswith('adaptive keeps at least')]
assert ad and float(ad[0].split()[4]) > 0, ad
PY" "bench partition: 15 models, ratios >= 1, the adaptation line: $(head -c 400 "$T/b")"
expect_fail 3 "no models under $T" -- bench partition "$T"
finish
