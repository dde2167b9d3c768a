#!/bin/sh
# cdnow_db.sh RETAIN SRC DIR - the database the report and browser suites
# share, built with the retain tool alone: the second-purchase journey of
# tests/report, the CDNOW sample imported (first orders enter the
# journey), one tick to 1998-07-01, and the report as DIR/report.html.
retain="$1"; src="$2"; dir="$3"
set -e
"$retain" init "$dir/cdnow.db" > /dev/null
"$retain" load "$dir/cdnow.db" "$src/tests/report/second-purchase.yaml" --now 1996-12-01 > /dev/null
"$retain" import "$dir/cdnow.db" "$src/tests/data/CDNOW_sample.txt" --format cdnow > /dev/null
"$retain" tick "$dir/cdnow.db" --now 1998-07-01 --out /dev/null 2> /dev/null
"$retain" report "$dir/cdnow.db" -o "$dir/report.html" --now 1998-07-01 > /dev/null
