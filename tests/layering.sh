# The layering rule (docs/ARCHITECTURE.md, "Layering"): which folder of
# console/ may include headers of which other folder, and that drivers
# and plugins never include the console's.  A new include that breaks it
# fails here, naming the file, the line and the rule.  Reads the source
# tree only: no build needed.
SRC=${WATTSON_SOURCE_DIR:?}
fails=0
checks=0

# allowed FOLDER: the folders (besides itself) whose headers it may
# include.  Lower layers first; nothing may include a later line's folder
# unless listed.  wattson/ is plugins/include (the ABI), loader/ the
# plugin loader.
allowed() {
    case $1 in
    core) echo "wattson loader" ;;
    part) echo "core wattson" ;;
    engines) echo "core part wattson" ;;
    policies) echo "core part engines wattson" ;;
    pipeline) echo "core part engines policies loader wattson" ;;
    lua) echo "core part engines policies wattson" ;;
    run) echo "core part engines pipeline policies lua loader wattson" ;;
    tui) echo "core part engines pipeline policies lua run wattson" ;;
    cmd) echo "core part engines pipeline policies lua run tui loader wattson sim mesh" ;;
    tools) echo "core" ;;
    *) echo "?" ;;
    esac
}

for f in "$SRC"/console/*/*.[ch]; do
    dir=$(basename "$(dirname "$f")")
    ok_dirs=$(allowed "$dir")
    if [ "$ok_dirs" = "?" ]; then
        checks=$((checks + 1)); fails=$((fails + 1))
        echo "FAIL: console/$dir/ has no layering rule (tests/layering.sh, docs/ARCHITECTURE.md)" >&2
        continue
    fi
    grep -n '^#include "[a-z_]*/' "$f" | while IFS= read -r line; do
        n=${line%%:*}
        to=$(echo "$line" | sed 's/^[0-9]*:#include "\([a-z_]*\)\/.*/\1/')
        [ "$to" = "$dir" ] && continue
        case " $ok_dirs " in
        *" $to "*) ;;
        *) echo "FAIL: ${f#$SRC/}:$n: console/$dir/ may not include $to/ (allowed: $ok_dirs)" ;;
        esac
    done
done >"${TMPDIR:-/tmp}/layering.$$" 2>&1
n=$(grep -c '^FAIL' "${TMPDIR:-/tmp}/layering.$$")
cat "${TMPDIR:-/tmp}/layering.$$" >&2
rm -f "${TMPDIR:-/tmp}/layering.$$"
checks=$((checks + 1))
[ "$n" -eq 0 ] || fails=$((fails + 1))

# Drivers and plugins build against the ABI header only (and drivers
# against drivers/common): never the console's headers.
bad=$(grep -rn '^#include "\(core\|pipeline\|engines\|policies\|lua\|run\|tui\|cmd\|headless\)/' \
    "$SRC"/drivers "$SRC"/plugins 2>/dev/null)
checks=$((checks + 1))
if [ -n "$bad" ]; then
    fails=$((fails + 1))
    echo "FAIL: a driver or plugin includes a console header:" >&2
    echo "$bad" >&2
fi

# The rule must itself have no cycle: a folder listed as allowed for
# another must not list that one back.
for a in core engines policies pipeline lua run tui cmd; do
    for b in $(allowed $a); do
        checks=$((checks + 1))
        case " $(allowed "$b") " in
        *" $a "*)
            fails=$((fails + 1))
            echo "FAIL: layering rule cycle: $a <-> $b" >&2
            ;;
        esac
    done
done

echo "layering.sh: $checks checks, $fails failed" >&2
[ "$fails" -eq 0 ]
