#!/bin/sh
# check_apidocs.sh DOXYFILE - the API reference builds, every public function,
# macro, enum and type is documented, and the comments have no Doxygen errors.
# Undocumented struct members are counted but not yet an error.
doxyfile="$1"
command -v doxygen >/dev/null || { echo "apidocs: doxygen is not installed (./dev.sh installs it)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{ cat "$doxyfile"; echo "OUTPUT_DIRECTORY = $tmp"; echo "WARN_LOGFILE = $tmp/warnings.log"; } |
    doxygen - > "$tmp/out" 2>&1 || { cat "$tmp/out"; echo "apidocs: doxygen failed"; exit 1; }
[ -f "$tmp/html/index.html" ] || { echo "apidocs: no html/index.html"; exit 1; }
pages=$(ls "$tmp/html" | grep -c '\.html$')
members=$(grep -c 'warning: Member .* is not documented' "$tmp/warnings.log")
grep 'warning' "$tmp/warnings.log" | grep -v 'warning: Member .* is not documented' > "$tmp/bad"
if [ -s "$tmp/bad" ]; then
    cat "$tmp/bad"
    echo "apidocs: $(wc -l < "$tmp/bad") warnings ($pages pages)"
    exit 1
fi
echo "apidocs: $pages pages, 0 warnings, $members struct members undocumented"
