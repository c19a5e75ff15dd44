#!/usr/bin/env python3
"""Drive the lab's headless Firefox through Marionette (Firefox's own remote protocol), so that
the page really runs its scripts: open URL, wait until the page and what it loads have settled,
write the DOM, quit Firefox cleanly (its closing packets reach the capture).

  marionette.py URL DOM_OUT [--port 2828] [--settle-ms 1500] [--budget-ms 15000] [--expect PREFIX]

--expect: the page must end up on an address starting with PREFIX (the home scenario's landing
page moves on by script). "Settled": the number of resources the document has loaded (Resource
Timing) has not changed for --settle-ms, or --budget-ms has passed since the navigation ended.

Protocol (Marionette 3): each message is "LENGTH:JSON"; a command is [0, id, name, params], its
answer [1, id, error, result]. Only the standard library is used.
"""
import json
import socket
import sys
import time


class Marionette:
    def __init__(self, port, wait_s=30.0):
        deadline = time.monotonic() + wait_s
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"marionette: nothing listens on port {port}")
                time.sleep(0.1)
        self.sock.settimeout(60)
        self.buf = b""
        self.next_id = 0
        hello = self._read()
        if hello.get("marionetteProtocol") != 3:
            raise SystemExit(f"marionette: unexpected greeting {hello}")

    def _read(self):
        while b":" not in self.buf:
            self._fill()
        length, _, rest = self.buf.partition(b":")
        n = int(length)
        self.buf = rest
        while len(self.buf) < n:
            self._fill()
        msg, self.buf = self.buf[:n], self.buf[n:]
        return json.loads(msg)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise SystemExit("marionette: connection closed")
        self.buf += chunk

    def call(self, name, params=None):
        self.next_id += 1
        body = json.dumps([0, self.next_id, name, params or {}]).encode()
        self.sock.sendall(str(len(body)).encode() + b":" + body)
        while True:
            kind, mid, error, result = self._read()
            if kind == 1 and mid == self.next_id:
                break
        if error:
            raise SystemExit(f"marionette: {name}: {error}")
        return result

    def script(self, source):
        return self.call("WebDriver:ExecuteScript", {"script": source, "args": []})["value"]


def settle(m, settle_s, budget_s, expect):
    """Wait until the page is at expect, complete, and its resource count is stable."""
    start = time.monotonic()
    last, since = None, time.monotonic()
    while time.monotonic() - start < budget_s:
        state = m.script("return [location.href, document.readyState,"
                         " performance.getEntriesByType('resource').length]")
        href, ready, count = state
        if not href.startswith(expect) or ready != "complete":
            last, since = None, time.monotonic()
        elif count != last:
            last, since = count, time.monotonic()
        elif time.monotonic() - since >= settle_s:
            return href, count
        time.sleep(0.1)
    raise SystemExit(f"marionette: page did not settle in {budget_s} s (last state {state})")


def main(argv):
    args = {"--port": "2828", "--settle-ms": "1500", "--budget-ms": "15000", "--expect": ""}
    pos = []
    i = 1
    while i < len(argv):
        if argv[i] in args and i + 1 < len(argv):
            args[argv[i]] = argv[i + 1]
            i += 2
        elif argv[i].startswith("-"):
            sys.stderr.write(__doc__)
            return 2
        else:
            pos.append(argv[i])
            i += 1
    if len(pos) != 2:
        sys.stderr.write(__doc__)
        return 2
    url, dom_out = pos
    m = Marionette(int(args["--port"]))
    m.call("WebDriver:NewSession", {"capabilities": {"pageLoadStrategy": "normal"}})
    m.call("WebDriver:Navigate", {"url": url})
    href, count = settle(m, int(args["--settle-ms"]) / 1000, int(args["--budget-ms"]) / 1000,
                         args["--expect"])
    with open(dom_out, "w", encoding="utf-8") as f:
        f.write(m.call("WebDriver:GetPageSource")["value"])
    sys.stderr.write(f"marionette: {href}: {count} resources\n")
    try:
        m.call("Marionette:Quit", {"flags": ["eAttemptQuit"]})
    except SystemExit:
        pass  # the connection may close before the answer: Firefox is quitting
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
