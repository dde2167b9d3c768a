#!/usr/bin/python3
"""analyze.py BUILD_DIR - run gcc's static analyzer (-fanalyzer) over every
file of src/, with the flags meson compiles it with (compile_commands.json),
two files at a time. Prints each finding once and a count per kind; exits 1
when there is any finding. The pass is not in ./dev.sh test yet: the
findings it reports are being triaged (see the issue notes)."""
import collections
import concurrent.futures
import json
import os
import re
import subprocess
import sys


def command(entry):
    cmd = entry["command"]
    cmd = re.sub(r" -MD -MQ \S+ -MF \S+", "", cmd)     # keep ninja's dependency files
    cmd = re.sub(r" -o \S+ -c ", " -c ", cmd)
    cmd = cmd.replace("-fdiagnostics-color=always", "").replace("-Werror", "")
    return cmd + " -fanalyzer -o /dev/null"


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    with open(os.path.join(build, "compile_commands.json")) as f:
        entries = [e for e in json.load(f) if e["file"].startswith("../src/")]

    def run(entry):
        p = subprocess.run(command(entry), shell=True, cwd=build, capture_output=True, text=True)
        # Findings inside inlined code come out as "cc1: warning: ...".
        return [entry["file"] + ": " + l if l.startswith("cc1:") else l
                for l in p.stderr.splitlines()]

    findings = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for lines in pool.map(run, entries):
            findings += [l for l in lines if ": warning: " in l]
    findings = sorted(set(findings))
    kinds = collections.Counter(re.sub(r".*\[(-W[^\]]+)\]$", r"\1", l) for l in findings)
    for line in findings:
        print(line)
    print(f"{len(findings)} findings in {len(entries)} files: " +
          ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
