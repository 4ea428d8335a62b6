# `wattson plugins` with a lab naming the nvml driver: against the fake
# libnvidia-ml.so.1, and with the default library on this machine (where
# there may or may not be NVML).  Usage: nvml_cli.sh WATTSON FAKELIB
W=${1:?usage: $0 path/to/wattson path/to/fake/libnvidia-ml.so.1}
L=${2:?usage: $0 path/to/wattson path/to/fake/libnvidia-ml.so.1}
case $L in /*) ;; *) L=$(pwd)/$L ;; esac # relative: to the lab's dir
# T, check and finish: the integration scripts' helpers.
. "$(dirname "$0")/../../integration/lib.sh"
unset WATTSON_NVML_LIB WATTSON_PLUGIN_PATH FAKENVML_NOT_SUPPORTED \
    FAKENVML_LOST_AFTER FAKENVML_INIT_FAIL FAKENVML_LOG

cat >"$T/lab.lua" <<LAB
return { tick = "100ms", duration = "1s", budget_w = 100,
  drivers = { { plugin = "nvml", library = "$L" } } }
LAB
FAKENVML_GPUS=2 "$W" plugins --lab "$T/lab.lua" >"$T/out" 2>"$T/err"
rc=$?
check '[ $rc -eq 0 ]' "plugins on the fake: exit $rc ($(cat "$T/err"))"
check 'grep -q "^plugin nvml 1.0 (ABI 1.3, hardware, read-only)" "$T/out"' \
    "nvml is listed as hardware, read-only"
for d in "gpu0 (gpu)" "gpu1 (gpu)"; do
    check 'grep -q "device $d" "$T/out"' "device $d listed"
done
check '[ "$(grep -c "control power_cap" "$T/out")" -eq 2 ]' "two power caps"
check 'grep -q "power_cap *W *min 100 *max 300 " "$T/out"' "gpu0 cap range"
check 'grep -q "power_cap *W *min 100 *max 310 " "$T/out"' "gpu1 cap range"
check '[ "$(grep -c "signal  power  " "$T/out")" -eq 2 ]' "two power signals"
check 'grep -q "gpu1 (Fake GPU 1) die temperature" "$T/out"' "GPU name"
cp "$T/out" "${NVML_CLI_OUT:-/dev/null}" 2>/dev/null

# Processes on the fake GPUs (NVML's per-process accounting, ABI 1.2)
# reach the vGPU engine as tenants: read-only, no share is written.
cat >"$T/lab3.lua" <<LAB
return { tick = "100ms", duration = "3s", budget_w = 0,
  drivers = { { plugin = "nvml", library = "$L" } } }
LAB
FAKENVML_GPUS=2 FAKENVML_PROCS="0:$$:2048:40:20:0:0:c,1:$PPID:1024:25:10:0:0:g" \
    "$W" run --lab "$T/lab3.lua" >"$T/out3" 2>"$T/err3"
rc=$?
check '[ $rc -eq 0 ] && tr , "\n" <"$T/out3" | grep -q "^\"vgpu_tenants\":2$"' \
    "two NVML processes are the engine's tenants: $(tr , '\n' <"$T/out3" | grep vgpu_) $(cat "$T/err3")"
check 'tr , "\n" <"$T/out3" | grep -q "^\"vgpu_util\":0.325"' \
    "their SM use (40 % and 25 % of two GPUs) is the mean utilisation: $(tr , '\n' <"$T/out3" | grep vgpu_util)"

# The default library: this machine's NVML, if any.
cat >"$T/lab2.lua" <<LAB
return { tick = "100ms", duration = "1s", budget_w = 100,
  drivers = { { plugin = "nvml" } } }
LAB
"$W" plugins --lab "$T/lab2.lua" >"$T/out" 2>"$T/err"
rc=$?
if ldconfig -p 2>/dev/null | grep -q "libnvidia-ml.so.1 "; then
    # What NVML must report is what nvidia-smi (the same library) lists:
    # N GPUs, exit 0 and a device line each; none (no driver, no GPU),
    # exit 4 and one line.  Without nvidia-smi it cannot be known here.
    echo "nvml_cli: this machine has libnvidia-ml.so.1: exit $rc" >&2
    if ! command -v nvidia-smi >/dev/null 2>&1; then
        skip "libnvidia-ml.so.1 but no nvidia-smi: the GPUs NVML must find are unknown"
    elif n=$(nvidia-smi -L 2>/dev/null | grep -c "^GPU [0-9]*:") &&
        [ "$n" -gt 0 ]; then
        check '[ $rc -eq 0 ]' "plugins with NVML and $n GPUs: exit $rc ($(cat "$T/err"))"
        check '[ "$(grep -c "^  device gpu[0-9]* (gpu)$" "$T/out")" -eq "$n" ]' \
            "$n GPUs listed: $(grep device "$T/out")"
    else
        check '[ $rc -eq 4 ]' "plugins with NVML, no GPU: exit $rc, expected 4"
        check '[ "$(wc -l <"$T/err")" -eq 1 ]' "one line: $(cat "$T/err")"
        check 'grep -Eq "nvml: (nvmlInit failed|nvmlDeviceGetCount failed|no NVIDIA GPU)" "$T/err"' \
            "message: $(cat "$T/err")"
        check '[ ! -s "$T/out" ]' "nothing on stdout"
    fi
else
    check '[ $rc -eq 4 ]' "plugins without NVML: exit $rc, expected 4"
    check '[ "$(wc -l <"$T/err")" -eq 1 ]' "one line: $(cat "$T/err")"
    check 'grep -q "nvml: cannot load libnvidia-ml.so.1 (" "$T/err"' \
        "message: $(cat "$T/err")"
    check '[ ! -s "$T/out" ]' "nothing on stdout"
fi

finish
