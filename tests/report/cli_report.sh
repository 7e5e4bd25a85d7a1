#!/bin/bash
# cli_report.sh — `madbench report`: usage and errors; hand-made run folders whose
# collapse-speed numbers are known; the SVG files are well-formed (xmllint); the
# page is self-contained; in headless Chromium it loads with no console message,
# every image decodes and every inline SVG draws; a screenshot is taken
# (kept in $MB_REPORT_SHOTS when that is set).
set -u
bin=${1:?usage: cli_report.sh MADBENCH_BINARY}
tmp=$(mktemp -d /tmp/mb_cli_report_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# ---- usage and errors ----
"$bin" report --help >"$tmp/help" || fail "--help exit code"
grep -q -- "--out FILE" "$tmp/help" || fail "--help lacks --out"
"$bin" report >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || fail "no run folder: exit $rc, expected 2"
grep -q "expected at least one run folder" "$tmp/err" || fail "no run folder: $(cat "$tmp/err")"
"$bin" report "$tmp/nothing" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || fail "missing folder: exit $rc, expected 2"
grep -q "$tmp/nothing/metrics.jsonl" "$tmp/err" || fail "missing folder not named: $(cat "$tmp/err")"
"$bin" report "$tmp" --bogus 1 >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "unknown option 'bogus'" "$tmp/err" || fail "unknown option: $rc $(cat "$tmp/err")"

# ---- hand-made run folders ----
# slow: FD(0) = 0.5 (sampling noise), FD(1) = 10; FD reaches 2 FD(1) = 20 exactly at
#       generation 4; tail99_on(1) = 0.008 halves to 0.004 exactly at generation 3
#       (the raw tail99, 0.3 higher as if junk were counted, never halves);
#       recall stays >= 0.5: "not within 5"
# fast: FD(1) = 8 doubles at 2; tail99_on(1) = 0: halving undefined (n/a); recall < 0.5 at 1
# bell: a shapes run (attribute histograms), FD never doubles
python3 - "$tmp" <<'EOF'
import json, math, os, struct, sys, zlib
root = sys.argv[1]

def png(path, w, h, seed):
    rows = b"".join(b"\0" + bytes(((x * 7 + y * 13 + seed * 29) % 256) for x in range(w))
                    for y in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))

def hist(mu, sd, lo, hi, bins):
    edges = [lo + (hi - lo) * i / bins for i in range(bins + 1)]
    cdf = lambda x: 0.5 * (1 + math.erf((x - mu) / (sd * math.sqrt(2))))
    h = [cdf(edges[i + 1]) - cdf(edges[i]) for i in range(bins)]
    s = sum(h)
    return [v / s for v in h]

def run(name, fd, tail99, recall, shapes=False):
    d = os.path.join(root, name)
    os.makedirs(os.path.join(d, "grids"))
    with open(os.path.join(d, "metrics.jsonl"), "w") as f:
        for g in range(len(fd)):
            row = {"n_ref": 300, "n_gen": 500, "dim": 64, "fd": fd[g], "kid": fd[g] / 100,
                   "precision": 0.9, "recall": recall[g], "density": 1.0, "coverage": 0.9 - 0.1 * g,
                   "vendi": 6.0 / (1 + g), "ref_vendi": 6.2, "tail95": 5 * tail99[g],
                   "tail99": 0.3 + tail99[g], "tail99_on": tail99[g], "off_manifold": 0.1,
                   "seconds": 1.0, "generation": g, "train_images": 500,
                   "loss": None if g == 0 else 500.0 - g, "train_s": 2.0 * (g > 0),
                   "radius_lo": 0, "radius_hi": 12,
                   "radius_hist": hist(8.0 - 0.6 * g, 1.0 - 0.12 * g, 0, 12, 40),
                   "ref_radius_hist": hist(8.0, 1.0, 0, 12, 40)}
            if g >= 1: # the fast run's generation 1 was already broken
                row.update({"gen1_broken": int(name == "fast")})
            if shapes:
                row.update({"attr_lo": 2.0, "attr_hi": 10.0, "attr_beyond_2sigma": 0.045 / (1 + g),
                            "ref_attr_beyond_2sigma": 0.046, "attr_below_2sigma": 0.011 * g,
                            "ref_attr_below_2sigma": 0.023, "attr_above_2sigma": 0.02 / (1 + g),
                            "ref_attr_above_2sigma": 0.023, "malformed": 0.05 * g,
                            "attr_hist": hist(6.0, 1.0 - 0.15 * g, 2, 10, 20),
                            "ref_attr_hist": hist(6.0, 1.0, 2, 10, 20)})
            else:
                shares = [0.1] * 10
                shares[0] += 0.035 * g; shares[9] -= 0.02 * g; shares[5] -= 0.015 * g
                row.update({"class_entropy": 2.3 - 0.1 * g, "ref_class_entropy": 2.3,
                            "class_shares": shares})
            f.write(json.dumps(row, separators=(",", ":")) + "\n")
            png(os.path.join(d, "grids", "gen_%02d.png" % g), 64, 64, g)
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump({"madbench_version": "0.1.0", "dataset": "shapes" if shapes else "fashion-mnist",
                   "device": "test <device> & co", "finished": True, "features": "judge",
                   "seconds": {"train": 1.0}}, f, indent=2)
    with open(os.path.join(d, "config.ini"), "w") as f:
        f.write("# madbench\n[run]\nname = %s\ngenerations = %d\n[loop]\ntype = %s\n"
                "[generate]\ngenerator = vae\n" % (name, len(fd) - 1,
                "fresh-data" if name == "fast" else "fully-synthetic"))

