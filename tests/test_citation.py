"""CITATION.cff is valid Citation File Format 1.2.0, converts cleanly, and agrees with the repo.

The conversions are the ones readers and archives use: BibTeX and APA (cffconvert, as GitHub's
"Cite this repository" offers) and Zenodo's JSON (what Zenodo reads when it archives a release).
Each must carry the title, the year, the version and the author.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml
from cffconvert.citation import Citation
from jsonschema.exceptions import ValidationError

import vae_tutorial

ROOT = Path(__file__).resolve().parents[1]
CFF = ROOT / "CITATION.cff"


@pytest.fixture(scope="module")
def cff_text() -> str:
    assert CFF.is_file(), "CITATION.cff is missing at the repository root"
    return CFF.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def cff(cff_text: str) -> dict:
    return yaml.safe_load(cff_text)


def test_citation_cff_is_valid(cff_text: str) -> None:
    citation = Citation(cff_text, src=str(CFF))
    assert citation.cffversion == "1.2.0"
    citation.validate()  # raises jsonschema's ValidationError, naming the offending key


def test_validator_rejects_an_invalid_file() -> None:
    """Guard against a validator that accepts anything: a file without authors must fail."""
    with pytest.raises(ValidationError, match="authors"):
        Citation("cff-version: 1.2.0\nmessage: m\ntitle: t\n").validate()


TITLE = "The likelihood p(x|z) in variational autoencoders"
AUTHOR = "The vae-likelihood-book authors"


def test_bibtex_has_title_year_version_author(cff_text: str, cff: dict) -> None:
    from pybtex.database import parse_string

    bibtex = Citation(cff_text).as_bibtex()
    (entry,) = parse_string(bibtex, "bibtex").entries.values()
    assert entry.fields["title"] == TITLE
    assert entry.fields["year"] == str(cff["date-released"])[:4] == "2026"
    # cffconvert's BibTeX has no version field: the version is in the release URL it links to.
    assert entry.fields["url"].endswith(f"/releases/tag/v{cff['version']}")
    (author,) = entry.persons["author"]
    # cffconvert writes the entity without protecting braces, so BibTeX splits it into name
    # parts; the text is intact (how_to_cite.md gives an entry with {{...}} for BibTeX users).
    assert " ".join(author.first_names + author.prelast_names + author.last_names) == AUTHOR


def test_apa_has_title_year_version_author(cff_text: str, cff: dict) -> None:
    apa = Citation(cff_text).as_apalike()
    assert apa.startswith(f"{AUTHOR} (2026). {TITLE} (version {cff['version']}).")


def test_zenodo_has_title_year_version_author_licence(cff_text: str, cff: dict) -> None:
    zenodo = json.loads(Citation(cff_text).as_zenodo())
    assert zenodo["title"] == TITLE
    assert zenodo["publication_date"] == str(cff["date-released"])
    assert zenodo["version"] == str(cff["version"])
    assert zenodo["creators"] == [{"name": AUTHOR}]
    assert zenodo["license"] == {"id": "MIT"}  # one SPDX id, not a list


def test_codemeta_licence_is_one_spdx_url(cff_text: str) -> None:
    codemeta = json.loads(Citation(cff_text).as_codemeta())
    assert codemeta["license"] == "https://spdx.org/licenses/MIT"


def test_release_identifier_and_date(cff: dict) -> None:
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(cff["date-released"]))
    urls = [i["value"] for i in cff["identifiers"] if i["type"] == "url"]
    assert f"{cff['repository-code']}/releases/tag/v{cff['version']}" in urls
    pref = cff["preferred-citation"]
    assert str(pref["version"]) == str(cff["version"])
    assert str(pref["date-released"]) == str(cff["date-released"])
    assert pref["authors"] == [{"name": AUTHOR}]
    (author,) = cff["authors"]
    assert author["name"] == AUTHOR and not {"given-names", "family-names"} & set(author)


def test_changelog_has_this_version(cff: dict) -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[?{re.escape(str(cff['version']))}\]? .*{cff['date-released']}",
                     changelog, re.MULTILINE), "CHANGELOG.md has no entry for this release"


def test_version_matches_package(cff: dict) -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert str(cff["version"]) == pyproject["project"]["version"] == vae_tutorial.__version__


def test_title_matches_book(cff: dict) -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert cff["title"] == config["title"]
    assert cff["preferred-citation"]["title"] == config["title"]


def test_licenses_match_license_file(cff: dict) -> None:
    """One licence per work: the code (the software record) MIT, the book CC BY 4.0."""
    assert cff["license"] == "MIT"
    assert cff["preferred-citation"]["license"] == "CC-BY-4.0"
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Creative Commons Attribution 4.0 International" in license_text
    assert "Permission is hereby granted, free of charge" in license_text  # the MIT text


def test_how_to_cite_page_agrees(cff: dict) -> None:
    page = (ROOT / "book" / "reference" / "how_to_cite.md").read_text(encoding="utf-8")
    entry = re.search(r"```bibtex\n(@\w+\{.*?\n\})\n```", page, re.DOTALL)
    assert entry, "how_to_cite.md has no ```bibtex block"
    bib = entry.group(1)
    assert f"version      = {{{cff['version']}}}" in bib
    assert f"year         = {{{str(cff['date-released'])[:4]}}}" in bib
    assert "{{The vae-likelihood-book authors}}" in bib
    assert cff["repository-code"] in bib
