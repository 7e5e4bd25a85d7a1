#!/usr/bin/env bash
# cli_docs.sh — the documentation of the options cannot drift from the code:
#   1. docs/loop.md's key table equals the keys `madbench run --help` prints;
#   2. every `$ madbench ... --help` block of docs/cli.md equals that output;
#   3. every option a command's --help lists is one its parser reads (and an
#      unknown option is refused). The converse holds by construction: commands
#      read options only through the tables that --help prints (src/cli/options.c).
# Usage: cli_docs.sh PATH/TO/madbench
set -u
mb="$1"
src="${MB_SOURCE_DIR:-.}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "cli_docs: FAIL: $*" >&2; failures=$((failures + 1)); }

# ---- 1. the key table of docs/loop.md ----
"$mb" run --help >"$tmp/run_help" || fail "run --help failed"
# "  key   help (default: X)" after the "keys" line -> "| `key` | X | help |"
sed -n '/^keys/,$p' "$tmp/run_help" | sed -n 's/^  \([a-z_0-9]*\.[a-z_0-9]*\)  *\(.*\) (default: \(.*\))$/| `\1` | \3 | \2 |/p' \
    >"$tmp/keys_help"
sed -n '/^<!-- the keys of `madbench run --help`/,/^<!-- end of the keys -->/p' "$src/docs/loop.md" |
    grep '^| `' >"$tmp/keys_doc"
[ "$(wc -l <"$tmp/keys_help")" -ge 40 ] || fail "run --help lists only $(wc -l <"$tmp/keys_help") keys"
[ "$(grep -c '^  [a-z_0-9]*\.[a-z_0-9]* ' "$tmp/run_help")" -eq "$(wc -l <"$tmp/keys_help")" ] ||
    fail "some key lines of run --help do not have the form 'key  help (default: X)'"
diff "$tmp/keys_doc" "$tmp/keys_help" >"$tmp/keys_diff" ||
    fail "docs/loop.md's key table differs from madbench run --help (< docs, > help):
$(cat "$tmp/keys_diff")"

# ---- 2. the help blocks of docs/cli.md ----
# A block is "```text", "$ madbench ARGS --help", the output, "```". The run block
# stops at its "keys" line (the keys are the table of docs/loop.md).
blocks=0
while IFS= read -r cmdline; do
    blocks=$((blocks + 1))
    args=${cmdline#\$ madbench }
    awk -v c="$cmdline" '$0 == c {on = 1; next} on && /^```$/ {exit} on' "$src/docs/cli.md" \
        >"$tmp/block"
    # shellcheck disable=SC2086
    "$mb" $args >"$tmp/out" 2>&1 || fail "'madbench $args' failed"
    [ "$args" = "run --help" ] && sed -i '/^keys/q' "$tmp/out"
    diff "$tmp/block" "$tmp/out" >"$tmp/block_diff" ||
        fail "docs/cli.md's block of 'madbench $args' differs from the output (< docs, > output):
$(cat "$tmp/block_diff")"
done < <(grep '^\$ madbench .*--help$' "$src/docs/cli.md")
for c in run train sample data metrics report toy; do
    grep -q "^\$ madbench $c --help\$" "$src/docs/cli.md" || fail "docs/cli.md lacks madbench $c --help"
done
[ "$blocks" -ge 7 ] || fail "docs/cli.md holds $blocks help blocks, expected one per command"

# ---- 3. every option --help lists is read by the parser ----
# try CMD... OPTION ARGS: the command must refuse the run (an unknown --zz-probe
# follows), but never call OPTION unknown.
known() {
    local opt="$1" under="${1//-/_}"
    shift
    "$mb" "$@" --zz-probe 1 >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ "$rc" -ne 0 ] && [ "$rc" -lt 64 ] || { echo "exit $rc"; return 1; }
    ! grep -q "unknown \(data \)\?option '$under'" "$tmp/err"
}
check_command() { # check_command NAME "POSITIONAL..." [VARIANT-POSITIONAL...]
    local name="$1" pos="$2"
    shift 2
    "$mb" $name --help >"$tmp/help" 2>&1 || fail "$name --help failed"
    # shellcheck disable=SC2086
    "$mb" $name $pos --zz-probe 1 >/dev/null 2>"$tmp/err"
    grep -q "unknown \(data \)\?option 'zz_probe'" "$tmp/err" ||
        fail "$name: an unknown option is not refused: $(cat "$tmp/err")"
    local n=0 line opt value
    while IFS= read -r line; do
        if [[ "$line" =~ ^\ \ --([a-z0-9-]+)(\ ([^ ]+))? ]]; then
            opt=${BASH_REMATCH[1]}
            value=${BASH_REMATCH[3]:+1}
            [[ "$line" =~ \(default:\ ([^ ,\)]+)\)$ ]] && [ -n "$value" ] && value=${BASH_REMATCH[1]}
        elif [[ "$line" =~ ^\ \ ([a-z_]+)= ]]; then
            opt=${BASH_REMATCH[1]}
            value=1
        else
            continue
        fi
        [ "$opt" = help ] && continue
        n=$((n + 1))
        local ok=0 p
        for p in "$pos" "$@"; do
            # shellcheck disable=SC2086
            if [ -n "$value" ]; then known "$opt" $name $p "--$opt" "$value" && ok=1
            else known "$opt" $name $p "--$opt" && ok=1; fi
        done
        [ $ok -eq 1 ] || fail "$name --help lists --$opt but the parser does not read it: $(cat "$tmp/err")"
    done <"$tmp/help"
    [ $n -ge 2 ] || fail "$name --help lists only $n options"
}
check_command run ""
check_command train ""
check_command sample "none.ckpt"
check_command data "info shapes"
check_command metrics "shapes shapes"
check_command report ""
check_command toy "gaussian" "gmm"

if [ "$failures" -ne 0 ]; then
    echo "cli_docs: $failures failures" >&2
    exit 1
fi
echo "cli_docs: all checks passed"
