"""Write the reader copies of the chapters: notebooks that read well outside the book.

Usage: ``python scripts/make_reader_copies.py [--check] [--out DIR]`` (``make readers``).

The chapters in ``book/`` are written in MyST for Jupyter Book: directives (exercises, solutions,
theorems, admonitions), roles (cross-references, citations, glued numbers). Jupyter, Colab and
GitHub show that syntax as raw text, and every solution as a visible code block. For each
chapter this script writes ``readers/<same path>.ipynb`` (e.g. ``readers/book/zoo/beta.ipynb``),
the same notebook with its stored outputs, in which

* exercises, theorems, definitions and admonitions become block quotes with bold, numbered
  titles (numbered per chapter); proofs end with ∎;
* solutions become collapsed ``<details>`` blocks (click to open);
* ``{doc}`` becomes a link to the other reader copy (or to the page on GitHub), ``{ref}`` and
  ``{prf:ref}`` the referenced title or number, ``{footcite}`` an author-year citation with the
  chapter's references listed where the book has ``{footbibliography}``, ``{func}`` and friends
  inline code;
* ``{glue:text}`name``` is replaced by the value the notebook glued (from its stored outputs);
* the hidden Colab cell becomes a visible cell that installs the package from the pinned release
  without touching Colab's torch, and a note at the top says what the copy is.

The book's launch buttons (Binder, Colab) open these copies (``repository.path_to_book`` in
``_config.yml``). ``tests/test_reader_copies.py`` regenerates them and fails when the committed
copies are out of date or contain MyST syntax. Re-run after editing a chapter. ``--check`` writes
nothing and exits 1 when a copy is out of date.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "readers"
REPO = "vae-likelihood-book/vae-likelihood-book"
TAG = "v0.3.1"  # the release the Colab cell installs
REPO_URL = f"https://github.com/{REPO}"
PACKAGE_SPEC = f"vae-tutorial @ git+{REPO_URL}@{TAG}"
GENERATED_BY = "scripts/make_reader_copies.py"

# --------------------------------------------------------------------------------------------
# The Colab cell (also written into the book's sources by scripts/update_colab_cell.py)
# --------------------------------------------------------------------------------------------


def data_files(nb: nbformat.NotebookNode, folder: Path) -> list[tuple[str, str]]:
    """Results files that the chapter reads but does not write, as (book folder, file name).

    A file next to the chapter comes first (e.g. part III's tables); a file the chapter reads from
    another part's folder (``../nonfactorized/remedies.json``) is found there.
    """
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    written = set(re.findall(r"record_results\([^)]*?\"([\w.-]+\.json)\"", code))
    named = sorted(set(re.findall(r"\"([\w.-]+\.json)\"", code)) - written)
    found = []
    for name in named:
        parts = (p for p in (ROOT / "book").iterdir() if p.is_dir() and p != folder)
        homes = [folder, *sorted(parts)]
        home = next((h for h in homes if (h / name).is_file()), None)
        if home is not None:
            found.append((home.relative_to(ROOT).as_posix(), name))
    return found


def colab_cell_source(nb: nbformat.NotebookNode, nb_path: Path) -> str:
    """Installs the package from the pinned release in Colab only, keeping Colab's torch."""
    lines = [
        "import sys",
        'if "google.colab" in sys.modules:  # Colab: install the companion package, keep its torch',
        f'    %pip install -q --no-deps "{PACKAGE_SPEC}"',
    ]
    files = data_files(nb, nb_path.parent)
    if files:
        raw = f"https://raw.githubusercontent.com/{REPO}/{TAG}"
        lines += [
            "    import urllib.request  # results of earlier chapters that this one reads",
            f"    for path in {[f'{folder}/{name}' for folder, name in files]!r}:",
            "        urllib.request.urlretrieve(",
            f'            f"{raw}/{{path}}", path.rsplit("/", 1)[-1]',
            "        )",
        ]
    return "\n".join(lines)


def is_colab_cell(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "code" and "google.colab" in cell.source


# --------------------------------------------------------------------------------------------
# What the whole book defines: titles, labels, numbers, glued values, references
# --------------------------------------------------------------------------------------------

NUMBERED = {
    "exercise": "Exercise",
    "prf:theorem": "Theorem",
    "prf:definition": "Definition",
    "prf:lemma": "Lemma",
    "prf:proposition": "Proposition",
    "prf:corollary": "Corollary",
    "prf:example": "Example",
    "prf:remark": "Remark",
    "prf:property": "Property",
    "prf:observation": "Observation",
    "prf:assumption": "Assumption",
    "prf:conjecture": "Conjecture",
    "prf:axiom": "Axiom",
    "prf:criterion": "Criterion",
    "prf:algorithm": "Algorithm",
}
ADMONITIONS = {
    "note": "Note",
    "tip": "Tip",
    "hint": "Hint",
    "important": "Important",
    "warning": "Warning",
    "caution": "Caution",
    "attention": "Attention",
    "danger": "Danger",
    "error": "Error",
    "seealso": "See also",
}
OPEN_RE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}[ \t]*(?P<arg>.*)$"
)
FENCE_RE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
OPTION_RE = re.compile(r"^[ \t]*:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")
LABEL_RE = re.compile(r"^\((?P<label>[\w.:-]+)\)=[ \t]*$")
ROLE_RE = re.compile(r"\{(?P<role>[\w:-]+)\}`(?P<content>[^`]*)`")
TARGET_RE = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)


