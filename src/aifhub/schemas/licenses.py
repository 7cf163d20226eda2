"""The licence identifiers the catalogue accepts (shipped as data: data/licenses.json)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "licenses.json"


@lru_cache
def licenses() -> dict[str, dict[str, Any]]:
    """Known licences by lower-case id (Hugging Face's identifiers, SPDX where one exists)."""
    return {entry["id"]: entry for entry in json.loads(DATA.read_text())["licenses"]}


def normalise_license(value: str) -> str:
    """The canonical id of a licence (case-insensitive, SPDX spelling accepted) or ValueError."""
    key = value.strip().lower()
    known = licenses()
    if key in known:
        return key
    for lid, entry in known.items():
        if entry["spdx"] and entry["spdx"].lower() == key:
            return lid
    raise ValueError(
        f"unknown licence '{value}': use an SPDX / Hugging Face id such as apache-2.0, mit, "
        "cc-by-4.0, or 'other' with license_name and license_link"
    )


def license_url(license_id: str, link: str | None = None) -> str | None:
    """A URL describing the licence: the SPDX page, or the link given for 'other'."""
    entry = licenses().get(license_id)
    if entry and entry["spdx"] and entry["spdx"] != "etalab-2.0":
        return f"https://spdx.org/licenses/{entry['spdx']}.html"
    return link
