"""The built book works offline: MathJax typesets the equations and the figures load.

A session fixture builds the book once into a temporary folder (``jupyter-book build . --path-output
<tmp>``). A chapter with equations is then opened in headless Chromium with every network request
sent to a dead proxy, so anything the page would fetch from the internet fails. A small probe
script, added to a copy of the page, waits for MathJax and writes what it finds into the DOM,
which ``--dump-dom`` returns. A screenshot of the page goes to ``test-artifacts/``.

Chromium comes from Debian (``scripts/install_chromium.sh``, run by ``make test``); set
``CHROMIUM=/path/to/chromium`` to use another binary. Without it these tests fail, they do not
skip.
"""

from __future__ import annotations

import html
import json
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

import vae_tutorial

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
BUILD_TIMEOUT = 600  # seconds; the build takes well under a minute
BROWSER_TIMEOUT = 120
MATH_RE = re.compile(r'class="math notranslate nohighlight"')
IMG_RE = re.compile(r"<img\b")

PROBE = """
<script>
window.addEventListener("load", function () {
  function report(status) {
    if (document.getElementById("probe-result")) { return; }
    var root = document.querySelector(".bd-article") || document.body;
    var maths = Array.from(root.querySelectorAll(".math"));
    var images = Array.from(root.querySelectorAll("img")).map(function (img) {
      return {src: img.getAttribute("src"), complete: img.complete, width: img.naturalWidth};
    });
    var script = document.querySelector('script[src*="tex-chtml"]');
    var out = document.createElement("pre");
    out.id = "probe-result";
    out.textContent = JSON.stringify({
      status: status,
      version: (window.MathJax && window.MathJax.version) || null,
      mathjax_src: script ? script.src : null,
      math: maths.length,
      typeset: document.querySelectorAll("mjx-container").length,
      untypeset: maths.filter(function (m) { return !m.querySelector("mjx-container"); }).length,
      errors: document.querySelectorAll("mjx-merror").length,
      images: images
    });
    document.body.appendChild(out);
  }
  setTimeout(function () { report("MathJax did not finish within 15 s"); }, 15000);
  var mj = window.MathJax;
  if (!mj || !mj.startup || !mj.startup.promise) { report("MathJax did not load"); return; }
  mj.startup.promise.then(function () { report("ok"); },
                          function (err) { report("MathJax failed: " + err); });
});
</script>
"""