@dataclass
class Target:
    """Something a cross-reference can point at."""

    page: str  # e.g. "book/zoo/beta" (no extension)
    text: str  # "Exercise 2", "Theorem 1", or a section title


@dataclass
class Book:
    titles: dict[str, str] = field(default_factory=dict)  # page -> title
    targets: dict[str, Target] = field(default_factory=dict)  # label -> target
    glue: dict[str, dict[str, nbformat.NotebookNode]] = field(default_factory=dict)
    bib: dict = field(default_factory=dict)


def chapter_numbers() -> dict[str, str]:
    """Page -> chapter number, as the book numbers them (parts with ``numbered: true``, counted
    on across parts), so that "Exercise 8.1" in a copy is "Exercise 8.1" in the book."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    numbers, n = {}, 0
    for part in toc.get("parts", []):
        if not part.get("numbered"):
            continue
        for chapter in part.get("chapters", []):
            n += 1
            numbers[str(Path(chapter["file"]).with_suffix(""))] = f"{n}."
    return numbers


def toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [chapter["file"] for chapter in part.get("chapters", [])]
    return [str(Path(p).with_suffix("")) for p in pages]


def page_title(path: Path) -> str:
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    else:
        text = path.read_text(encoding="utf-8")
    match = re.search(r"^# (.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else path.stem


def strip_fenced_code(text: str) -> str:
    """Markdown without the contents of plain code blocks (for scanning labels)."""
    out: list[str] = []
    directives: list[str] = []  # fences of the open directives
    fence = None  # fence of the open code block
    for line in text.splitlines():
        if fence is not None:
            if closes(line, fence):
                fence = None
            continue
        d = OPEN_RE.match(line)
        if d:
            directives.append(d.group("fence"))
        elif directives and closes(line, directives[-1]):
            directives.pop()
        elif FENCE_RE.match(line):
            fence = FENCE_RE.match(line).group("fence")
            continue
        out.append(line)
    return "\n".join(out)


def scan_labels(page: str, markdown: str, book: Book) -> None:
    """Number this page's directives (per chapter and kind) and record section labels."""
    counters: dict[str, int] = {}
    prefix = chapter_numbers().get(page, "")
    lines = strip_fenced_code(markdown).splitlines()
    for i, line in enumerate(lines):
        m = OPEN_RE.match(line)
        if m and m.group("name") in NUMBERED:
            kind = NUMBERED[m.group("name")]
            counters[kind] = counters.get(kind, 0) + 1
            for opt in lines[i + 1 :]:
                o = OPTION_RE.match(opt)
                if not o:
                    break
                if o.group("key") == "label":
                    book.targets[o.group("value").strip()] = Target(
                        page, f"{kind} {prefix}{counters[kind]}"
                    )
        lm = LABEL_RE.match(line)
        if lm:
            heading = next((x for x in lines[i + 1 :] if x.strip()), "")
            book.targets[lm.group("label")] = Target(page, heading.lstrip("#").strip())


