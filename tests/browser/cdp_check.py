#!/usr/bin/python3
"""cdp_check.py - open an HTML page in real headless Chromium and check it.

usage: cdp_check.py CHROMIUM PAGE.html SCREENSHOT.png

Drives Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe:
commands on fd 3, replies and events on fd 4, NUL-delimited JSON), so it
needs nothing but the Python standard library. At a phone viewport (390 CSS
px wide) it loads the page from file://, then fails unless:

- no console error, no uncaught exception, no error log entry;
- the page loaded no resource (everything is inline);
- every chart (svg[data-chart]) has data-n > 0 points of class "pt", and
  data-n says how many;
- the document is no wider than the viewport (no horizontal scrolling).

It saves a full-page screenshot and prints its path. The browser is killed
and its profile directory removed whatever happens.
"""
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
TIMEOUT = 30.0  # seconds for any one reply or event

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--mute-audio",
         "--remote-debugging-pipe"]

# What the page is asked once it has loaded.
PROBE = r"""(() => {
  const charts = [...document.querySelectorAll('svg[data-chart]')].map(s => ({
    name: s.dataset.chart, n: Number(s.dataset.n), pts: s.querySelectorAll('.pt').length,
    width: s.getBoundingClientRect().width }));
  const outside = [...document.querySelectorAll('[src],[href]')]
    .map(el => el.getAttribute('src') || el.getAttribute('href'))
    .filter(u => !u.startsWith('#'));
  return JSON.stringify({
    charts, outside,
    resources: performance.getEntriesByType('resource').map(r => r.name),
    sections: [...document.querySelectorAll('section[id]')].map(s => s.id),
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    height: document.documentElement.scrollHeight,
    title: document.title });
})()"""


class Browser:
    def __init__(self, chromium):
        self.profile = tempfile.mkdtemp(prefix="retain-chromium-")
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()
        # Move the child's ends above fd 10 so that dup2 onto 3 and 4
        # cannot clobber one with the other.
        cr = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
        cw = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
        os.close(to_child_r)
        os.close(from_child_w)

        def child_fds():
            os.dup2(cr, 3)
            os.dup2(cw, 4)

        self.proc = subprocess.Popen(
            [chromium] + FLAGS + ["--user-data-dir=" + self.profile, "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=child_fds, pass_fds=(3, 4), start_new_session=True)
        os.close(cr)
        os.close(cw)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read_message(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message from Chromium in time")
            ready, _, _ = select.select([self.from_child], [], [], left)
            if ready:
                chunk = os.read(self.from_child, 1 << 16)
                if not chunk:
                    raise RuntimeError("Chromium closed the pipe (exit %s)" % self.proc.poll())
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method):
        for i, m in enumerate(self.events):
            if m.get("method") == method:
                return self.events.pop(i)
        deadline = time.monotonic() + TIMEOUT
        while True:
            m = self._read_message(deadline)
            if m.get("method") == method:
                return m
            self.events.append(m)

    def close(self):
        try:
            if self.proc.poll() is None:
                try:
                    self.call("Browser.close")
                except Exception:
                    pass
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
            for fd in (self.to_child, self.from_child):
                os.close(fd)
            shutil.rmtree(self.profile, ignore_errors=True)


def problems_in(events):
    """Console errors, exceptions and error log entries among the events."""
    out = []
    for m in events:
        p = m.get("params", {})
        if m.get("method") == "Runtime.exceptionThrown":
            out.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:300])
        elif m.get("method") == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.append("console.%s: %s" % (p["type"], json.dumps(p.get("args"))[:300]))
        elif m.get("method") == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            out.append("log: " + p["entry"].get("text", "")[:300])
    return out


def check(chromium, page, shot):
    fails = []
    b = Browser(chromium)
    try:
        targets = b.call("Target.getTargets")["targetInfos"]
        page_target = next(t for t in targets if t["type"] == "page")
        s = b.call("Target.attachToTarget", {"targetId": page_target["targetId"],
                                             "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            b.call(domain + ".enable", session=s)
        b.call("Emulation.setDeviceMetricsOverride", PHONE, session=s)
        url = "file://" + os.path.abspath(page)
        nav = b.call("Page.navigate", {"url": url}, session=s)
        if nav.get("errorText"):
            raise RuntimeError("navigating to %s: %s" % (url, nav["errorText"]))
        b.wait_event("Page.loadEventFired")
        r = b.call("Runtime.evaluate", {"expression": PROBE, "returnByValue": True}, session=s)
        if "exceptionDetails" in r:
            raise RuntimeError("probe failed: %s" % r["exceptionDetails"])
        info = json.loads(r["result"]["value"])
        # a full-page screenshot at the phone's width
        shot_r = b.call("Page.captureScreenshot",
                        {"format": "png", "captureBeyondViewport": True,
                         "clip": {"x": 0, "y": 0, "width": PHONE["width"],
                                  "height": info["height"], "scale": 1}}, session=s)
        with open(shot, "wb") as f:
            f.write(base64.b64decode(shot_r["data"]))
        fails += problems_in(b.events)
    finally:
        b.close()

    print("page: %s (%s)" % (page, info["title"]))
    print("sections: %s" % " ".join(info["sections"]))
    if not info["charts"]:
        fails.append("no chart on the page")
    for c in info["charts"]:
        print("chart %-10s %4d points, %.0f px wide" % (c["name"], c["pts"], c["width"]))
        if c["pts"] <= 0:
            fails.append("chart %s has no data points" % c["name"])
        if c["pts"] != c["n"]:
            fails.append("chart %s: data-n %d but %d points" % (c["name"], c["n"], c["pts"]))
        if not 0 < c["width"] <= PHONE["width"]:
            fails.append("chart %s is %.0f px wide at a %d px viewport"
                         % (c["name"], c["width"], PHONE["width"]))
    if info["resources"]:
        fails.append("the page loaded resources: %s" % info["resources"])
    if info["outside"]:
        fails.append("the page refers outside itself: %s" % info["outside"])
    # A mobile viewport widens to fit a page that is too wide, so both count.
    wide = max(info["scrollWidth"], info["innerWidth"])
    if wide > PHONE["width"]:
        fails.append("horizontal scrolling: the page is %d px wide on a %d px phone"
                     % (wide, PHONE["width"]))
    print("document %d x %d px at a %d px viewport" % (info["scrollWidth"], info["height"],
                                                      info["innerWidth"]))
    print("screenshot: %s" % os.path.abspath(shot))
    return fails


def main():
    if len(sys.argv) != 4:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    chromium, page, shot = sys.argv[1:]
    if not (os.path.isfile(chromium) and os.access(chromium, os.X_OK)):
        print("FAIL: no Chromium at %s (Debian package chromium; ./dev.sh installs it)"
              % chromium)
        return 1
    try:
        fails = check(chromium, page, shot)
    except Exception as exc:  # a browser that cannot be driven is a failure
        print("FAIL: %s: %s" % (type(exc).__name__, exc))
        return 1
    for f in fails:
        print("FAIL: " + f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
