# run --explain-config: the start-up block names the dirty tracking in use, userfaultfd
# when the kernel allows it, and the fallback (store hooks in an instrumented build, else
# full rescans) with the reason when seccomp refuses userfaultfd; the first collection
# confirms the method.
explain_run() { # TAG ARGS...: runs `leakgraph run --explain-config ARGS`, must exit 0
    local d=$WORK/explain_config tag=$1
    shift
    mkdir -p "$d"
    lg_exec "$d" "$tag" 60 "$LG_TOOL" run --explain-config --report=0 "$@"
    [ "$(cat "$d/$tag.rc")" = 0 ] || { echo "$tag: exit $(cat "$d/$tag.rc"): $(lg_tail "$d/$tag.err")"; return 1; }
}
explain_has() { # TAG TEXT: the traced program's block (the last one) has a line with TEXT
    local f=$WORK/explain_config/$1.err
    sed -n '/explain_config: pid/h; /explain_config: pid/!H; ${x;p}' "$f" | grep -qF -- "$2" ||
        { echo "$1: no line with '$2': $(grep -F '  ' "$f" | tr '\n' '|' | cut -c1-600)"; return 1; }
}

t_explain_config_uffd() {
    explain_run uffd --collect-every=20000 -- "$LG_PROGS/many_small" || return 1
    if grep -q 'userfaultfd WP_ASYNC: available' "$WORK/explain_config/uffd.err"; then
        explain_has uffd 'dirty tracking: userfaultfd write-protect (WP_ASYNC + PAGEMAP_SCAN)' || return 1
        explain_has uffd 'collections: incremental with dirty tracking by userfaultfd write-protect' || return 1
    else # a kernel or sandbox without it: the block must say why and fall back
        explain_has uffd 'userfaultfd WP_ASYNC: refused: ' || return 1
        explain_has uffd 'dirty tracking: full rescans' || return 1
    fi
    explain_has uffd 'soft-dirty page bits: ' || return 1
    explain_has uffd 'store hooks: none imported' || return 1
    explain_has uffd 'collections: every 20000 allocations' || return 1
    explain_has uffd 'unwinding: libunwind (DWARF CFI), 30 frames' || return 1
    explain_has uffd 'frees: batched, up to 64 per thread (free_batch), drained at every stop' || return 1
}
t_explain_config_refused_hooks() {
    explain_run refused_hooks -- "$LG_PROGS/no_uffd" "$LG_PROGS/collect_api-gcc" || return 1
    explain_has refused_hooks 'userfaultfd WP_ASYNC: refused: userfaultfd not permitted' || return 1
    explain_has refused_hooks 'dirty tracking: store hooks and the interposed memcpy family (userfaultfd refused)' || return 1
    explain_has refused_hooks 'store hooks: imported by the program (gcc hooks, LEAKGRAPH_STORE)' || return 1
    explain_has refused_hooks 'collections: incremental with dirty tracking by store hooks' || return 1
}
t_explain_config_refused_full() {
    explain_run refused_full --fast-unwind --collect-every=20000 -- "$LG_PROGS/no_uffd" "$LG_PROGS/many_small" || return 1
    explain_has refused_full 'userfaultfd WP_ASYNC: refused: userfaultfd not permitted' || return 1
    explain_has refused_full 'dirty tracking: full rescans (userfaultfd refused, no store hooks)' || return 1
    explain_has refused_full 'collections: every 20000 allocations' || return 1
    explain_has refused_full 'unwinding: frame pointers (fast_unwind=1)' || return 1
    explain_has refused_full 'collections: incremental with dirty tracking by full rescans' || return 1
}
t_explain_config_off() { # without the option: not a line of it
    local d=$WORK/explain_config
    mkdir -p "$d"
    lg_exec "$d" off 60 "$LG_TOOL" run --report=0 -- "$LG_PROGS/collect_api"
    ! grep -q 'explain_config\|dirty tracking' "$d/off.err" || { echo "printed without the option: $(lg_tail "$d/off.err")"; return 1; }
}
queue explain_config_uffd t_explain_config_uffd
queue explain_config_refused_hooks t_explain_config_refused_hooks
queue explain_config_refused_full t_explain_config_refused_full
queue explain_config_off t_explain_config_off