def glued_values(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    out = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("scrapbook")
            if meta:
                prefix = meta.get("mime_prefix", "")
                out[meta["name"]] = {
                    k[len(prefix) :]: v for k, v in output.get("data", {}).items()
                }
    return out


def load_bib() -> dict:
    from pybtex.database import parse_file

    return dict(parse_file(str(ROOT / "references.bib")).entries)


def collect(pages: list[str]) -> Book:
    book = Book(bib=load_bib())
    for page in pages:
        path = source_path(page)
        book.titles[page] = page_title(path)
        if path.suffix == ".ipynb":
            nb = nbformat.read(path, as_version=4)
            markdown = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
            book.glue[page] = glued_values(nb)
        else:
            markdown = path.read_text(encoding="utf-8")
        scan_labels(page, markdown, book)
    return book


def source_path(page: str) -> Path:
    for ext in (".ipynb", ".md"):
        if (ROOT / f"{page}{ext}").is_file():
            return ROOT / f"{page}{ext}"
    raise FileNotFoundError(f"{page}: neither .ipynb nor .md exists")


# --------------------------------------------------------------------------------------------
# Converting one chapter's Markdown
# --------------------------------------------------------------------------------------------


class MystError(ValueError):
    """Syntax the converter does not know: extend the script rather than leave it raw."""


@dataclass
class Chapter:
    page: str
    book: Book
    cited: list[str] = field(default_factory=list)  # since the last footbibliography

    def link(self, page: str, text: str | None = None) -> str:
        text = text or self.book.titles.get(page, page)
        if (ROOT / f"{page}.ipynb").is_file():
            rel = _relpath(f"{page}.ipynb", str(Path(self.page).parent))
            return f"[{text}]({rel})"
        return f"[{text}]({REPO_URL}/blob/{TAG}/{page}.md)"

    def reference(self, label: str, text: str | None) -> str:
        if text:
            return text
        target = self.book.targets.get(label)
        if target is None:
            raise MystError(f"{self.page}: unknown label {label!r}")
        if target.page == self.page:
            return target.text
        return f"{target.text} of {self.link(target.page)}"


def _relpath(target: str, start: str) -> str:
    import os.path

    return os.path.relpath(target, start or ".")


def cite_names(entry) -> str:
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    last = [clean_tex(" ".join(p.last_names)) for p in persons]
    if not last:
        return entry.fields.get("title", "?")
    if len(last) == 1:
        return last[0]
    if len(last) == 2:
        return f"{last[0]} and {last[1]}"
    return f"{last[0]} et al."


def cite(chapter: Chapter, keys: str, textual: bool) -> str:
    parts = []
    for key in [k.strip() for k in keys.split(",") if k.strip()]:
        entry = chapter.book.bib.get(key)
        if entry is None:
            raise MystError(f"{chapter.page}: citation key {key!r} is not in references.bib")
        if key not in chapter.cited:
            chapter.cited.append(key)
        year = entry.fields.get("year", "n.d.")
        names = cite_names(entry)
        parts.append(f"{names} ({year})" if textual else f"{names}, {year}")
    return "; ".join(parts) if textual else f"({'; '.join(parts)})"


def clean_tex(text: str) -> str:
    """BibTeX field text as plain Unicode (accents decoded, braces dropped)."""
    import codecs

    import latexcodec  # noqa: F401  (registers the codec)

    text = codecs.decode(text.replace("--", "–"), "ulatex")
    return re.sub(r"[{}]", "", text)


def bibliography(chapter: Chapter) -> str:
    items = []
    for key in chapter.cited:
        e = chapter.book.bib[key]
        persons = e.persons.get("author") or []
        names = [
            clean_tex(" ".join(p.last_names) + ", " + " ".join(p.first_names + p.middle_names))
            for p in persons
        ]
        who = "; ".join(names) if names else "Anonymous"
        where = e.fields.get("journal") or e.fields.get("booktitle") or e.fields.get("publisher")
        text = f"- {who} ({e.fields.get('year', 'n.d.')}). {clean_tex(e.fields.get('title', ''))}."
        if where:
            text += f" *{clean_tex(where)}*."
        if e.fields.get("doi"):
            text += f" https://doi.org/{e.fields['doi']}"
        elif e.fields.get("url"):
            text += f" {e.fields['url']}"
        items.append(text)
    chapter.cited = []
    return "\n".join(items)


def glue_text(chapter: Chapter, content: str, role: str) -> str:
    from myst_nb.core.variables import format_plain_text

    page, key = chapter.page, content
    if "::" in content:
        path, key = content.split("::", 1)
        page = str((Path(chapter.page).parent / path).with_suffix(""))
    fmt = ""
    if role == "glue:text" and ":" in key:
        key, fmt = key.rsplit(":", 1)
    data = chapter.book.glue.get(page, {}).get(key)
    if data is None:
        raise MystError(f"{chapter.page}: no glued value {key!r} in the stored outputs of {page}")
    if role == "glue:md":
        return data.get("text/markdown", data.get("text/plain", ""))
    return format_plain_text(data["text/plain"], fmt)


def convert_role(chapter: Chapter, m: re.Match) -> str:
    role, content = m.group("role"), m.group("content")
    target = TARGET_RE.match(content)
    text, dest = (target.group("text"), target.group("target")) if target else (None, content)
    if role == "doc":
        page = str(Path(chapter.page).parent / dest)
        page = str(Path(_relpath(str(ROOT / page), str(ROOT)))).replace("\\", "/")
        page = re.sub(r"\.(md|ipynb)$", "", page)
        return chapter.link(page, text)
    if role in ("ref", "prf:ref", "numref", "eq"):
        return chapter.reference(dest, text)
    if role in ("footcite:p", "cite:p", "footcite", "cite"):
        return cite(chapter, content, textual=False)
    if role in ("footcite:t", "cite:t"):
        return cite(chapter, content, textual=True)
    if role in ("func", "meth", "class", "mod", "attr", "data", "obj", "exc", "py:func"):
        if text:
            return f"`{text}`"
        name = dest.lstrip("~.")
        if dest.startswith("~"):
            name = name.rsplit(".", 1)[-1]
        return f"`{name}()`" if role in ("func", "meth", "py:func") else f"`{name}`"
    if role in ("glue", "glue:text", "glue:md"):
        return glue_text(chapter, content, role)
    if role == "math":
        return f"${content}$"
    if role in ("abbr", "sub", "sup", "kbd", "term"):
        return content
    raise MystError(f"{chapter.page}: unknown role {{{role}}}")


def convert_inline(chapter: Chapter, text: str) -> str:
    return ROLE_RE.sub(lambda m: convert_role(chapter, m), text)


def one_line_math(text: str) -> str:
    """Display math on one line, so that a block quote's ``> `` does not end up inside TeX."""
    return re.sub(
        r"\$\$(.+?)\$\$",
        lambda m: "$$ " + " ".join(x.strip() for x in m.group(1).splitlines() if x.strip()) + " $$",
        text,
        flags=re.DOTALL,
    )


def quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.strip("\n").splitlines())


