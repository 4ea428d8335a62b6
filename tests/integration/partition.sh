# `wattson partition` (issue 15): a training pipeline for the shared
# PipeDream profiles and a Darknet cfg over heterogeneous devices - a
# table, JSON with stages covering every layer once, the bottleneck never
# under its certified lower bound, the search over every order (down-sets)
# saying the plan is optimal and beating the one-order plan where it can,
# the fallback to one order past the down-sets' cap, a memory cap obeyed
# or refused with its reason, and bad input refused with one line and its
# exit code.
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
check "grep -q '^search: exact over all 242 down-sets (every topological order): the proven optimum' '$T/out'" \
    "the table says the search was over every order: $(tail -1 "$T/out")"

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
# every shared profile's down-sets fit the cap: optimal over every order
assert j['optimal'] is True and j['search'] in ('all-orders', 'chain'), j['search']
assert j['down_sets'] >= j['layers'] + 1
PY" "$(basename "$f"): stages cover the layers, within memory, ratio >= 1, optimal: $(head -c 300 "$T/j")"
done

# over every order beats the default order's plan where the layers allow
# it: resnet50 on these 4 devices was 161.592 ms for the default order
# (ppipe, exact for it), gnmt on 8 devices 13.328 ms
"$W" partition "$P/resnet50.txt" --devices "$DEV" --json >"$T/r" 2>"$T/err"
check "python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j[\"optimal\"] is True and j[\"search\"] == \"all-orders\" and j[\"down_sets\"] == 242 and j[\"bottleneck_ms\"] <= 161.592' '$T/r'" \
    "resnet50: optimal over its 242 down-sets, <= the one-order plan's 161.592 ms: $(tail -c 160 "$T/r") $(cat "$T/err")"
DEV8="a100:2.5:40G,a100:2.5:40G,v100:1:16G,v100:1:16G,v100:1:16G,t4:0.45:16G,t4:0.45:16G,k80:0.2:12G"
"$W" partition "$P/gnmt.txt" --devices "$DEV8" --json >"$T/g" 2>"$T/err"
check "python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j[\"optimal\"] is True and j[\"down_sets\"] == 7874 and j[\"bottleneck_ms\"] < 13.328 * (1 - 1e-3)' '$T/g'" \
    "gnmt on 8 devices: optimal, better than the one-order plan's 13.328 ms: $(tail -c 160 "$T/g") $(cat "$T/err")"
"$W" partition "$P/vgg16.txt" --devices "$DEV" --json >"$T/v" 2>"$T/err"
check "grep -q '\"optimal\":true,\"search\":\"chain\",\"down_sets\":42}' '$T/v'" \
    "vgg16 is a chain: one order, optimal: $(tail -c 120 "$T/v")"

# past the cap of down-sets (22 layers, 20 of them side by side: 2^20 + 2
# down-sets) it says so and solves the default order
{
    echo "node0 -- Input -- forward_compute_time=0.000, backward_compute_time=0.000, activation_size=1000.000, parameter_size=0.000"
    for i in $(seq 1 20); do
        echo "node$i -- Linear -- forward_compute_time=$i.000, backward_compute_time=1.000, activation_size=1000.000, parameter_size=4000.000"
        echo "	node0 -- node$i"
        echo "	node$i -- node21"
    done
    echo "node21 -- Concat -- forward_compute_time=1.000, backward_compute_time=0.000, activation_size=1000.000, parameter_size=0.000"
} >"$T/wide.txt"
"$W" partition "$T/wide.txt" --devices a,b:2 >"$T/w" 2>"$T/err"
check "grep -q '^search: exact for one topological order only (more than 250000 down-sets): not proven optimal' '$T/w'" \
    "a graph past the cap falls back to one order and says so: $(tail -1 "$T/w") $(cat "$T/err")"
"$W" partition "$T/wide.txt" --devices a,b:2 --json >"$T/w" 2>"$T/err"
check "grep -q '\"optimal\":false,\"search\":\"one-order\",\"down_sets\":null}' '$T/w'" \
    "and its JSON: $(tail -c 120 "$T/w")"

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
finish
