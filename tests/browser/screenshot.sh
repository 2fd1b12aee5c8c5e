#!/usr/bin/env bash
# Opens an HTML report in headless Chromium, saves a screenshot and checks how it rendered.
#
#   tests/browser/screenshot.sh [--min-svgs N] REPORT.html OUTDIR
#
# Writes OUTDIR/screenshot.png (1280 wide and the whole page tall, at least 2400),
# OUTDIR/result.json and OUTDIR/console.txt, and exits 0 only when the page rendered with no console messages, no scripts, nothing loaded from
# outside the file, and at least N (default 1) SVG charts, every one wider and taller than zero.
#
# result.json is measured by a separate wrapper page (made here, in a temporary directory, with
# the one script involved) that loads a copy of the report in an <iframe>, and on load records
# the size of every <svg> (getBoundingClientRect), the report's <script> elements, the external
# references it has (src/href attributes, CSS url()) and the resources the browser fetched:
#   {"title":..,"svgs":[[w,h],..],"scripts":N,"external":[..],"resources":[..],
#    "height":H,"errors":[..]}
# The report itself has no scripts, so the console can only hear from the browser about it
# (an invalid SVG attribute, a blocked load); console.txt holds every console line Chromium
# logged, and any line at all is a failure.
#
# Chromium: $CHROMIUM, else `chromium` on the PATH; when missing, Debian's package is
# installed with apt-get if running as root, and otherwise the script fails saying so.
set -euo pipefail

min_svgs=1
if [[ "${1:-}" == "--min-svgs" ]]; then
    min_svgs=$2
    shift 2