def find_chromium() -> str:
    """The Chromium binary, or a test failure that says how to install it."""
    candidates = [os.environ.get("CHROMIUM"), "/usr/bin/chromium"]
    candidates += [shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")]
    for c in candidates:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return c
    pytest.fail(
        "Chromium not found (looked at $CHROMIUM, /usr/bin/chromium, chromium, chromium-browser, "
        "google-chrome). Install it with `scripts/install_chromium.sh` (as root; `make test` runs "
        "it) or `apt-get install chromium`, or set CHROMIUM=/path/to/chromium.",
        pytrace=False,
    )


def chromium(args: list[str], url: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium on ``url`` with networking disabled and a fresh profile."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        cmd = [
            find_chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            f"--user-data-dir={profile}",
            # Every request that is not file:// goes to a closed port, loopback included.
            "--proxy-server=127.0.0.1:9",
            "--proxy-bypass-list=<-loopback>",
            # MathJax loads its fonts with CSS; from file:// Chromium needs this to allow it.
            "--allow-file-access-from-files",
            "--hide-scrollbars",
            *args,
            url,
        ]
        return subprocess.run(
            cmd, capture_output=True, text=True, timeout=BROWSER_TIMEOUT, check=False
        )


@pytest.fixture(scope="session")
def html_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the book once (stored notebook outputs, no execution) and return its HTML folder."""
    out = tmp_path_factory.mktemp("book-build")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jupyter_book), "build", str(ROOT), "--path-output", str(out)]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=BUILD_TIMEOUT, cwd=ROOT, check=False
    )
    html_root = out / "_build" / "html"
    assert proc.returncode == 0 and (html_root / "index.html").is_file(), (
        f"`{' '.join(cmd)}` failed ({proc.returncode}):\n"
        f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return html_root


def toc_pages() -> list[str]:
    """Every page of _toc.yml in reading order, without extension (e.g. book/zoo/beta)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [chapter["file"] for chapter in part.get("chapters", [])]
    return [str(Path(p).with_suffix("")) for p in pages]


@dataclass
class PageProbe:
    page: Path
    result: dict


@pytest.fixture(scope="session")
def probed(html_dir: Path) -> PageProbe:
    """The first chapter with equations (preferably also figures), opened offline in Chromium."""
    with_math = []
    for name in toc_pages():
        if name.endswith("intro"):
            continue
        page = html_dir / f"{name}.html"
        if page.is_file():
            text = page.read_text(encoding="utf-8")
            if MATH_RE.search(text):
                with_math.append((page, bool(IMG_RE.search(text.split('class="bd-article"')[-1]))))
    assert with_math, "no page of the book has equations (expected book/reference/notation)"
    page = next((p for p, has_img in with_math if has_img), with_math[0][0])

    probe_page = page.with_name(page.stem + ".probe.html")
    text = page.read_text(encoding="utf-8")
    end = text.rindex("</body>")
    probe_page.write_text(text[:end] + PROBE + text[end:], encoding="utf-8")
    proc = chromium(["--virtual-time-budget=20000", "--dump-dom"], probe_page.as_uri())
    match = re.search(r'<pre id="probe-result"[^>]*>(.*?)</pre>', proc.stdout, re.DOTALL)
    assert match, (
        f"Chromium returned no probe result for {page.name} (exit {proc.returncode}).\n"
        f"stderr:\n{proc.stderr[-3000:]}"
    )
    return PageProbe(page, json.loads(html.unescape(match.group(1))))


def test_mathjax_is_bundled(html_dir: Path) -> None:
    """sphinx-mathjax-offline copies MathJax 3 into the book; pages load it from there."""
    assert (html_dir / "_static" / "mathjax" / "tex-chtml.js").is_file()
    for name in toc_pages():
        page = html_dir / f"{name}.html"
        if not page.is_file():
            continue
        text = page.read_text(encoding="utf-8")
        for src in re.findall(r'<script[^>]+src="([^"]*(?:mathjax|MathJax)[^"]*)"', text):
            assert not re.match(r"(https?:)?//", src), f"{page.name} loads MathJax from {src}"


def test_mathjax_typesets_offline(probed: PageProbe) -> None:
    r = probed.result
    where = probed.page.relative_to(probed.page.parents[2])
    assert r["status"] == "ok", f"{where}: {r['status']}"
    assert r["mathjax_src"].startswith("file://"), f"{where}: MathJax from {r['mathjax_src']}"
    assert r["version"].startswith("3."), r["version"]
    assert r["math"] > 0, f"{where}: no equations found in the page"
    assert r["typeset"] >= r["math"], f"{where}: {r['typeset']} of {r['math']} typeset"
    assert r["untypeset"] == 0, f"{where}: {r['untypeset']} equations left as raw TeX"
    assert r["errors"] == 0, f"{where}: {r['errors']} MathJax errors (mjx-merror)"


def test_images_load_offline(probed: PageProbe) -> None:
    images = probed.result["images"]
    if not images:
        pytest.skip(f"{probed.page.name} has no figures yet (no chapter with figures is built)")
    broken = [i["src"] for i in images if not (i["complete"] and i["width"] > 0)]
    assert not broken, f"{probed.page.name}: images that did not load: {broken}"


def test_screenshot(probed: PageProbe) -> None:
    """Save what a reader sees, for the CI artefacts (test-artifacts/ is gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"{probed.page.stem}.png"
    shot.unlink(missing_ok=True)
    proc = chromium(
        ["--virtual-time-budget=20000", "--window-size=1280,2000", f"--screenshot={shot}"],
        probed.page.as_uri(),
    )
    assert shot.is_file() and shot.stat().st_size > 10_000, (
        f"no screenshot written (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_api_page_documents_every_module(html_dir: Path) -> None:
    """book/reference/api.md must list every module of the package, new ones included."""
    api = (html_dir / "book" / "reference" / "api.html").read_text(encoding="utf-8")
    modules = ["vae_tutorial"] + [
        m.name
        for m in pkgutil.walk_packages(vae_tutorial.__path__, "vae_tutorial.")
        if not m.name.rsplit(".", 1)[-1].startswith("_")
    ]
    missing = [m for m in modules if f'id="module-{m}"' not in api]
    assert not missing, f"add these modules to book/reference/api.md: {missing}"


def test_launch_buttons(html_dir: Path) -> None:
    """Notebook pages offer Binder and Colab, opening the chapter's reader copy on main."""
    # The notebooks that were built (their sources are copied next to the HTML).
    notebooks = [n for n in toc_pages() if (html_dir / "_sources" / f"{n}.ipynb").is_file()]
    if not notebooks:
        pytest.skip("no chapter notebook was built yet")
    repo = "vae-likelihood-book/vae-likelihood-book"
    binder = f"https://mybinder.org/v2/gh/{repo}/main?urlpath=lab/tree/readers"
    colab = f"https://colab.research.google.com/github/{repo}/blob/main/readers"
    for name in notebooks:
        page = (html_dir / f"{name}.html").read_text(encoding="utf-8")
        assert f"{binder}/{name}.ipynb" in page, f"{name}: no Binder launch button"
        assert f"{colab}/{name}.ipynb" in page, f"{name}: no Colab launch button"
        assert (ROOT / "readers" / f"{name}.ipynb").is_file(), f"{name}: no reader copy"


# ---------------------------------------------------------------------------------------------
# Every page, as a reader sees it: literal $, clipped equations, alt text, doubled words
# ---------------------------------------------------------------------------------------------

# Runs in each page after MathJax has finished (see scripts/print_pdf.py for the DevTools pipe).
PAGE_PROBE = r"""
(async () => {
  if (document.readyState !== "complete") {
    await new Promise(resolve => window.addEventListener("load", resolve));
  }
  const mj = window.MathJax;
  if (mj && mj.startup && mj.startup.promise) { await mj.startup.promise; }
  const root = document.querySelector(".bd-article") || document.body;
  const rootRight = root.getBoundingClientRect().right;
  const skip = "mjx-container, .math, pre, code, script, style, .cell_output, .output, .highlight";
  const dollars = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.nodeValue.includes("$") && !node.parentElement.closest(skip)) {
      dollars.push(node.nodeValue.trim().slice(0, 80));
    }
  }
  // An equation is clipped when part of it can be neither seen nor scrolled to.
  function clipped(el) {
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox === "auto" || ox === "scroll") { return false; }
      if ((ox === "hidden" || ox === "clip") &&
          el.getBoundingClientRect().right > a.getBoundingClientRect().right + 1) { return true; }
    }
    return el.getBoundingClientRect().right > rootRight + 1;
  }
  const cut = Array.from(root.querySelectorAll("mjx-container")).filter(el => {
    const math = el.querySelector("mjx-math") || el;
    return math.getBoundingClientRect().width > 0 && clipped(math);
  });
  const text = el => (el.closest(".math") || el).textContent.slice(0, 60);
  const tables = Array.from(root.querySelectorAll("table"))
    .filter(t => clipped(t))
    .map(t => t.textContent.trim().replace(/\s+/g, " ").slice(0, 60));
  const alts = Array.from(root.querySelectorAll("img")).map(img => img.getAttribute("alt") || "");
  return {dollars: dollars, alts: alts, clipped_tables: tables,
          clipped_display: cut.filter(el => el.getAttribute("display") === "true").map(text),
          clipped_inline: cut.filter(el => el.getAttribute("display") !== "true").map(text),
          math: root.querySelectorAll("mjx-container").length};
})()
"""
PATH_LIKE_ALT = re.compile(r"(^|/)[\w.-]*\.(png|jpe?g|svg|gif)$|^_images/|^[0-9a-f]{32,}", re.I)


@pytest.fixture(scope="session")
def every_page(html_dir: Path) -> dict[str, dict]:
    """PAGE_PROBE's findings for every page of the book, offline, at a 1280 px wide window."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from print_pdf import DevTools

    reports = {}
    with tempfile.TemporaryDirectory(prefix="chromium-pages-") as profile:
        chrome = DevTools(find_chromium(), profile)
        try:
            target = chrome.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = chrome.send("Target.attachToTarget",
                                  {"targetId": target, "flatten": True})["sessionId"]
            chrome.send("Emulation.setDeviceMetricsOverride",
                        {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                        session=session)
            for name in toc_pages():
                page = html_dir / f"{name}.html"
                chrome.send("Page.navigate", {"url": page.as_uri()}, session=session)
                result = chrome.send(
                    "Runtime.evaluate",
                    {"expression": PAGE_PROBE, "awaitPromise": True, "returnByValue": True},
                    session=session, timeout=BROWSER_TIMEOUT,
                )
                assert "exceptionDetails" not in result, f"{name}: {result['exceptionDetails']}"
                reports[name] = result["result"]["value"]
        finally:
            chrome.close()
    return reports


def test_every_page_was_probed(every_page: dict[str, dict]) -> None:
    assert set(every_page) == set(toc_pages())
    assert sum(r["math"] for r in every_page.values()) > 100, "MathJax typeset almost nothing"


def test_no_clipped_display_math(every_page: dict[str, dict]) -> None:
    """Wide display equations scroll (``_static/readers.css``); none is cut off."""
    clipped = {n: r["clipped_display"] for n, r in every_page.items() if r["clipped_display"]}
    assert not clipped, f"display equations cut off at the column edge: {clipped}"


def test_no_clipped_tables(every_page: dict[str, dict]) -> None:
    """Wide tables (the cheat sheet, chapter 1's five distributions) scroll inside the column."""
    clipped = {n: r["clipped_tables"] for n, r in every_page.items() if r["clipped_tables"]}
    assert not clipped, f"tables cut off at the column edge: {clipped}"


def test_no_clipped_inline_math(every_page: dict[str, dict]) -> None:
    clipped = {n: r["clipped_inline"] for n, r in every_page.items() if r["clipped_inline"]}
    assert not clipped, f"inline formulas running past the column edge: {clipped}"


def test_no_literal_dollar_outside_math(every_page: dict[str, dict]) -> None:
    """A `$` in the text means MyST did not read a formula as math (e.g. inside a list item)."""
    found = {name: r["dollars"] for name, r in every_page.items() if r["dollars"]}
    assert not found, f"literal $ outside math and code: {found}"


def test_figures_have_alt_text(every_page: dict[str, dict]) -> None:
    found = {
        name: [a for a in r["alts"] if not a.strip() or PATH_LIKE_ALT.search(a.strip())]
        for name, r in every_page.items()
    }
    found = {name: alts for name, alts in found.items() if alts}
    assert not found, f"figures whose alt text is empty or a file path: {sorted(found)}"


def test_no_doubled_reference_words(html_dir: Path) -> None:
    doubled = {}
    for name in toc_pages():
        text = html.unescape(re.sub(r"<[^>]+>", "", (html_dir / f"{name}.html").read_text()))
        hits = re.findall(r"\b(Exercise|Theorem|Definition|Figure|Equation)\s+\1\b", text)
        if hits:
            doubled[name] = hits
    assert not doubled, f"doubled words before references: {doubled}"


# ---------------------------------------------------------------------------------------------
# The PDF without TeX (make pdf): single-page HTML printed by headless Chromium
# ---------------------------------------------------------------------------------------------


@dataclass
class Pdf:
    path: Path
    found: dict  # what print_pdf.py saw in the page before printing
    html_figures: int
    seconds: float


@pytest.fixture(scope="session")
def pdf(html_dir: Path) -> Pdf:
    """``scripts/print_pdf.py`` on a single-page build in the same folder as ``html_dir``'s build
    (Sphinx reuses its parsed documents, so only the single page is written)."""
    import time

    out = html_dir.parents[1]
    target = out / "pdf" / "book.pdf"
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "print_pdf.py"), "--path-output", str(out),
         "--out", str(target)],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT, cwd=ROOT, check=False,
    )
    seconds = time.perf_counter() - start
    assert proc.returncode == 0 and target.is_file(), (
        f"print_pdf.py failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    figures = sum(len(IMG_RE.findall((html_dir / f"{n}.html").read_text(encoding="utf-8")
                                     .split('class="bd-article"')[-1]))
                  for n in toc_pages() if (html_dir / f"{n}.html").is_file())
    found = json.loads(target.with_suffix(".json").read_text())
    return Pdf(target, found, figures, seconds)


