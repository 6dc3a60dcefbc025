"""Print the single-page HTML book to PDF with headless Chromium: ``make pdf`` (no TeX needed).

Usage: ``python scripts/print_pdf.py [--path-output DIR] [--no-build] [--out PDF]``.

Builds the single-page HTML book (``jupyter-book build . --builder singlehtml``, into
``_build/singlehtml``) and prints it to ``_build/pdf/vae-likelihood-book.pdf``.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: no port,
no extra Python package). The page is loaded from disk with every network request sent to a
dead proxy, as in tests/test_book_html.py; the script then *waits* until MathJax (bundled with
the book) has typeset every equation and every image has decoded, and only then prints, A4 with
page numbers. What it found on the page before printing (equations, typeset equations, MathJax
errors, images, broken images) is written next to the PDF as ``<name>.json``, which the test
reads. Exit status 1 if anything was not rendered.

Chromium: ``$CHROMIUM`` or /usr/bin/chromium (``scripts/install_chromium.sh``).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PDF_NAME = "vae-likelihood-book"

# Runs in the page once it has loaded: resolves when MathJax is done and the images are decoded.
WAIT_FOR_RENDERING = """
(async () => {
  if (document.readyState !== "complete") {
    await new Promise(resolve => window.addEventListener("load", resolve));
  }
  const mj = window.MathJax;
  let status = "ok";
  if (!mj || !mj.startup || !mj.startup.promise) { status = "MathJax did not load"; }
  else {
    try { await mj.startup.promise; if (mj.typesetPromise) { await mj.typesetPromise(); } }
    catch (err) { status = "MathJax failed: " + err; }
  }
  const root = document.querySelector(".bd-article") || document.body;
  const images = Array.from(root.querySelectorAll("img"));
  images.forEach(img => { img.loading = "eager"; });
  await Promise.all(images.map(img => img.decode().catch(() => null)));
  const maths = Array.from(root.querySelectorAll(".math"));
  return {
    status: status,
    mathjax_version: (mj && mj.version) || null,
    math: maths.length,
    typeset: root.querySelectorAll("mjx-container").length,
    untypeset: maths.filter(m => !m.querySelector("mjx-container")).length,
    errors: root.querySelectorAll("mjx-merror").length,
    images: images.length,
    broken_images: images.filter(i => !(i.complete && i.naturalWidth > 0))
                         .map(i => i.getAttribute("src")),
  };
})()
"""

# Paper cannot scroll: equations and tables wider than the column are scaled down to fit it
# (CSS zoom), after the page has been laid out at the paper's width in print media.
FIT_TO_PAGE = """
(() => {
  const root = document.querySelector(".bd-article") || document.body;
  const pairs = [];
  root.querySelectorAll("div.math").forEach(box => {
    const c = box.querySelector("mjx-container"); if (c) { pairs.push([box, c]); } });
  root.querySelectorAll(".pst-scrollable-table-container, .table-wrapper").forEach(box => {
    const t = box.querySelector("table"); if (t) { pairs.push([box, t]); } });
  let shrunk = 0;
  for (const [box, content] of pairs) {
    const width = box.clientWidth, needed = content.scrollWidth;
    if (width > 0 && needed > width + 1) {
      content.style.zoom = Math.max(0.3, (width - 2) / needed);
      shrunk += 1;
    }
  }
  const over = ([box, c]) =>
    c.getBoundingClientRect().right > box.getBoundingClientRect().right + 1;
  // A scaled table reflows, so its width is not exactly proportional: shrink a little more.
  for (let round = 0; round < 5; round++) {
    for (const [box, c] of pairs.filter(over)) {
      const b = box.getBoundingClientRect(), r = c.getBoundingClientRect();
      const factor = Math.min(0.97, (b.right - b.left - 2) / (r.right - b.left));
      c.style.zoom = Math.max(0.3, (parseFloat(c.style.zoom) || 1) * factor);
    }
  }
  const still = pairs.filter(over);
  return {shrunk_to_fit: shrunk, clipped_in_print: still.length,
          clipped_examples: still.slice(0, 5).map(([box, c]) => ({
            text: c.textContent.trim().slice(0, 80), zoom: c.style.zoom,
            box: box.getBoundingClientRect().right, content: c.getBoundingClientRect().right}))};
})()
"""
# A4 with 0.6 in margins: the printable width in CSS pixels (96 per inch).
PAPER = {"paperWidth": 8.27, "paperHeight": 11.69, "marginTop": 0.6, "marginBottom": 0.6,
         "marginLeft": 0.6, "marginRight": 0.6}
PRINT_WIDTH_PX = round((PAPER["paperWidth"] - PAPER["marginLeft"] - PAPER["marginRight"]) * 96)

FOOTER = (
    '<div style="font-size:8px; width:100%; text-align:center; color:#555;">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)


def find_chromium() -> str:
    for c in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
              shutil.which("chromium-browser"), shutil.which("google-chrome")):
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return c
    raise SystemExit("Chromium not found: run scripts/install_chromium.sh or set CHROMIUM=")


class DevTools:
    """The DevTools protocol over Chromium's pipe (fd 3: commands in, fd 4: replies out)."""

    def __init__(self, chromium: str, profile: str) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire_fds() -> None:  # in the child, before exec
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.proc = subprocess.Popen(
            [
                chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", f"--user-data-dir={profile}",
                "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
                "--allow-file-access-from-files", "--hide-scrollbars",
                "--remote-debugging-pipe", "about:blank",
            ],
            pass_fds=(3, 4), preexec_fn=wire_fds,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 120) -> dict:
        self._next_id += 1
        msg: dict = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_for_event(self, method: str, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        for i, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(i)
        while True:
            event = self._read_message(deadline)
            if event.get("method") == method:
                return event
            self.events.append(event)

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)


