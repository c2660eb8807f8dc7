#!/bin/bash
# tests/check_docs.sh LIB: the documentation agrees with the code.
#   - every option of include/leakgraph/options.def appears in man/leakgraph.1 under both
#     spellings (name for LEAKGRAPH_OPTIONS, --name-with-dashes for the command);
#   - the OPTIONS section of man/leakgraph.1 lists them in options.def order;
#   - the symbols LIB exports (nm -D --defined-only, text and weak) are exactly the
#     allow-list of src/exports.map (globs such as leakgraph_* expanded by matching), and
#     every exported leakgraph_* function is documented in man/libleakgraph.3;
#   - every subcommand that `leakgraph --help` lists is documented in man/leakgraph.1;
#   - every section tag, root kind and heuristic of include/leakgraph/format.h is named in
#     man/leakgraph-snapshot.5;
#   - the man pages format without groff warnings (when groff is installed).
# The leakgraph command is taken from $LG_TOOL, else from next to LIB.
# Output: "ok NAME" or "FAIL NAME: reason" per check, then "N passed, M failed".
# Exit status 1 if any check failed, 2 on a usage error.
set -u
export LC_ALL=C

if [ $# -ne 1 ] || [ ! -f "$1" ]; then
    echo "usage: $0 path/to/libleakgraph.so" >&2
    exit 2
fi
LIB=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEF=$ROOT/include/leakgraph/options.def
MAP=$ROOT/src/exports.map
FMT=$ROOT/include/leakgraph/format.h
MAN1=$ROOT/man/leakgraph.1
MAN3=$ROOT/man/libleakgraph.3
MAN5=$ROOT/man/leakgraph-snapshot.5
TOOL=${LG_TOOL:-$(dirname "$LIB")/leakgraph}

passed=0
failed=0
ok() { echo "ok $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

# roff source -> plain words: \- to -, drop font changes and zero-width escapes.
plain() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' -e 's/\\&//g' -e 's/\\(em/ /g' "$1"; }
# The lines of a man page's section NAME (from ".SH NAME" to the next ".SH").
section() { plain "$1" | awk -v s="$2" '/^\.SH/ { sub(/^\.SH[ \t]+/, ""); gsub(/"/, ""); on = ($0 == s); next } on'; }

for f in "$DEF" "$MAP" "$FMT" "$MAN1" "$MAN3" "$MAN5"; do
    [ -f "$f" ] || { bad "file-exists" "$f is missing"; }
done

# ---- options: both spellings -------------------------------------------------------
mapfile -t OPTS < <(sed -n 's/^LG_OPTION([A-Z]*, *\([a-z_0-9]*\),.*/\1/p' "$DEF")
if [ ${#OPTS[@]} -eq 0 ]; then
    bad "options-parsed" "no LG_OPTION lines found in $DEF"
fi
MANTXT=$(plain "$MAN1" 2>/dev/null)
for o in "${OPTS[@]}"; do
    dashed=--${o//_/-}
    miss=""
    grep -qE -- "(^|[^a-z_0-9-])${o}([^a-z_0-9]|$)" <<<"$MANTXT" || miss="$miss '$o'"
    grep -qE -- "(^|[^a-z_0-9-])${dashed}([^a-z0-9-]|$)" <<<"$MANTXT" || miss="$miss '$dashed'"
    if [ -z "$miss" ]; then ok "option $o"; else bad "option $o" "man/leakgraph.1 lacks$miss"; fi
done

# ---- options: order of the OPTIONS section ------------------------------------------
# The first --flag of every tag line (the line after .TP) that names an options.def
# option, first occurrence only, must follow options.def.
seen=$(section "$MAN1" OPTIONS | awk 'tp { print; tp = 0; next } /^\.TP/ { tp = 1 }' |
    grep -oE -- '--[a-z][a-z0-9-]*' | head -n 1000 | tr - _ | sed 's/^__//' |
    awk -v list="${OPTS[*]}" 'BEGIN { n = split(list, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
        want[$0] && !dup[$0]++')
want=$(printf '%s\n' "${OPTS[@]}")
if [ -z "$seen" ]; then
    bad "options-order" "no options.def option found on a .TP tag line of the OPTIONS section"
elif [ "$seen" = "$want" ]; then
    ok "options-order"
else
    bad "options-order" "OPTIONS section order: $(echo $seen); options.def: $(echo $want)"
fi

# ---- exported symbols --------------------------------------------------------------
mapfile -t ALLOW < <(sed -e 's:/\*.*\*/::g' -e '/^[[:space:]]*\/\*/,/\*\//d' "$MAP" |
    awk '/global:/ { on = 1; sub(/.*global:/, "") } /local:/ { on = 0 } on' |
    tr ';' '\n' | tr -d ' \t{}' | grep -v '^$')
if ! command -v nm >/dev/null; then
    bad "exports" "nm not found (binutils)"
else
    mapfile -t SYMS < <(nm -D --defined-only "$LIB" | awk '$2 ~ /^[TtWwiV]$/ { sub(/@.*/, "", $3); print $3 }' | sort -u)
    extra=""
    for s in "${SYMS[@]}"; do
        m=0
        for a in "${ALLOW[@]}"; do
            # shellcheck disable=SC2053  # $a is a glob on purpose
            [[ $s == $a ]] && { m=1; break; }
        done
        [ $m = 1 ] || extra="$extra $s"
    done
    missing=""
    for a in "${ALLOW[@]}"; do
        m=0
        for s in "${SYMS[@]}"; do
            # shellcheck disable=SC2053
            [[ $s == $a ]] && { m=1; break; }
        done
        [ $m = 1 ] || missing="$missing $a"
    done
    if [ -z "$extra" ] && [ -z "$missing" ]; then
        ok "exports (${#SYMS[@]} symbols)"
    else
        bad "exports" "${extra:+exported but not in src/exports.map:$extra; }${missing:+in src/exports.map but not exported:$missing}"
    fi
    API=$(printf '%s\n' "${SYMS[@]}" | grep '^leakgraph_' || true)
    MAN3TXT=$(plain "$MAN3" 2>/dev/null)
    for s in $API; do
        if grep -qE "(^|[^a-z_])${s}([^a-z_0-9]|$)" <<<"$MAN3TXT"; then
            ok "api $s documented"
        else
            bad "api $s documented" "man/libleakgraph.3 does not mention $s"
        fi
    done
fi

# ---- subcommands -------------------------------------------------------------------
if [ ! -x "$TOOL" ]; then
    bad "subcommands" "no leakgraph command at $TOOL (set LG_TOOL)"
else
    mapfile -t CMDS < <("$TOOL" --help 2>&1 |
        awk '/^Commands:/ { on = 1; next } on && /^[[:space:]]*$/ { exit } on { print $1 }')
    if [ ${#CMDS[@]} -eq 0 ]; then
        bad "subcommands" "'$TOOL --help' lists no commands"
    fi
    CMDTXT=$(section "$MAN1" COMMANDS)
    SYNTXT=$(section "$MAN1" SYNOPSIS)
    for c in "${CMDS[@]}"; do
        miss=""
        grep -qE "leakgraph[[:space:]]+${c}([^a-z]|$)" <<<"$CMDTXT" || miss="$miss COMMANDS"
        grep -qE "leakgraph[[:space:]]+${c}([^a-z]|$)" <<<"$SYNTXT" || miss="$miss SYNOPSIS"
        if [ -z "$miss" ]; then ok "subcommand $c"; else bad "subcommand $c" "not in man/leakgraph.1 section(s)$miss"; fi
    done
fi

# ---- snapshot format names ---------------------------------------------------------
MAN5TXT=$(plain "$MAN5" 2>/dev/null)
miss=""
for n in $(grep -oE '\b(LG_SEC_[A-Z_]+|LG_ROOT_[A-Z_]+|LG_HEUR_[A-Z_]+|lg_snap_[a-z_]+)\b' "$FMT" | sort -u); do
    case $n in lg_snap_tag | lg_snap_reason | lg_snap_module_flags | lg_snap_thread_flags | lg_snap_root_kind | lg_snap_heuristic | lg_snap_end_flags) continue ;; esac
    grep -qE "(^|[^A-Za-z_])${n}([^A-Za-z_]|$)" <<<"$MAN5TXT" || miss="$miss $n"
done
if [ -z "$miss" ]; then ok "snapshot format names"; else bad "snapshot format names" "man/leakgraph-snapshot.5 lacks$miss"; fi

# ---- formatting --------------------------------------------------------------------
if command -v groff >/dev/null; then
    for m in "$MAN1" "$MAN3" "$MAN5"; do
        [ -f "$m" ] || continue
        w=$(groff -t -man -Tutf8 -ww -z "$m" 2>&1)
        if [ -z "$w" ]; then ok "groff $(basename "$m")"; else bad "groff $(basename "$m")" "$(echo "$w" | head -3 | tr '\n' ' ')"; fi
    done
else
    echo "# groff not installed: formatting not checked"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
