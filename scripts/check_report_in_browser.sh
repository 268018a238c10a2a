#!/usr/bin/env bash
# Open the femstat HTML report in headless Chromium: check that every chart loads, and
# take full-page screenshots to look at.
#
#   scripts/check_report_in_browser.sh [REPORT.html] [OUT_DIR]
#
# Without REPORT.html, `femstat report` writes one from the bundled example data first.
# Needs Chromium from the Debian packages (apt-get install -y chromium) and femstat with
# the `all` extra (matplotlib brings Pillow, used to cut the screenshot into pages).
# Writes OUT_DIR/report-full.png and OUT_DIR/report-page-N.png (1280 x 1600 each); exits
# non-zero when an image of the report fails to load. The test suite does not need this.
set -euo pipefail

out_dir="${2:-/tmp/femstat-browser-check}"
mkdir -p "$out_dir"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [[ $# -ge 1 ]]; then
  report="$(realpath "$1")"
else
  femstat report -o "$work/femstat-report" >/dev/null
  report="$work/femstat-report/report.html"
fi
[[ -f "$report" ]] || { echo "no such report: $report" >&2; exit 2; }

browser="$(command -v chromium || command -v chromium-browser || true)"
[[ -n "$browser" ]] || { echo "Chromium not found: apt-get install -y chromium" >&2; exit 2; }

flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync
  --hide-scrollbars)

# The report forbids scripts (Content-Security-Policy), so a wrapper page loads it in a
# frame and inspects it from outside: every <img> decoded, and the page height.
cat >"$work/probe.html" <<EOF
<!DOCTYPE html><html><body><pre id="out">pending</pre>
<iframe id="f" src="file://$report" style="width:1280px;height:2000px"></iframe>
<script>
document.getElementById("f").addEventListener("load", function () {
  var out = document.getElementById("out");
  try {
    var d = this.contentDocument, imgs = Array.prototype.slice.call(d.images);
    var bad = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
    out.textContent = "RESULT images=" + imgs.length + " failed=" + bad.length +
      " height=" + d.documentElement.scrollHeight + " sizes=" +
      imgs.map(function (i) { return i.naturalWidth + "x" + i.naturalHeight; }).join(",");
  } catch (e) { out.textContent = "RESULT error=" + e; }
});
</script></body></html>
EOF
probe="$("$browser" "${flags[@]}" --user-data-dir="$(mktemp -d -p "$work")" \
  --allow-file-access-from-files --virtual-time-budget=15000 --dump-dom \
  "file://$work/probe.html" 2>/dev/null | grep -o 'RESULT [a-z]*=[0-9A-Z][^<]*' | head -1 || true)"
echo "browser: $("$browser" --version 2>/dev/null)"
echo "report:  $report"
echo "probe:   ${probe:-no result}"

height="$(sed -n 's/.*height=\([0-9]*\).*/\1/p' <<<"$probe")"
height="${height:-12000}"
"$browser" "${flags[@]}" --user-data-dir="$(mktemp -d -p "$work")" \
  --window-size="1280,$((height + 40))" --screenshot="$out_dir/report-full.png" \
  "file://$report" >/dev/null 2>&1

python - "$out_dir" <<'PY'
import sys
from pathlib import Path

from PIL import Image

out = Path(sys.argv[1])
full = Image.open(out / "report-full.png")
for old in out.glob("report-page-*.png"):
    old.unlink()
pages = 0
for pages, top in enumerate(range(0, full.height, 1600), start=1):
    full.crop((0, top, full.width, min(top + 1600, full.height))).save(
        out / f"report-page-{pages}.png"
    )
print(f"screens: {out / 'report-full.png'} ({full.width} x {full.height}), {pages} pages")
PY

images="$(sed -n 's/.*images=\([0-9]*\).*/\1/p' <<<"$probe")"
failed="$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$probe")"
if [[ -z "$images" ]]; then
  echo "FAIL: the probe could not inspect the report" >&2
  exit 1
elif [[ "$images" -eq 0 || "$failed" -ne 0 ]]; then
  echo "FAIL: $failed of $images charts did not load" >&2
  exit 1
fi
echo "OK: all $images charts loaded"
