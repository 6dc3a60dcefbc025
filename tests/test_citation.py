"""CITATION.cff is valid Citation File Format 1.2.0 and agrees with the rest of the repository."""

from __future__ import annotations

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


def test_citation_converts_to_bibtex(cff_text: str) -> None:
    bibtex = Citation(cff_text).as_bibtex()
    assert "The likelihood p(x|z) in variational autoencoders" in bibtex


def test_version_matches_package(cff: dict) -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert str(cff["version"]) == pyproject["project"]["version"] == vae_tutorial.__version__


def test_title_matches_book(cff: dict) -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert cff["title"] == config["title"]
    assert cff["preferred-citation"]["title"] == config["title"]


def test_licenses_match_license_file(cff: dict) -> None:
    assert set(cff["license"]) == {"CC-BY-4.0", "MIT"}
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Creative Commons Attribution 4.0 International" in license_text
    assert "Permission is hereby granted, free of charge" in license_text  # the MIT text


def test_how_to_cite_page_agrees(cff: dict) -> None:
    page = (ROOT / "book" / "reference" / "how_to_cite.md").read_text(encoding="utf-8")
    entry = re.search(r"```bibtex\n(@\w+\{.*?\n\})\n```", page, re.DOTALL)
    assert entry, "how_to_cite.md has no ```bibtex block"
    bib = entry.group(1)
    assert f"version      = {{{cff['version']}}}" in bib
    assert cff["repository-code"] in bib
