#!/usr/bin/python3
"""check_docs.py - every code sample in docs/ is compiled, linted or run.

    check_docs.py DOCS_DIR --cc CC --include DIR --libdir DIR --retain PATH
                  --rulec PATH [--cflags "..."]

Fenced blocks are checked by their info string:
  c       compiled against the installed headers and linked with libretain;
          a block with main() is also run (in a scratch directory). A block
          without main() must be valid at file scope (wrap statements in a
          function). An HTML comment `<!-- c-prelude ... -->` right before the
          block is prepended: host-side declarations a sample leans on.
  yaml    a journey file (top key `journey:`) or a marketplace profile (`profile:`)
          is checked with `retain lint`; any other YAML must hold rules
          (`when:` values), each compiled.
  rule    one rule per line ('#' comments), each compiled.
  json    parsed.
  sh      syntax-checked with `bash -n`.
  python  run by the Python suite (bindings/python/tests/test_docs.py).
  text, (none), ebnf, console: prose, not checked.
Any other info string is an error, so a sample cannot slip through unchecked.
"""
import argparse, json, os, re, subprocess, sys, tempfile

FENCE = re.compile(r'^```(\S*)\s*$')
PRELUDE = re.compile(r'<!--\s*c-prelude\s*\n(.*?)-->\s*$', re.S)
UNCHECKED = {'', 'text', 'ebnf', 'console', 'python'}


def blocks(path):
    """Yield (info, first line number, text, prelude) for each fenced block."""
    lines = open(path, encoding='utf-8').read().split('\n')
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        info, start = m.group(1), i + 1
        j = i + 1
        while j < len(lines) and lines[j].rstrip() != '```':
            j += 1
        if j == len(lines):
            raise SystemExit(f'{path}:{start}: unterminated code block')
        before = '\n'.join(lines[max(0, i - 40):i])
        pm = PRELUDE.search(before)
        yield info, start + 1, '\n'.join(lines[i + 1:j]) + '\n', pm.group(1) if pm else ''
        i = j + 1


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


class Checker:
    def __init__(self, a, tmp):
        self.a, self.tmp, self.n, self.seq = a, tmp, 0, 0
        self.failures = []

    def fail(self, where, why):
        self.failures.append(f'{where}: {why.strip()}')

    def c(self, where, text, prelude, path, line):
        self.seq += 1
        src = os.path.join(self.tmp, f'sample{self.seq}.c')
        head = ('#include <retain.h>\n#include <stdio.h>\n#include <stdlib.h>\n'
                '#include <string.h>\n#include <stdint.h>\n')
        with open(src, 'w') as f:
            f.write(head + prelude + f'\n#line {line} "{path}"\n' + text)
        has_main = re.search(r'\bint\s+main\s*\(', text) is not None
        out = os.path.join(self.tmp, f'sample{self.seq}')
        flags = ['-std=c11', '-Wall', '-Wextra', '-Werror', '-Wno-unused-function',
                 '-Wno-unused-parameter', '-Wno-unused-variable', '-I' + self.a.include]
        flags += self.a.cflags.split()
        if has_main:
            cmd = [self.a.cc, *flags, src, '-L' + self.a.libdir, '-lretain',
                   '-Wl,-rpath,' + self.a.libdir, '-o', out]
        else:
            cmd = [self.a.cc, *flags, '-c', src, '-o', out + '.o']
        r = run(cmd)
        if r.returncode:
            return self.fail(where, 'does not compile:\n' + r.stderr)
        if has_main:
            r = run([out], cwd=self.tmp)
            if r.returncode:
                self.fail(where, f'exits with {r.returncode}:\n{r.stdout}{r.stderr}')

    def rules(self, where, rules):
        if not rules:
            return self.fail(where, 'no rule found in the block')
        path = os.path.join(self.tmp, 'rules.txt')
        with open(path, 'w') as f:
            f.write('\n'.join(rules) + '\n')
        r = run([self.a.rulec, path])
        if r.returncode:
            self.fail(where, r.stdout + r.stderr)

    def yaml(self, where, text):
        top = re.search(r'^(journey|profile):', text, re.M)
        if top:
            self.seq += 1
            path = os.path.join(self.tmp, f'sample{self.seq}.yaml')
            with open(path, 'w') as f:
                f.write(text)
            r = run([self.a.retain, 'lint', path])
            if r.returncode:
                self.fail(where, f'retain lint:\n{r.stderr}')
            return
        found = []
        for m in re.finditer(r"\bwhen:\s*(?:'((?:[^']|'')*)'|(.+)$)", text, re.M):
            rule = m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2)
            found.append(rule.strip())
        self.rules(where, found)

    def check(self, path):
        for info, line, text, prelude in blocks(path):
            where = f'{os.path.basename(path)}:{line}'
            if info == 'c':
                self.c(where, text, prelude, path, line)
            elif info == 'yaml':
                self.yaml(where, text)
            elif info == 'rule':
                self.rules(where, [l for l in text.split('\n')
                                   if l.strip() and not l.lstrip().startswith('#')])
            elif info == 'json':
                try:
                    json.loads(text)
                except ValueError as e:
                    self.fail(where, f'invalid JSON: {e}')
            elif info == 'sh':
                r = run(['bash', '-n'], input=text)
                if r.returncode:
                    self.fail(where, r.stderr)
            elif info in UNCHECKED:
                continue
            else:
                self.fail(where, f'unknown code block language "{info}" (see check_docs.py)')
                continue
            self.n += 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument('docs', nargs='+')
    for opt in ('--cc', '--include', '--libdir', '--retain', '--rulec'):
        p.add_argument(opt, required=True)
    p.add_argument('--cflags', default='')
    a = p.parse_args()
    files = []
    for d in a.docs:
        files += sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith('.md')) \
            if os.path.isdir(d) else [d]
    with tempfile.TemporaryDirectory() as tmp:
        ck = Checker(a, tmp)
        checked = 0
        for f in files:
            before = ck.n
            ck.check(f)
            checked += ck.n - before
        for msg in ck.failures:
            print('FAIL', msg)
        print(f'docs: {len(files)} files, {checked} samples checked, {len(ck.failures)} failed')
        if not checked:
            print('docs: no sample checked')
            return 1
        return 1 if ck.failures else 0


if __name__ == '__main__':
    sys.exit(main())
