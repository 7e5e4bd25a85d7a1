# chromium.sh — sourced by the report tests: headless Chromium and a page checker.
# Needs $tmp (a scratch folder) and fail(); sets $chrome (empty when not installed).
chrome=$(command -v chromium || command -v chromium-browser || true)
browse() { # ARGS... : headless Chromium with console messages logged to stderr
    timeout 180 "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$(mktemp -d "$tmp/profile_XXXXXX")" --enable-logging=stderr --v=0 \
        --virtual-time-budget=10000 "$@"
}
# A checker appended to a copy of a page: after load it writes what it found
# into the DOM (images decoded, inline SVGs drawn), which --dump-dom prints.
checker='<script>window.addEventListener("load",function(){var im=Array.from(document.images),
ok=im.filter(function(i){return i.complete&&i.naturalWidth>0&&i.src.indexOf("data:image/png;base64,")===0}).length,
sv=Array.from(document.querySelectorAll("figure > svg")),dr=sv.filter(function(s){var b=s.getBBox();return b.width>0&&b.height>0}).length,
p=document.createElement("pre");p.id="mbcheck";p.textContent="images="+im.length+" loaded="+ok+" svgs="+sv.length+" drawn="+dr;
document.body.appendChild(p)});</script>'
page_check() { # HTML -> prints the checker's line
    CHECKER=$checker python3 -c 'import os, sys
html = open(sys.argv[1], encoding="utf-8").read()
open(sys.argv[2], "w", encoding="utf-8").write(html.replace("</body>", os.environ["CHECKER"] + "</body>"))' "$1" "$1.check.html"
    browse --dump-dom "file://$1.check.html" 2>/dev/null | grep -o 'images=[0-9]* loaded=[0-9]* svgs=[0-9]* drawn=[0-9]*'
}
# page_clean HTML: loads the page; fails on console messages or a page not rendered.
page_clean() {
    browse --dump-dom "file://$1" >"$1.dom" 2>"$1.console" || fail "$1: chromium exit $?"
    grep -q '<h1>' "$1.dom" || fail "$1: page not rendered"
    if grep -E 'CONSOLE|Uncaught|ERR_FILE_NOT_FOUND|Failed to load' "$1.console"; then
        fail "$1: console messages (above)"
    fi
}