run("slow", [0.5, 10, 15, 19.999, 20, 30], [0.011, 0.008, 0.0041, 0.004, 0.001, 0],
    [0.8, 0.7, 0.6, 0.55, 0.5, 0.5])
run("fast", [0.4, 8, 17, 40], [0.01, 0, 0, 0], [0.9, 0.3, 0.2, 0.1])
run("bell", [0.3, 5, 6, 7], [0.01, 0.009, 0.006, 0.004], [0.8, 0.75, 0.7, 0.65], shapes=True)
EOF
[ -f "$tmp/slow/metrics.jsonl" ] || { echo "FAIL: fixtures not written" >&2; exit 1; }

# ---- one run, and a comparison ----
"$bin" report "$tmp/slow" >"$tmp/out" 2>"$tmp/err" || fail "report slow: $(cat "$tmp/err")"
[ -s "$tmp/slow/report.html" ] || fail "slow/report.html not written"
"$bin" report "$tmp/bell" >/dev/null 2>"$tmp/err" || fail "report bell: $(cat "$tmp/err")"
mkdir -p "$tmp/cmp"
"$bin" report "$tmp/slow" "$tmp/fast/" --out "$tmp/cmp/compare.html" >/dev/null 2>"$tmp/err" ||
    fail "report slow fast: $(cat "$tmp/err")"
[ -s "$tmp/cmp/compare.html" ] || fail "cmp/compare.html not written"
[ -s "$tmp/cmp/plots/metric_fd.svg" ] || fail "comparison plots not in cmp/plots"

# the collapse-speed cells against the numbers worked out above
check_speed() { # FILE RUN METRIC EXPECTED
    grep -q "data-speed=\"$3\" data-run=\"$2\">$4</td>" "$1" ||
        fail "$1: $2 $3 expected '$4', got '$(grep -o "data-speed=\"$3\" data-run=\"$2\">[^<]*" "$1")'"
}
for f in "$tmp/slow/report.html" "$tmp/cmp/compare.html"; do
    check_speed "$f" slow fd 4
    check_speed "$f" slow tail99_on 3
    check_speed "$f" slow recall "not within 5"
done
check_speed "$tmp/cmp/compare.html" fast fd 2
check_speed "$tmp/cmp/compare.html" fast tail99_on "n/a"
check_speed "$tmp/cmp/compare.html" fast recall 1
check_speed "$tmp/bell/report.html" bell fd "not within 3"
check_speed "$tmp/bell/report.html" bell tail99_on 3
check_speed "$tmp/bell/report.html" bell recall "not within 3"
grep -q "test &lt;device&gt; &amp; co" "$tmp/slow/report.html" || fail "manifest text not escaped"
grep -q "Ankle boot" "$tmp/slow/report.html" || fail "no Fashion-MNIST class names"
grep -q "measured radius" "$tmp/bell/report.html" || fail "bell: no attribute tail figure"
# the generation-1 warning: first on the page, only for the run whose generation 1 was broken
grep -q 'id="gen1-warning"' "$tmp/slow/report.html" && fail "slow: a generation-1 warning"
awk '/id="gen1-warning"/ { w = NR } /id="speed"/ { s = NR } END { exit !(w && w < s) }' \
    "$tmp/cmp/compare.html" || fail "comparison: no generation-1 warning before the speed table"
grep -A3 'id="gen1-warning"' "$tmp/cmp/compare.html" | grep -q "model.epochs" ||
    fail "the warning does not name the knobs"
# the bell curve: both tails against the real ones, and the malformed share left out
grep -q "&lt; −2σ 0.033 (real 0.023) · &gt; +2σ 0.005 (real 0.023) · malformed 0.15 left out" \
    "$tmp/bell/plots/tail_gen_03.svg" || fail "bell: generation 3 panel lacks the two tails"