fi
if [[ $# -ne 2 ]]; then
    echo "usage: $0 [--min-svgs N] REPORT.html OUTDIR" >&2
    exit 2
fi
report=$1
outdir=$2
if [[ ! -f "$report" ]]; then
    echo "screenshot.sh: no such file: $report" >&2
    exit 2
fi
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

find_chromium() {
    if [[ -n "${CHROMIUM:-}" ]]; then
        command -v "$CHROMIUM"
        return
    fi
    command -v chromium || command -v chromium-browser
}

if ! chromium=$(find_chromium); then
    if [[ -n "${CHROMIUM:-}" ]]; then
        echo "screenshot.sh: CHROMIUM=$CHROMIUM is not a program" >&2
        exit 3
    fi
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "screenshot.sh: chromium is missing; installing Debian's chromium with apt-get" >&2
        # Two tests may want it at once: one installs, the other waits and finds it.
        exec 9>/tmp/attend-chromium-install.lock
        flock 9
        if ! chromium=$(find_chromium); then
            export DEBIAN_FRONTEND=noninteractive
            if ! { timeout 300 apt-get -o DPkg::Lock::Timeout=120 update -qq >&2 &&
                timeout 300 apt-get -o DPkg::Lock::Timeout=120 install -y -qq chromium >&2; }; then
                echo "screenshot.sh: FAILED to install chromium with apt-get (see above)" >&2
                exit 3
            fi
            chromium=$(find_chromium) || {
                echo "screenshot.sh: apt-get installed chromium but it is not on the PATH" >&2
                exit 3
            }
        fi
        flock -u 9
    else
        echo "screenshot.sh: chromium is missing and cannot be installed here (needs root and apt-get);" \
            "install Debian's chromium package, or set CHROMIUM to a Chromium binary" >&2
        exit 3
    fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$report" "$work/report.html"

cat >"$work/wrapper.html" <<'HTML'
<!doctype html>
<html><head><meta charset="utf-8"><title>attend report check</title>
<script>
var errors = [];
window.onerror = function (message) { errors.push(String(message)); };
function check() {
  var r = { errors: errors, svgs: [], scripts: 0, external: [], resources: [] };
  try {
    var frame = document.getElementById("report");
    var doc = frame.contentDocument;
    r.title = doc.title;
    r.height = Math.ceil(doc.body ? doc.body.getBoundingClientRect().bottom : 0);
    doc.querySelectorAll("svg").forEach(function (svg) {
      var box = svg.getBoundingClientRect();
      r.svgs.push([box.width, box.height]);
    });
    r.scripts = doc.querySelectorAll("script").length;
    var local = function (url) { return /^(#|data:)/i.test(url); };
    doc.querySelectorAll("[src], link[href], use[href], image[href]").forEach(function (el) {
      var url = el.getAttribute("src") || el.getAttribute("href") || "";
      if (!local(url)) { r.external.push(el.tagName.toLowerCase() + " " + url); }
    });
    doc.querySelectorAll("style, [style]").forEach(function (el) {
      var css = el.tagName.toLowerCase() === "style" ? el.textContent : el.getAttribute("style");
      var found = css.match(/url\(\s*['"]?[^'")]*/gi) || [];
      found.concat(css.match(/@import[^;]*/gi) || []).forEach(function (u) {
        if (!/url\(\s*['"]?(#|data:)/i.test(u)) { r.external.push("css " + u); }
      });
    });
    r.resources = frame.contentWindow.performance.getEntriesByType("resource")
      .map(function (e) { return e.name; });
  } catch (e) {
    r.errors.push("cannot measure the report: " + e);
  }
  // No character HTML would escape, so the JSON reads back out of --dump-dom as it is.
  var json = JSON.stringify(r).replace(/[<>&\u00a0]/g, function (c) {
    return "\\u" + ("000" + c.charCodeAt(0).toString(16)).slice(-4);
  });
  document.getElementById("result").textContent = json;
}
</script></head>
<body>
<iframe id="report" src="report.html" style="width:1280px;height:2400px;border:0" onload="check()"></iframe>
<pre id="result">not measured</pre>
</body></html>
HTML

flags=(--headless --no-sandbox --disable-gpu --disable-background-networking
    --disable-component-update --no-first-run --disable-sync --disable-quic
    --enable-logging=stderr --v=0)

# Each run gets its own fresh profile.
run_chromium() {
    local profile
    profile=$(mktemp -d "$work/profile.XXXXXX")
    timeout 60 "$chromium" "${flags[@]}" --user-data-dir="$profile" "$@"
}

if ! run_chromium --allow-file-access-from-files --window-size=1300,2500 \
    --dump-dom "file://$work/wrapper.html" >"$work/dom.html" 2>"$work/dom.err"; then
    echo "screenshot.sh: chromium failed loading the report:" >&2
    tail -20 "$work/dom.err" >&2
    exit 4
fi
sed -n 's|.*<pre id="result">\(.*\)</pre>.*|\1|p' "$work/dom.html" >"$outdir/result.json"
result=$(cat "$outdir/result.json")

# The whole page: 1280 wide, at least 2400 tall, taller when the report is (up to 16000).
height=$(grep -o '"height":[0-9]*' <<<"$result" | grep -o '[0-9]*$' || true)
height=${height:-2400}
((height >= 2400)) || height=2400
((height <= 16000)) || height=16000
png="$outdir/screenshot.png"
rm -f "$png"
if ! run_chromium --screenshot="$png" --window-size=1280,"$height" --hide-scrollbars \
    "file://$work/report.html" >"$work/shot.out" 2>"$work/shot.err"; then
    echo "screenshot.sh: chromium failed taking the screenshot:" >&2
    tail -20 "$work/shot.err" >&2
    exit 4
fi

grep -h ':CONSOLE' "$work/shot.err" "$work/dom.err" >"$outdir/console.txt" || true
problems=()
[[ -s "$png" ]] || problems+=("no screenshot was written")
[[ -s "$outdir/console.txt" ]] && problems+=("the console logged $(wc -l <"$outdir/console.txt") message(s)")
case "$result" in
"" | "not measured") problems+=("the wrapper page did not measure the report") ;;
*)
    [[ "$result" == *'"errors":[]'* ]] || problems+=("errors while measuring")
    [[ "$result" == *'"scripts":0'* ]] || problems+=("the report has scripts")
    [[ "$result" == *'"external":[]'* ]] || problems+=("the report refers to external files")
    svgs=$( (grep -o '\[[0-9.e+-]*,[0-9.e+-]*\]' <<<"$result" || true) | wc -l)
    zero=$(grep -o '\[[0-9.e+-]*,[0-9.e+-]*\]' <<<"$result" | grep -c '\[0,\|,0\]' || true)
    ((svgs >= min_svgs)) || problems+=("$svgs SVG chart(s), expected at least $min_svgs")
    ((zero == 0)) || problems+=("$zero SVG chart(s) with zero width or height")
    ;;
esac

echo "screenshot: $png ($(stat -c %s "$png" 2>/dev/null || echo 0) bytes)"
echo "result: $result"
if [[ -s "$outdir/console.txt" ]]; then
    echo "console:"
    sed 's/^/  /' "$outdir/console.txt"
fi
if ((${#problems[@]})); then
    printf 'screenshot.sh: FAILED: %s\n' "${problems[@]}" >&2
    exit 1
fi
echo "ok: rendered without console messages; every SVG chart has a size"
