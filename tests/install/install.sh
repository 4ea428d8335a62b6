#!/bin/sh
# install.sh SRC CC - the installable SDK, as a user gets it.
#
# A plain Release build of SRC (CMake's defaults: no -Werror, no
# sanitizers) installed into a temporary prefix; then, with the build tree
# deleted, the prefix moved elsewhere, another working directory and no
# WATTSON_* variable set, the installed wattson must find its plugins,
# the embedded lab's trace, the shipped labs and policies relative to
# itself, hold no path of the source tree, the build tree or the prefix
# it was configured with, and load a driver built out of tree from the
# installed template with `pkg-config --cflags wattson-plugin`.
SRC=${1:?usage: $0 SOURCE_DIR C_COMPILER}
CC=${2:?usage: $0 SOURCE_DIR C_COMPILER}
umask 022 # a group-writable plugin would be refused when run as root
T=$(mktemp -d /tmp/wattson-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
B=$T/build
P=$T/prefix
start=$(date +%s)
fails=0
checks=0
ok() { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*" >&2; }
check() { if eval "$1"; then ok; else fail "$2"; fi; }
die() {
    echo "FAIL: $1" >&2
    [ -f "$2" ] && tail -n 40 "$2" >&2
    exit 1
}

# ---- configure, build what install needs, install ----------------------
cmake -S "$SRC" -B "$B" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER="$CC" -DCMAKE_INSTALL_PREFIX="$P" \
    -DWATTSON_TESTS=OFF >"$T/configure.log" 2>&1 ||
    die "configure" "$T/configure.log"
# A user's Release build: the dev build's flags are off by default.
check 'grep -q "\"command\"" "$B/compile_commands.json"' \
    "compile_commands.json lists the compilations"
check '! grep -q -e "-Werror" -e "-fsanitize" "$B/compile_commands.json"' \
    "a plain Release build has no -Werror and no sanitizers"
cmake --build "$B" --target wattson_installables -j 2 >"$T/build.log" 2>&1 ||
    die "build" "$T/build.log"
cmake --install "$B" >"$T/install.log" 2>&1 || die "install" "$T/install.log"
built=$(date +%s)
echo "install: configure, build and install took $((built - start)) s" >&2

for f in bin/wattson lib/wattson/sim.so lib/wattson/cpufreq.so \
    include/wattson/plugin.h include/wattson/vgpu.h \
    include/wattson/ipcwire.h lib/libwattson-ipc.so \
    libexec/wattson/wattson-ipcload \
    lib/libwattson-vgpu.so share/pkgconfig/wattson-plugin.pc \
    share/wattson/policies/balanced.lua share/wattson/labs/default.lua \
    share/wattson/labs/traces/kenj-pc-1.csv \
    share/wattson/labs/bench/bursty.lua share/wattson/template/template.c; do
    check "[ -f '$P/$f' ]" "installed $f"
done

# No path of this machine in what was installed: the source tree, the
# build tree (its plugin directory) and the configured prefix (the binary
# finds its files relative to itself).  The entry symbol's name shows
# that grep reads these binaries at all.
check 'grep -a -q wattson_plugin_entry "$P/bin/wattson"' \
    "grep finds a known string in the binary"
for f in "$P/bin/wattson" "$P"/lib/wattson/*.so; do
    for d in "$SRC" "$B" "$P"; do
        check "! grep -a -q -F '$d' '$f'" "${f#"$P"/} holds the path $d"
    done
done

# ---- the installed binary on its own -----------------------------------
rm -rf "$B"
mv "$P" "$T/moved"
P=$T/moved
mkdir "$T/elsewhere"
cd "$T/elsewhere" || exit 1
# Only what a user's shell would have: no WATTSON_* (nor ASan options).
w() { env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$T" "$P/bin/wattson" "$@"; }

w --version >"$T/ver" 2>&1
check '[ $? -eq 0 ] && grep -q "^wattson [0-9]" "$T/ver"' \
    "--version runs: $(cat "$T/ver")"
check '! grep -q "debug build" "$T/ver"' "a Release build: $(cat "$T/ver")"

w plugins >"$T/plugins" 2>"$T/err"
check '[ $? -eq 0 ]' "plugins exits 0: $(cat "$T/err")"
check 'grep -q "^plugin sim" "$T/plugins"' "plugins lists sim"
check 'grep -q "^  file $P/lib/wattson/sim.so\$" "$T/plugins"' \
    "sim.so from the moved prefix: $(grep '^  file' "$T/plugins")"

# The default lab's trace is relative to the labs directory.
w run --duration 1s >"$T/sum" 2>"$T/err"
check '[ $? -eq 0 ]' "run --duration 1s exits 0: $(cat "$T/err")"
check 'grep -q "\"ticks\":100," "$T/sum"' "100 ticks in 1 s: $(head -c 200 "$T/sum")"

w bench broker --duration 1s --scenario bursty >"$T/bb" 2>"$T/err"
check '[ $? -eq 0 ] && grep -q "^scenario bursty" "$T/bb" && grep -q "^perfect-forecast" "$T/bb"' \
    "bench broker finds share/wattson/labs/bench: $(cat "$T/err")"
w bench policy16 >"$T/bp" 2>"$T/err"
check 'grep -q "policy $P/share/wattson/policies/balanced.lua" "$T/bp"' \
    "bench policy16 uses the shipped balanced.lua: $(head -n 1 "$T/bp") $(cat "$T/err")"

# A missing driver: the only own directory searched is the prefix's.
printf 'return { drivers = { { plugin = "nosuch" } } }\n' >"$T/nosuch.lua"
w plugins --lab "$T/nosuch.lua" >/dev/null 2>"$T/err"
check 'grep -q "$P/lib/wattson" "$T/err"' \
    "the search path names the prefix: $(cat "$T/err")"
check '! grep -q -F "$SRC" "$T/err"' "the search path names no source path"

# ---- a driver built out of tree against the installed SDK --------------
export PKG_CONFIG_PATH="$P/share/pkgconfig"
cflags=$(pkg-config --cflags wattson-plugin)
check '[ $? -eq 0 ] && [ -n "$cflags" ]' "pkg-config --cflags wattson-plugin"
inc=$(pkg-config --variable=includedir wattson-plugin)
check '[ "$(cd "$inc" && pwd -P)" = "$(cd "$P/include" && pwd -P)" ]' \
    "includedir is the prefix's: $inc"
plugindir=$(pkg-config --variable=plugindir wattson-plugin)
check '[ "$(cd "$plugindir" && pwd -P)" = "$(cd "$P/lib/wattson" && pwd -P)" ]' \
    "plugindir is the prefix's: $plugindir"
tdir=$(pkg-config --variable=templatedir wattson-plugin)
check '[ "$(pkg-config --variable=abi wattson-plugin)" = 1.3 ]' "abi 1.3"
mkdir "$T/mydrv"
cp "$tdir/template.c" "$T/mydrv/template.c" || fail "copy the template"
# shellcheck disable=SC2086 # cflags is a list of flags
"$CC" -std=c11 -Wall -Wextra -shared -fPIC -fvisibility=hidden $cflags \
    -o "$T/mydrv/template.so" "$T/mydrv/template.c" -lm 2>"$T/cc.log"
check '[ $? -eq 0 ] && [ -f "$T/mydrv/template.so" ]' \
    "the template builds out of tree: $(cat "$T/cc.log")"
check '[ ! -s "$T/cc.log" ]' "without warnings: $(cat "$T/cc.log")"

# A vGPU API client built against the installed header and library alone.
cat >"$T/mydrv/vgc.c" <<'C'
#include <wattson/vgpu.h>
int main(void) { return wvg_connect("/nonexistent/s") == 0 && wvg_type_find("power") == WVG_POWER ? 0 : 1; }
C
# shellcheck disable=SC2086 # cflags is a list of flags
"$CC" -std=c11 -Wall -Wextra $cflags -o "$T/mydrv/vgc" "$T/mydrv/vgc.c" \
    -L"$P/lib" -lwattson-vgpu -Wl,-rpath,"$P/lib" 2>"$T/vgc.log"
check '[ $? -eq 0 ] && "$T/mydrv/vgc"' "a libwattson-vgpu client builds and runs: $(cat "$T/vgc.log")"

# The fake powercap zone of the template's README.
mkdir "$T/zone"
echo 45000 >"$T/zone/temp1_input"
echo 0 >"$T/zone/energy_uj"
echo 262143328850 >"$T/zone/max_energy_range_uj"
echo 95000000 >"$T/zone/constraint_0_power_limit_uw"
echo 150000000 >"$T/zone/constraint_0_max_power_uw"
cat >"$T/zone.lua" <<LAB
return { name = "zone", drivers = {
  { plugin = "template", root = "$T/zone", device = "pkg0" } } }
LAB
w plugins --lab "$T/zone.lua" --plugin-dir "$T/mydrv" >"$T/tp" 2>"$T/err"
check '[ $? -eq 0 ]' "plugins --lab zone.lua --plugin-dir exits 0: $(cat "$T/err")"
check 'grep -q "^plugin template" "$T/tp" && grep -q "^  file $T/mydrv/template.so\$" "$T/tp"' \
    "the out-of-tree template is loaded from --plugin-dir: $(cat "$T/tp")"
check 'grep -q "device pkg0" "$T/tp" && grep -q "control power_cap" "$T/tp"' \
    "its device and control are listed"
# Installed into plugindir, it is found without --plugin-dir.
cp "$T/mydrv/template.so" "$plugindir/" || fail "copy into plugindir"
w plugins --lab "$T/zone.lua" >"$T/tp2" 2>"$T/err"
check 'grep -q "^  file $P/lib/wattson/template.so\$" "$T/tp2"' \
    "the template found in plugindir: $(cat "$T/tp2") $(cat "$T/err")"

echo "install.sh: $checks checks, $fails failed, $(($(date +%s) - start)) s" >&2
[ "$checks" -gt 0 ] && [ "$fails" -eq 0 ]