def print_pdf(html: Path, pdf: Path, timeout: float = 300) -> dict:
    """Print ``html`` to ``pdf`` once it is fully rendered; return what the page held."""
    with tempfile.TemporaryDirectory(prefix="chromium-pdf-") as profile:
        chrome = DevTools(find_chromium(), profile)
        try:
            target = chrome.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = chrome.send("Target.attachToTarget",
                                  {"targetId": target, "flatten": True})["sessionId"]
            chrome.send("Page.enable", session=session)
            chrome.events.clear()  # about:blank's own load event
            chrome.send("Page.navigate", {"url": html.resolve().as_uri()}, session=session)
            chrome.wait_for_event("Page.loadEventFired", timeout=timeout)
            result = chrome.send(
                "Runtime.evaluate",
                {"expression": WAIT_FOR_RENDERING, "awaitPromise": True, "returnByValue": True},
                session=session, timeout=timeout,
            )
            if "exceptionDetails" in result:
                raise RuntimeError(f"in the page: {result['exceptionDetails']}")
            found = result["result"]["value"]
            chrome.send("Emulation.setEmulatedMedia", {"media": "print"}, session=session)
            chrome.send("Emulation.setDeviceMetricsOverride",
                        {"width": PRINT_WIDTH_PX, "height": 1000, "deviceScaleFactor": 1,
                         "mobile": False}, session=session)
            fit = chrome.send("Runtime.evaluate",
                              {"expression": FIT_TO_PAGE, "returnByValue": True},
                              session=session, timeout=timeout)
            found.update(fit["result"]["value"])
            data = chrome.send(
                "Page.printToPDF",
                {"printBackground": True, **PAPER,
                 "displayHeaderFooter": True, "headerTemplate": "<span></span>",
                 "footerTemplate": FOOTER},
                session=session, timeout=timeout,
            )["data"]
        finally:
            chrome.close()
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(base64.b64decode(data))
    pdf.with_suffix(".json").write_text(json.dumps(found, indent=1) + "\n")
    return found


def build_singlehtml(path_output: Path) -> Path:
    """``jupyter-book build --builder singlehtml``; returns the page that holds the whole book."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jupyter_book), "build", str(ROOT), "--builder", "singlehtml",
           "--path-output", str(path_output)]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return single_page(path_output / "_build" / "singlehtml")


def single_page(folder: Path) -> Path:
    """The single page, as a file in ``folder`` itself.

    Sphinx writes it as ``<root document>.html`` (book/intro.html) but with links relative to
    ``folder`` (``_static/...``, ``_images/...``), and ``index.html`` only redirects there. A copy
    at the top of ``folder`` makes every link resolve.
    """
    redirect = (folder / "index.html").read_text(encoding="utf-8")
    match = re.search(r'url=([^"]+)"', redirect)
    page = folder / (match.group(1) if match else "index.html")
    if page.parent == folder:
        return page
    flat = folder / "book-single-page.html"
    flat.write_text(page.read_text(encoding="utf-8"), encoding="utf-8")
    return flat


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--path-output", type=Path, default=ROOT,
                        help="where the single-page build goes (<dir>/_build/singlehtml)")
    parser.add_argument("--no-build", action="store_true", help="reuse the existing build")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "pdf" / f"{PDF_NAME}.pdf")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.no_build:
        html = single_page(args.path_output / "_build" / "singlehtml")
    else:
        html = build_singlehtml(args.path_output)
    built = time.perf_counter()
    found = print_pdf(html, args.out)
    ok = (found["status"] == "ok" and found["untypeset"] == 0 and found["errors"] == 0
          and not found["broken_images"] and found["clipped_in_print"] == 0)
    print(f"{args.out}: {args.out.stat().st_size / 1e6:.1f} MB; build {built - start:.0f} s, "
          f"print {time.perf_counter() - built:.0f} s; {found['typeset']} of {found['math']} "
          f"equations typeset, {found['images']} images, {found['shrunk_to_fit']} wide "
          f"equations or tables scaled to the page; status {found['status']}")
    if not ok:
        print(f"not fully rendered: {json.dumps(found)[:3000]}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
