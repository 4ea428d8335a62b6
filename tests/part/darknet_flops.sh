#!/bin/sh
# darknet_flops - the Darknet cfg reader (console/part/dncfg.c) against
# Darknet itself (issue 15): `darknet ops CFG` (Debian's darknet,
# 0.0.0+git20180914) parses the cfg without weights and prints a row per
# layer, with each convolutional layer's output shape and BFLOPs (2 x
# multiply-adds / 1e9, 3 decimals) and each maxpool's and connected
# layer's output, then "Floating Point Operations: N", the exact sum over
# convolutional and connected layers.  For every shared cfg each such row
# must match dncfg's layer of the same index (kind, shape, BFLOPs within
# the printed 0.0005) and the total must be equal.  SKIP (77) when darknet
# is not installed or the shared data is not there.
. "$(dirname "$0")/../integration/lib.sh"
DATA=${WATTSON_SHARED_DATA:?}/darknet-cfg
command -v darknet >/dev/null 2>&1 ||
    skip_all "darknet not installed (Debian package darknet, scripts/deps.sh)"
[ -d "$DATA" ] || skip_all "$DATA: no shared cfgs"

for net in alexnet darknet53 densenet201 resnet18 resnet50 vgg-16 \
    yolov3-tiny; do
    cfg=$DATA/$net.cfg
    # in $T: darknet may write beside itself; "x1000" splits into "x 1000"
    if ! (cd "$T" && darknet ops "$cfg") >"$T/dn.raw" 2>&1; then
        fail "darknet ops $net.cfg failed: $(tail -n 3 "$T/dn.raw")"
        continue
    fi
    sed -E 's/x([0-9])/x \1/g' "$T/dn.raw" >"$T/dn"
    if ! "$W" "$cfg" >"$T/us" 2>"$T/err"; then
        fail "dncfg refused $net.cfg: $(cat "$T/err")"
        continue
    fi
    if awk -v net="$net" '
        function arrow(   i) { for (i = 1; i <= NF; i++) if ($i == "->") return i; return 0 }
        function bad(msg) { print "FAIL: " net ": " msg > "/dev/stderr"; nbad++ }
        FNR == NR {
            if ($1 == "total") ours = $2
            else { kind[$1] = $2; w[$1] = $3; h[$1] = $4; c[$1] = $5; fl[$1] = $6
                   if ($2 == "convolutional") nconv++ }
            next
        }
        /^Floating Point Operations: [0-9]+$/ { theirs = $4; next }
        $1 ~ /^[0-9]+$/ && ($2 == "conv" || $2 == "max" || $2 == "connected") {
            i = $1; a = arrow()
            want = $2 == "conv" ? "convolutional" : $2 == "max" ? "maxpool" : "connected"
            if (kind[i] != want) { bad("layer " i " is " kind[i] ", darknet has " $2); next }
            if ($2 == "connected") {
                if (c[i] != $(a + 1)) bad("layer " i " outputs " c[i] ", darknet " $(a + 1))
                next
            }
            if (w[i] != $(a + 1) || h[i] != $(a + 3) || c[i] != $(a + 5))
                bad("layer " i " is " w[i] "x" h[i] "x" c[i] ", darknet " $(a + 1) "x" $(a + 3) "x" $(a + 5))
            if ($2 == "conv") {
                seen++
                d = fl[i] / 1e9 - $(a + 6)
                if (d < -0.0005 || d > 0.0005)
                    bad(sprintf("layer %d: %.4f BFLOPs, darknet %s", i, fl[i] / 1e9, $(a + 6)))
            }
        }
        END {
            if (theirs == "") bad("no total in darknet'"'"'s output")
            else if (ours != theirs) bad("total " ours " FLOPs, darknet " theirs)
            if (seen != nconv) bad(seen " conv rows from darknet, dncfg has " nconv)
            printf "%s: %d conv layers; total %.3f BFLOPs darknet, %.3f dncfg\n",
                net, seen, theirs / 1e9, ours / 1e9 > "/dev/stderr"
            exit nbad > 0
        }' "$T/us" "$T/dn"; then
        ok
    else
        fail "$net.cfg: dncfg and darknet disagree (above)"
    fi
done
finish