def closes(line: str, fence: str) -> bool:
    s = line.strip()
    return bool(s) and set(s) == {fence[0]} and len(s) >= len(fence)


def convert_markdown(chapter: Chapter, text: str) -> str:
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if LABEL_RE.match(line):  # (label)= before a heading: the heading says it
            i += 1
            continue
        m = OPEN_RE.match(line)
        if m:
            fence = m.group("fence")
            j = i + 1
            options: dict[str, str] = {}
            while j < len(lines) and OPTION_RE.match(lines[j]):
                o = OPTION_RE.match(lines[j])
                options[o.group("key")] = o.group("value").strip()
                j += 1
            body = []
            # The first line that closes this fence (inner code blocks use shorter fences).
            while j < len(lines) and not closes(lines[j], fence):
                body.append(lines[j])
                j += 1
            if j == len(lines):
                raise MystError(f"{chapter.page}: unclosed directive {line!r}")
            out.append(directive(chapter, m.group("name"), m.group("arg").strip(), options,
                                 "\n".join(body)))
            i = j + 1
            continue
        f = FENCE_RE.match(line)
        if f:  # a plain code block: copied as it is
            out.append(line)
            i += 1
            while i < len(lines) and not closes(lines[i], f.group("fence")):
                out.append(lines[i])
                i += 1
            if i < len(lines):
                out.append(lines[i])
            i += 1
            continue
        # equation labels after display math: $$ ... $$ (label)
        line = re.sub(r"^(\s*\$\$)\s*\([\w:-]+\)\s*$", r"\1", line)
        out.append(convert_inline(chapter, line))
        i += 1
    return "\n".join(out)