# ---- every SVG file is well-formed XML; so is every SVG inlined in the pages ----
n_svg=0
for d in slow bell cmp; do
    for f in "$tmp/$d"/plots/*.svg; do
        xmllint --noout "$f" 2>>"$tmp/xml" || fail "not well-formed: $f"
        n_svg=$((n_svg + 1))
    done
done
[ $n_svg -gt 30 ] || fail "only $n_svg SVG files"
for d in slow/tail_gen_05 slow/classes cmp/run2_tail_gen_03 cmp/run2_classes bell/tail_gen_03; do
    [ -s "$tmp/${d%%/*}/plots/${d#*/}.svg" ] || fail "missing plot $d.svg"
done
python3 - "$tmp/slow/report.html" "$tmp/cmp/compare.html" "$tmp/bell/report.html" <<'EOF' || fail "inline SVG / self-containment check"
import re, sys, xml.dom.minidom
bad = 0
for page in sys.argv[1:]:
    html = open(page, encoding="utf-8").read()
    svgs = re.findall(r"<svg .*?</svg>", html, re.S)
    if len(svgs) < 10:
        print(page, ": only", len(svgs), "inline SVGs"); bad += 1
    for s in svgs:
        try:
            xml.dom.minidom.parseString(s)
        except Exception as e:
            print(page, ": inline SVG does not parse:", e); bad += 1
    ids = re.findall(r' id="([^"]+)"', html)
    if len(ids) != len(set(ids)):
        print(page, ": duplicate element ids"); bad += 1
    # self-contained: nothing to fetch
    for attr in re.findall(r'\b(?:src|href)="([^"]*)"', html):
        if not (attr.startswith("data:image/png;base64,") or attr.startswith("#")):
            print(page, ": external reference", attr[:80]); bad += 1
    for pat in (r"<script", r"<link", r"@import", r"url\((?!#)", r"<iframe", r"<object"):
        if re.search(pat, html):
            print(page, ": contains", pat); bad += 1
sys.exit(1 if bad else 0)
EOF

# ---- headless Chromium ----
. "$(dirname "$0")/chromium.sh"
if [ -z "$chrome" ]; then
    fail "chromium not installed (Debian package chromium; scripts/deps.sh MB_TEST_PACKAGES)"
else
    # Controls: a page with a console error and a missing image must be caught by
    # both detectors, or their silence below would prove nothing.
    printf '<!DOCTYPE html><html><body><img src="missing.png"><figure><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg></figure><script>console.error("seeded console error")</script></body></html>\n' >"$tmp/control.html"
    browse --dump-dom "file://$tmp/control.html" >/dev/null 2>"$tmp/control.err"
    grep -q 'CONSOLE.*seeded console error' "$tmp/control.err" ||
        fail "control: the console detector misses console.error: $(grep -v dbus "$tmp/control.err" | tail -3)"
    line=$(page_check "$tmp/control.html")
    [ "$line" = "images=1 loaded=0 svgs=1 drawn=1" ] || fail "control: the image detector reads '$line'"

    for page in "$tmp/slow/report.html" "$tmp/cmp/compare.html" "$tmp/bell/report.html"; do
        page_clean "$page"
        grep -q '<h1>Model collapse report' "$page.dom" || fail "$page: not the run report"
        n_img=$(grep -o '<img ' "$page" | wc -l)
        n_fig=$(grep -o '<figure class="[a-z]*"><svg' "$page" | wc -l)
        line=$(page_check "$page")
        [ "$line" = "images=$n_img loaded=$n_img svgs=$n_fig drawn=$n_fig" ] ||
            fail "$page: '$line', expected $n_img images and $n_fig SVGs, all loaded and drawn"
        [ "$n_img" -ge 4 ] || fail "$page: only $n_img images"
    done
    browse --hide-scrollbars --window-size=1400,3000 --screenshot="$tmp/shot.png" \
        "file://$tmp/cmp/compare.html" >/dev/null 2>&1
    python3 - "$tmp/shot.png" <<'EOF' || fail "screenshot"
import struct, sys
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", d[16:24])
assert (w, h) == (1400, 3000) and len(d) > 100000, (w, h, len(d))
EOF
    if [ -n "${MB_REPORT_SHOTS:-}" ]; then
        mkdir -p "$MB_REPORT_SHOTS" && cp "$tmp/shot.png" "$MB_REPORT_SHOTS/compare.png"
        browse --hide-scrollbars --window-size=1400,3000 --screenshot="$MB_REPORT_SHOTS/bell.png" \
            "file://$tmp/bell/report.html" >/dev/null 2>&1
    fi
fi

[ $fails -eq 0 ] && echo "cli_report: all checks passed"
exit $((fails > 0))
