#!/usr/bin/python3
"""analyze.py BUILD_DIR - run gcc's static analyzer (-fanalyzer) over every
file of src/, with the flags meson compiles it with (compile_commands.json),
as many files at a time as there are cores. Prints each finding once and a
count per kind; exits 1 when there is any finding. `meson test --suite
analyze` runs it (so ./dev.sh test does); `analyze.py BUILD src/x.c ...`
looks at those files only."""
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
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(build, "compile_commands.json")) as f:
        entries = json.load(f)
    for e in entries:
        e["src"] = os.path.relpath(os.path.join(e["directory"], e["file"]), root)
    # One run per file (a file built into two targets is listed twice).
    entries = list({e["src"]: e for e in entries if e["src"].startswith("src" + os.sep)}.values())
    if len(sys.argv) > 2:
        entries = [e for e in entries if e["src"] in sys.argv[2:]]
    if not entries:
        print("no files of src/ in " + os.path.join(build, "compile_commands.json"))
        return 1

    def run(entry):
        p = subprocess.run(command(entry), shell=True, cwd=entry["directory"],
                           capture_output=True, text=True)
        # Findings inside inlined code come out as "cc1: warning: ...".
        lines = [entry["src"] + ": " + l if l.startswith("cc1:") else l
                 for l in p.stderr.splitlines()]
        if p.returncode != 0:   # a file that does not compile is a finding too
            lines.append(entry["src"] + ": warning: the compiler exited with %d: %s"
                         % (p.returncode, " | ".join(lines[-3:])))
        return lines

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