def directive(chapter: Chapter, name: str, arg: str, options: dict[str, str], body: str) -> str:
    inner = convert_markdown(chapter, body).strip("\n")
    title = convert_inline(chapter, arg)
    if name in NUMBERED:
        label = options.get("label")
        number = chapter.book.targets[label].text if label else NUMBERED[name]
        head = f"**{number}{f' ({title})' if title else ''}.**"
        return quote(one_line_math(f"{head}\n\n{inner}"))
    if name == "prf:proof":
        return quote(one_line_math(f"*Proof.* {inner}\n\n∎"))
    if name == "solution":
        target = chapter.book.targets.get(arg)
        what = target.text.lower() if target else "the exercise"
        return (
            f"<details>\n<summary><b>Solution to {what}</b> (click to open)</summary>\n\n"
            f"{inner}\n\n</details>"
        )
    if name in ("dropdown", "toggle"):
        return f"<details>\n<summary><b>{title or 'More'}</b></summary>\n\n{inner}\n\n</details>"
    if name == "admonition":
        return quote(one_line_math(f"**{title}**\n\n{inner}"))
    if name in ADMONITIONS:
        head = ADMONITIONS[name] + (f": {title}" if title else "")
        return quote(one_line_math(f"**{head}**\n\n{inner}"))
    if name == "footbibliography":
        return bibliography(chapter)
    if name == "math":
        return f"$$\n{body.strip()}\n$$"
    raise MystError(f"{chapter.page}: unknown directive {{{name}}}")


# --------------------------------------------------------------------------------------------
# Writing the copies
# --------------------------------------------------------------------------------------------


def preface(page: str, title: str) -> str:
    return (
        f"*Reader's copy of the chapter \u201c{title}\u201d of the open textbook "
        f"[The likelihood p(x|z) in variational autoencoders]({REPO_URL}), with the outputs "
        "of its last run. Exercises, theorems and definitions are numbered as in the book; "
        "solutions are folded (click to open). In Colab the first code cell installs the "
        "companion package; elsewhere install it once with "
        f"`pip install \"{PACKAGE_SPEC}\"` (it keeps the torch you have). "
        f"Generated from `{page}.ipynb` by `{GENERATED_BY}`: edit that file, not this one.*"
    )


GATED_START_RE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{solution-start\}[ \t]*(?P<arg>\S*)[ \t]*\n"
    r"(?:[ \t]*:[\w-]+:.*\n)*(?P=fence)[ \t]*$",
    re.M,
)
GATED_END_RE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{solution-end\}[ \t]*\n(?P=fence)[ \t]*$", re.M)


def fold_gated_solutions(cells: list) -> list:
    """Fold each gated solution (``{solution-start}`` ... ``{solution-end}``) into one cell.

    A gated solution spans cells, its code cells included, and a ``<details>`` block cannot. The
    region becomes one Markdown cell holding an ordinary ``{solution}`` directive, with the code
    as ``python`` listings (their outputs dropped); :func:`directive` then folds it like any other
    solution. The code of a solution is for reading, so nothing later depends on running it.
    """
    out: list = []
    gathered: list[str] | None = None
    label = ""
    for cell in cells:
        text = cell.source
        if gathered is None:
            m = GATED_START_RE.search(text) if cell.cell_type == "markdown" else None
            if not m:
                out.append(cell)
                continue
            before, after = text[: m.start()], text[m.end():]
            if before.strip():
                out.append(nbformat.v4.new_markdown_cell(before, id=f"{cell.get('id', 'g')}-a"))
            gathered, label, text = [], m.group("arg"), after
            cell = nbformat.v4.new_markdown_cell(text)
        if cell.cell_type == "code":
            gathered.append(f"```python\n{cell.source.rstrip()}\n```")
            continue
        end = GATED_END_RE.search(cell.source)
        if not end:
            gathered.append(cell.source.strip("\n"))
            continue
        gathered.append(cell.source[: end.start()].strip("\n"))
        body = "\n\n".join(part for part in gathered if part.strip())
        out.append(nbformat.v4.new_markdown_cell(
            f"``````{{solution}} {label}\n{body}\n``````", id=f"reader-solution-{label}"))
        rest = cell.source[end.end():]
        if rest.strip():
            out.append(nbformat.v4.new_markdown_cell(rest, id=f"reader-after-{label}"))
        gathered = None
    if gathered is not None:
        raise MystError(f"{{solution-start}} {label} has no {{solution-end}}")
    return out


