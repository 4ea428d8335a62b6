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

# --method split: inference over user, edge and cloud.  Every shared
# profile: the min-cut's latency is at most all-local's, all-remote's and
# the chain scan's, its tiers hold every layer once, and the critical path
# (branches side by side) is at most the sum.
TIERS="phone:0.1,edge:1,cloud:4"
for f in "$P"/*.txt; do
    case "$f" in */LICENSE.txt) continue ;; esac
    "$W" partition "$f" --method split --devices "$TIERS" \
        --link 10M/20ms,1G/5ms --json >"$T/s" 2>"$T/err" || {
        check false "split $(basename "$f"): $(cat "$T/err")"
        continue
    }
    check "python3 - '$T/s' '$f' <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
layers = sum(1 for l in open(sys.argv[2]) if l.count(' -- ') >= 2)
assert j['method'] == 'split' and j['layers'] == layers
names = [n for t in j['tiers'] for n in t['names']]
assert len(names) == len(set(names)) == layers
assert [t['layers'] for t in j['tiers']] == [len(t['names']) for t in j['tiers']]
best = j['total_ms']
for k in ('scan', 'all_local', 'all_remote'):
    assert best <= j[k]['total_ms'] * (1 + 1e-9), (k, best, j[k])
assert 0 < j['critical_ms'] <= best * (1 + 1e-9)
assert abs(j['scale'] - 1) < 1e-12 and j['complexity'] == 50
PY" "split $(basename "$f"): min-cut <= all-local, all-remote, scan: $(head -c 300 "$T/s")"
done

"$W" partition "$P/resnet18.txt" --method split --devices "$TIERS" \
    --link 10M/20ms,1G/5ms >"$T/out" 2>"$T/err"
check "grep -Eq '^min-cut +[0-9.]+ +[0-9.]+ +[0-9]+/[0-9]+/[0-9]+$' '$T/out' && grep -q '^all remote ' '$T/out' && grep -Eq '^critical path [0-9.]+ ms through [0-9]+ layers' '$T/out'" \
    "the split table: plans and the critical path: $(tail -6 "$T/out" | tr '\n' '|') $(cat "$T/err")"

# higher complexity pushes layers remote: squeezenet at 100 MB/s runs
# all on the phone at complexity 0 and mostly remote at 100
remote() { python3 -c "import json,sys; j=json.load(sys.stdin); print(sum(t['layers'] for t in j['tiers'][1:]))"; }
lo=$("$W" partition "$P/squeezenet1_0.txt" --method split --devices "$TIERS" \
    --link 100M/20ms,1G/5ms --complexity 0 --json | remote)
hi=$("$W" partition "$P/squeezenet1_0.txt" --method split --devices "$TIERS" \
    --link 100M/20ms,1G/5ms --complexity 100 --json | remote)
check "[ '$lo' = 0 ] && [ '${hi:-0}' -gt 30 ]" \
    "complexity 0 -> $lo remote layers, 100 -> $hi (squeezenet, 100 MB/s)"

# the same from real photos (Debian's darknet): a kite in the sky keeps
# vgg-16 on the phone at 1 GB/s, a giraffe in grass sends most of it out
D=/usr/share/darknet/data
if [ -r "$D/kite.jpg" ] && [ -r "$D/giraffe.jpg" ]; then
    lo=$("$W" partition "$C/vgg-16.cfg" --method split --devices "$TIERS" \
        --link 1G/20ms,1G/5ms --input "$D/kite.jpg" --json | remote)
    hi=$("$W" partition "$C/vgg-16.cfg" --method split --devices "$TIERS" \
        --link 1G/20ms,1G/5ms --input "$D/giraffe.jpg" --json | remote)
    check "[ '$lo' = 0 ] && [ '${hi:-0}' -gt 10 ]" \
        "kite.jpg -> $lo remote layers, giraffe.jpg -> $hi (vgg-16, 1 GB/s)"
    head -c 30000 "$D/dog.jpg" >"$T/short.jpg"
    expect_fail 3 "short.jpg: JPEG: Premature end of JPEG file" -- partition \
        "$C/vgg-16.cfg" --method split --devices "$TIERS" --input "$T/short.jpg"
else
    skip "no photos in $D (Debian's darknet package)"
fi
expect_fail 3 "vgg16.txt: not a JPEG or PNG image" -- partition "$P/vgg16.txt" \
    --method split --devices "$TIERS" --input "$P/vgg16.txt"
expect_fail 2 "--link: 3 links for 3 devices" -- partition "$P/vgg16.txt" \
    --method split --devices "$TIERS" --link 1M,2M,3M
expect_fail 2 "--method split needs 2 to 8 --devices" -- partition \
    "$P/vgg16.txt" --method split --devices phone
expect_fail 2 "--devices: phone: --method split takes NAME\[:SPEED\]" -- \
    partition "$P/vgg16.txt" --method split --devices phone:1:4G,edge
expect_fail 2 "--complexity: '101': a score 0-100" -- partition "$P/vgg16.txt" \
    --method split --devices "$TIERS" --complexity 101
expect_fail 2 "--complexity: '60/50'" -- partition "$P/vgg16.txt" \
    --method split --devices "$TIERS" --complexity 60/50
expect_fail 2 "--input and --complexity: one or the other" -- partition \
    "$P/vgg16.txt" --method split --devices "$TIERS" --complexity 5 --input x.jpg
expect_fail 2 "--input and --complexity go with --method split" -- partition \
    "$P/vgg16.txt" --devices "$TIERS" --complexity 5
expect_fail 2 "--link: a list is for --method split" -- partition \
    "$P/vgg16.txt" --devices "$TIERS" --link 1G,2G
expect_fail 2 "--method: 'foo' is not pipeline or split" -- partition \
    "$P/vgg16.txt" --devices "$TIERS" --method foo
finish
