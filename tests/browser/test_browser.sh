#!/bin/sh
# test_browser.sh RETAIN SRC BUILDDIR PYTHON - build the CDNOW report with the
# retain tool and check it in headless Chromium (cdp_check.py): no console
# errors, every chart has points, no horizontal scrolling at 390 px. The
# screenshot stays in BUILDDIR/report-phone.png as the test's artifact.
retain="$1"; src="$2"; out="$3"; python="$4"
chromium="${RETAIN_CHROMIUM:-/usr/bin/chromium}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sh "$src/tests/report/cdnow_db.sh" "$retain" "$src" "$tmp" || { echo "FAIL: building the report"; exit 1; }
cp "$tmp/report.html" "$out/report.html"
timeout 150 "$python" "$src/tests/browser/cdp_check.py" "$chromium" "$out/report.html" \
    "$out/report-phone.png"