def reader_copy(page: str, book: Book) -> nbformat.NotebookNode:
    path = ROOT / f"{page}.ipynb"
    nb = nbformat.read(path, as_version=4)
    chapter = Chapter(page, book)
    cells = [nbformat.v4.new_markdown_cell(preface(page, book.titles[page]), id="reader-preface")]
    figure, prefix = 0, chapter_numbers().get(page, "")
    for cell in fold_gated_solutions(copy.deepcopy(nb.cells)):
        cell.metadata.pop("execution", None)
        if cell.cell_type == "markdown":
            cell.source = convert_markdown(chapter, cell.source)
        elif is_colab_cell(cell):
            cell.source = colab_cell_source(nb, path)
            cell.metadata.pop("tags", None)
            cell.outputs, cell.execution_count = [], None
        elif cell.cell_type == "code":
            # Glued values are in the prose now; their hidden outputs would only show as
            # "no renderer" boxes in JupyterLab.
            cell.outputs = [o for o in cell.outputs
                            if "scrapbook" not in o.get("metadata", {})]
        cells.append(cell)
        fig = cell.metadata.get("mystnb", {}).get("figure", {}) if cell.cell_type == "code" else {}
        if fig.get("caption"):
            figure += 1
            caption = convert_inline(chapter, fig["caption"])
            cells.append(nbformat.v4.new_markdown_cell(
                f"**Figure {prefix}{figure}.** {caption}", id=f"reader-figure-{figure}"))
    return nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(nb.metadata))


def write_all(out: Path) -> list[Path]:
    pages = toc_pages()
    book = collect(pages)
    written = []
    for page in pages:
        src = ROOT / f"{page}.ipynb"
        if not src.is_file():
            continue
        dest = out / f"{page}.ipynb"
        dest.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(reader_copy(page, book), dest)
        written.append(dest)
        # Data files the chapters read (results of earlier chapters), next to the copies.
        for data in sorted(src.parent.glob("*.json")):
            shutil.copy(data, dest.parent / data.name)
            if dest.parent / data.name not in written:
                written.append(dest.parent / data.name)
    readme = out / "README.md"
    readme.write_text(
        "# Reader copies of the chapters\n\n"
        "Notebooks that read well in Jupyter, JupyterLab, Colab and on GitHub: the same code "
        "and stored outputs as the chapters in `../book/`, with the book's MyST syntax turned "
        "into plain Markdown (numbered exercises and theorems as block quotes, solutions "
        "folded, cross-references and citations as text, glued numbers filled in). The book's "
        "Binder and Colab buttons open these.\n\n"
        f"Generated by `{GENERATED_BY}` (`make readers`); do not edit by hand. "
        "`tests/test_reader_copies.py` fails when they are out of date.\n",
        encoding="utf-8",
    )
    written.append(readme)
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="compare with --out, write nothing")
    args = parser.parse_args(argv)
    if not args.check:
        if args.out.exists():
            shutil.rmtree(args.out)
        for path in write_all(args.out):
            print(path.relative_to(args.out.parent))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "readers"
        stale = diff_trees(fresh, args.out, write_all(fresh))
    for line in stale:
        print(line)
    return 1 if stale else 0


def diff_trees(fresh: Path, committed: Path, written: list[Path]) -> list[str]:
    problems = []
    expected = {p.relative_to(fresh) for p in written}
    present = {
        p.relative_to(committed) for p in committed.rglob("*")
        if p.is_file() and ".ipynb_checkpoints" not in p.parts  # Jupyter's, git-ignored
    } if committed.exists() else set()
    for rel in sorted(expected - present):
        problems.append(f"missing: readers/{rel}")
    for rel in sorted(present - expected):
        problems.append(f"not generated (delete it): readers/{rel}")
    for rel in sorted(expected & present):
        a = (committed / rel).read_text(encoding="utf-8")
        b = (fresh / rel).read_text(encoding="utf-8")
        if a != b:
            diff = difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
            problems.append(f"out of date: readers/{rel}\n" + "\n".join(list(diff)[:12]))
    return problems


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
