"""The Python samples of README.md and docs/*.md run as written.

Each ```python block runs in a fresh scratch directory (so the files it
creates stay there) that holds a link to tests/data, the data the samples
name with relative paths.
"""
import os
import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
FENCE = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)


def samples():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            line = text.count("\n", 0, m.start()) + 2
            yield pytest.param(m.group(1), id=f"{doc.name}:{line}")


SAMPLES = list(samples())


def test_there_are_samples():
    assert SAMPLES, "no ```python block found in README.md or docs/"


@pytest.mark.parametrize("code", SAMPLES)
def test_sample_runs(code, tmp_path, monkeypatch, capsys, data_dir):
    (tmp_path / "tests").mkdir()
    os.symlink(data_dir, tmp_path / "tests" / "data")
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "sample.py"
    path.write_text(code, encoding="utf-8")
    runpy.run_path(str(path), run_name="__main__")
    # Where a sample shows its output in a comment, the output must match.
    out = capsys.readouterr().out.splitlines()
    shown = [c.split("#", 1)[1].strip() for c in code.splitlines()
             if c.lstrip().startswith("print(") and "#" in c]
    assert len(out) >= len(shown)
    for printed, comment in zip(out, shown):
        assert printed.strip() == comment, f"printed {printed!r}, the sample says {comment!r}"
