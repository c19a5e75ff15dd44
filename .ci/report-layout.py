#!/usr/bin/env python3
"""Render HTML reports in headless Chromium at a phone's width (390 px) and a laptop's (1200 px)
through the DevTools protocol over a pipe (standard library only: no driver to install), save
a full-page screenshot of each, and check the layout: no table or text block wider than its
container, no page wider than the screen, a page no taller than --max-height at 1200 px, and
collapsed evidence printed open.

usage: report-layout.py [--max-height PX] OUT_DIR FILE.html...
Prints one line per file and width (height, overflows, the tallest parts); exits 1 on a fault."""
import argparse, base64, json, os, subprocess, sys, tempfile

WIDTHS = (390, 1200)
MEASURE = r"""(() => {
  const d = document.documentElement, faults = [];
  const where = el => { const s = el.closest('[id]'); return s ? '#' + s.id : el.tagName; };
  if (d.scrollWidth > innerWidth + 1) faults.push(`page ${d.scrollWidth}px wider than ${innerWidth}px`);
  for (const el of document.querySelectorAll('table, .scroll, section, dl, p, h1, h2, h3')) {
    if (el.scrollWidth > el.clientWidth + 1)
      faults.push(`${el.tagName.toLowerCase()}${el.className ? '.' + el.className : ''} in ${where(el)}: ${el.scrollWidth}px in ${el.clientWidth}px`);
  }
  // Where the height goes: each finding, and each top-level section from its heading on.
  const marks = [...document.querySelectorAll('section.finding, h2[id]')]
    .map(el => [el.id, el.getBoundingClientRect().top + scrollY]);
  const parts = marks.map(([id, top], i) => [id, Math.round((i + 1 < marks.length ? marks[i + 1][1] : d.scrollHeight) - top)]);
  return {width: innerWidth, height: d.scrollHeight, faults, parts};
})()"""


class Chromium:
    """One headless Chromium driven over --remote-debugging-pipe (fd 3 in, fd 4 out)."""

    def __init__(self, profile):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        # Chromium reads fd 3 and writes fd 4: the shell puts the pipe ends there.
        args = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"]
        self.proc = subprocess.Popen(
            ["sh", "-c", f'exec "$@" 3<&{to_chrome_r} 4>&{from_chrome_w}', "sh", *args],
            pass_fds=(to_chrome_r, from_chrome_w),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf, self.next_id, self.events = b"", 0, []

    def _read(self):
        while b"\0" not in self.buf:
            chunk = os.read(self.from_chrome, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, session=None, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        while True:
            m = self._read()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m["result"]
            self.events.append(m)

    def wait_event(self, method, session):
        while True:
            for i, m in enumerate(self.events):
                if m.get("method") == method and m.get("sessionId") == session:
                    return self.events.pop(i)
            self.events.append(self._read())

    def close(self):
        try:
            self.call("Browser.close")
        except (RuntimeError, OSError):
            pass
        self.proc.wait(timeout=30)


def render(chrome, path, width, out_png):
    target = chrome.call("Target.createTarget", url="about:blank")["targetId"]
    s = chrome.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    chrome.call("Page.enable", s)
    chrome.call("Emulation.setDeviceMetricsOverride", s, width=width, height=900,
                deviceScaleFactor=1, mobile=width < 600)
    chrome.call("Page.navigate", s, url="file://" + os.path.abspath(path))
    chrome.wait_event("Page.loadEventFired", s)
    got = chrome.call("Runtime.evaluate", s, expression=MEASURE, returnByValue=True)
    m = got["result"]["value"]
    shot = chrome.call("Page.captureScreenshot", s, format="png", captureBeyondViewport=True,
                       clip={"x": 0, "y": 0, "width": width, "height": m["height"], "scale": 1})
    with open(out_png, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    # Paper has no clicks: everything collapsed must print.
    chrome.call("Emulation.setEmulatedMedia", s, media="print")
    hidden = chrome.call("Runtime.evaluate", s, returnByValue=True, expression=
        "[...document.querySelectorAll('details > :not(summary)')].filter(el => !el.checkVisibility()).length")
    m["hidden_in_print"] = hidden["result"]["value"]
    chrome.call("Target.closeTarget", targetId=target)
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-height", type=int, default=0, help="tallest page allowed at 1200 px")
    ap.add_argument("out")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    bad = 0
    with tempfile.TemporaryDirectory(prefix="sporfri-chromium-") as profile:
        chrome = Chromium(profile)
        try:
            for path in args.files:
                stem = os.path.splitext(os.path.basename(path))[0]
                for width in WIDTHS:
                    png = os.path.join(args.out, f"{stem}-{width}.png")
                    m = render(chrome, path, width, png)
                    print(f"{path} at {width}px: {m['height']}px tall, "
                          f"{len(m['faults'])} overflow(s); {png}")
                    tallest = sorted(m["parts"], key=lambda p: -p[1])[:4]
                    print("  tallest: " + ", ".join(f"{i} {h}px" for i, h in tallest))
                    faults = list(m["faults"])
                    if m["width"] != width:
                        faults.append(f"rendered {m['width']}px wide, not {width}px")
                    if args.max_height and width >= 1200 and m["height"] > args.max_height:
                        faults.append(f"{m['height']}px tall, more than {args.max_height}px")
                    if m["hidden_in_print"]:
                        faults.append(f"{m['hidden_in_print']} collapsed element(s) do not print")
                    for fault in faults:
                        print(f"  FAULT: {fault}")
                    bad += bool(faults)
        finally:
            chrome.close()
    sys.exit(1 if bad else 0)


main()
