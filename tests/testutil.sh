# tests/testutil.sh — what the shell tests of bad input share (sourced, bash):
# $tmp (removed at exit, every tmpfs mounted by mount_tmpfs unmounted first),
# fail MESSAGE, expect CODE PATTERN COMMAND..., mount_tmpfs DIR SIZE, finish NAME;
# and for experiments: holds WHAT A OP B, csv_col FILE GENERATION COLUMN.
tmp=$(mktemp -d)
mounts=()
checks=0
fails=0
testutil_cleanup() {
    for m in "${mounts[@]}"; do mountpoint -q "$m" && umount "$m"; done
    rm -rf "$tmp"
}
trap testutil_cleanup EXIT

fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# expect CODE PATTERN COMMAND...: the exit code, and PATTERN (when not empty) on
# stderr. A command that blocks is stopped after $expect_timeout s (exit 124).
expect_timeout=120
expect() {
    local code=$1 pattern=$2
    shift 2
    checks=$((checks + 1))
    timeout "$expect_timeout" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local rc=$?
    if [ "$rc" -ne "$code" ] || { [ -n "$pattern" ] && ! grep -q -- "$pattern" "$tmp/err"; }; then
        fail "$(echo "$*" | cut -c 1-300) -> exit $rc (expected $code and '$pattern'):" \
            "$(head -c 300 "$tmp/err")"
    fi
}

# A small tmpfs at DIR, to fill up: needs root (CI runs as root). Elsewhere the
# test fails loudly rather than skip the full-filesystem checks.
mount_tmpfs() {
    mkdir -p "$1"
    if ! mount -t tmpfs -o "size=$2" tmpfs "$1"; then
        fail "cannot mount a tmpfs at $1 (the full-filesystem checks need root)"
        return 1
    fi
    mounts+=("$1")
}

# holds WHAT A OP B: the numeric comparison A OP B (awk), with A recorded.
holds() {
    checks=$((checks + 1))
    awk -v a="$2" -v b="$4" "BEGIN { exit !(a != \"\" && a != \"missing\" && a $3 b) }" ||
        fail "$1: '$2' $3 '$4' does not hold"
}

# csv_col FILE GENERATION COLUMN: the value in a metrics.csv ("missing" without
# the column, empty where not measured).
csv_col() {
    awk -F, -v g="$2" -v name="$3" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i }
        NR > 1 && $1 == g { print (name in c) ? $c[name] : "missing" }' "$1"
}

finish() {
    echo "$1: $checks commands checked, $fails failures"
    [ "$fails" -eq 0 ]
}