def test_pdf_page_count(pdf: Pdf) -> None:
    from pypdf import PdfReader

    pages = len(PdfReader(pdf.path).pages)
    # The whole book on A4: about 230 pages today; far fewer means chapters went missing.
    assert 150 <= pages <= 600, f"{pages} pages"


def test_pdf_equations_are_rendered_math(pdf: Pdf) -> None:
    """Every equation was typeset by MathJax before printing, and the PDF carries MathJax's
    fonts, not TeX source."""
    from pypdf import PdfReader

    found = pdf.found
    assert found["status"] == "ok", found["status"]
    assert found["math"] > 1000 and found["typeset"] >= found["math"], found
    assert found["untypeset"] == 0 and found["errors"] == 0, found
    assert found["clipped_in_print"] == 0, found
    reader = PdfReader(pdf.path)
    # Chromium embeds MathJax's web fonts as Type 3 fonts (the text is in TrueType DejaVu).
    type3 = set()
    for page in reader.pages[:60]:
        for font in (page.get("/Resources", {}).get("/Font", {}) or {}).values():
            if font.get_object().get("/Subtype") == "/Type3":
                type3.add(font.get_object().indirect_reference.idnum)
    assert len(type3) >= 3, f"{len(type3)} Type 3 (MathJax) fonts in the first 60 pages"
    text = "".join(reader.pages[i].extract_text() for i in range(10, 40))
    for raw in ("\\frac", "\\mathbb", "$$", "\\begin{"):
        assert raw not in text, f"raw TeX {raw!r} printed in the PDF"
    # Typeset symbols carry their Unicode meaning (searchable, readable by screen readers).
    assert sum(text.count(sym) for sym in "θϕ∣≤∫∑") > 50, "few math symbols in the text layer"


def test_pdf_figures_are_embedded(pdf: Pdf) -> None:
    from pypdf import PdfReader

    assert not pdf.found["broken_images"], pdf.found["broken_images"][:5]
    images = 0  # image XObjects, counted without decoding them
    for page in PdfReader(pdf.path).pages:
        xobjects = page.get("/Resources", {}).get("/XObject", {}) or {}
        images += sum(x.get_object().get("/Subtype") == "/Image" for x in xobjects.values())
    assert pdf.html_figures > 0 and images >= pdf.html_figures, (
        f"{images} images in the PDF, {pdf.html_figures} figures in the book"
    )
