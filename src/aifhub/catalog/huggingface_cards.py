"""Hugging Face cards (README.md with YAML front matter) in and out, losslessly.

An imported card's front matter is kept verbatim (Asset.card_metadata) and exported as given:
`model-index`, `widget`, `configs`, `dataset_info`, gating fields... travel untouched. The
asset's columns are the catalogue's index of it (licence, languages, task, base models, tags);
an edit of one of them through the API rewrites that key of the kept metadata only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from aifhub.catalog.models import Asset
from aifhub.core.errors import InvalidInput
from aifhub.schemas import catalog as schemas
from aifhub.schemas.licenses import normalise_license

MAX_CARD_BYTES = 1_000_000
# The asset columns a card's front matter sets (what an edit must write back into it).
CARD_FIELDS = (
    "name", "license", "license_name", "license_link", "languages", "tags", "metrics",
    "task", "size_category", "library_name", "base_models", "training_datasets",
)  # fmt: skip
# What a card whose front matter lacks a key leaves in that column (PUT .../card).
CARD_DEFAULTS: dict[str, Any] = {
    "license": "unknown", "license_name": None, "license_link": None, "languages": [],
    "tags": [], "metrics": [], "task": None, "size_category": None, "library_name": None,
    "base_models": [], "base_model": None, "training_datasets": [],
}  # fmt: skip


@dataclass(frozen=True)
class ParsedCard:
    """A card split: its front matter as data and as text (None without one), and its body."""

    meta: dict[str, Any]
    raw: str | None
    body: str


def parse_card(text: str) -> ParsedCard:
    """The front matter (parsed and verbatim) and the Markdown body of a card."""
    if len(text.encode()) > MAX_CARD_BYTES:
        raise InvalidInput(f"the card is larger than {MAX_CARD_BYTES} bytes")
    text = text.lstrip("\ufeff")
    if not text.startswith("---"):
        return ParsedCard({}, None, text)
    lines = text.split("\n")
    if lines[0].strip() != "---":
        raise InvalidInput("the card's first line must be exactly '---' to open the front matter")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise InvalidInput("the card's YAML front matter is not closed by a '---' line") from None
    raw = "\n".join(lines[1:end])
    try:
        meta = yaml.safe_load(raw) if raw.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidInput(f"the card's YAML front matter is malformed{where}: {problem}") from exc
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise InvalidInput("the card's front matter must be a YAML mapping (key: value lines)")
    return ParsedCard(meta, raw, "\n".join(lines[end + 1 :]).lstrip("\n"))


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """The YAML front matter (as a mapping) and the Markdown body of a card."""
    card = parse_card(text)
    return card.meta, card.body


def _scalar(value: Any, key: str) -> str:
    if isinstance(value, bool):
        # YAML 1.1 reads an unquoted `no` (Norwegian) as false; the Hub's YAML 1.2 does not.
        if key in ("language", "languages") and value is False:
            return "no"
        raise InvalidInput(f"card field '{key}' has a yes/no value where a string is expected")
    return str(value)


def _as_list(meta: dict[str, Any], key: str) -> list[str] | None:
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, str | int | float):
        return [_scalar(value, key)]
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return [_scalar(v, key) for v in value]
    if isinstance(value, list) and key == "metrics":
        return [str(v.get("name") or v.get("type")) for v in value if isinstance(v, dict)]
    if isinstance(value, dict) and key == "languages":
        # The old multi-configuration form: `languages: {config: [en, fr]}`.
        flat = [v for vs in value.values() for v in (vs if isinstance(vs, list) else [vs])]
        return _as_list({key: flat}, key)
    raise InvalidInput(f"card field '{key}' must be a string or a list of strings")


def _either(meta: dict[str, Any], key: str, legacy: str) -> list[str] | None:
    """A list field under its current key, else under the old plural one (`licenses`)."""
    found = _as_list(meta, key)
    return found if found is not None else _as_list(meta, legacy)


def _summary(body: str) -> str | None:
    for para in body.split("\n\n"):
        text = " ".join(line.strip() for line in para.splitlines()).strip()
        if text and not text.startswith(("#", "<", "|", "```", "!", "[!", "-", "*")):
            return text[:1000]
    return None


def _check_licenses(licenses: list[str]) -> None:
    for value in licenses:
        try:
            normalise_license(value)
        except ValueError as exc:
            raise InvalidInput(f"the card's front matter has bad values: license: {exc}") from exc


def fields_from_meta(meta: dict[str, Any], body: str, *, kind: str) -> dict[str, Any]:
    """Asset fields read from a card's front matter and body (validated: bad values are a
    422 naming the field and the value)."""
    fields: dict[str, Any] = {"card": body}
    if (langs := _either(meta, "language", "languages")) is not None:
        fields["languages"] = langs
    if licenses := _either(meta, "license", "licenses"):
        _check_licenses(licenses)
        fields["license"] = licenses[0]  # the catalogue indexes one: the first given
    for key in ("license_name", "license_link", "library_name"):
        if meta.get(key) is not None:
            fields[key] = _scalar(meta[key], key)
    for key, field in (("tags", "tags"), ("metrics", "metrics"), ("datasets", "training_datasets")):
        if (values := _as_list(meta, key)) is not None:
            fields[field] = values
    if base := _as_list(meta, "base_model"):
        fields["base_models"] = base
    task = meta.get("pipeline_tag") or next(iter(_as_list(meta, "task_categories") or []), None)
    if task:
        fields["task"] = _scalar(task, "pipeline_tag")
    sizes = [s for s in _as_list(meta, "size_categories") or [] if s != "unknown"]
    if sizes:
        fields["size_category"] = sizes[0]
    if meta.get("pretty_name"):
        fields["name"] = str(meta["pretty_name"])[:200]
    if summary := _summary(body):
        fields["summary"] = summary
    if kind == "dataset":
        fields.pop("library_name", None)
        fields.pop("base_models", None)
    try:
        checked = schemas.AssetUpdate.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InvalidInput(f"the card's front matter has bad values: {problems}") from exc
    return checked.model_dump(exclude_none=True, exclude_unset=True, mode="json")


def fields_from_card(text: str, *, kind: str) -> dict[str, Any]:
    """Asset fields read from a Hugging Face card (validated: bad values are a 422)."""
    card = parse_card(text)
    return fields_from_meta(card.meta, card.body, kind=kind)


def _generated_metadata(asset: Asset) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if asset.languages:
        meta["language"] = list(asset.languages)
    meta["license"] = asset.license
    if asset.license == "other":
        meta["license_name"] = asset.license_name
        meta["license_link"] = asset.license_link
    if asset.kind == "model":
        if asset.library_name:
            meta["library_name"] = asset.library_name
        if bases := list(asset.base_models or []):
            meta["base_model"] = bases[0] if len(bases) == 1 else bases
        if asset.training_datasets:
            meta["datasets"] = list(asset.training_datasets)
        if asset.task:
            meta["pipeline_tag"] = asset.task
    else:
        if asset.task:
            meta["task_categories"] = [asset.task]
        if asset.size_category:
            meta["size_categories"] = [asset.size_category]
        meta["pretty_name"] = asset.name
    if asset.tags:
        meta["tags"] = list(asset.tags)
    if asset.metrics:
        meta["metrics"] = list(asset.metrics)
    return meta


def _dump(meta: dict[str, Any]) -> str:
    return yaml.safe_dump(meta, sort_keys=False, allow_unicode=True).rstrip("\n")


def card_of(asset: Asset) -> str:
    """The asset as a Hugging Face README.md (YAML front matter + Markdown body): an imported
    card's front matter exactly as it was given (with the edits made since), else one made
    from the asset's fields."""
    if asset.card_metadata is not None:
        return f"---\n{asset.card_metadata}\n---\n\n{asset.card}"
    body = asset.card or f"# {asset.name}\n\n{asset.summary}\n"
    return f"---\n{_dump(_generated_metadata(asset))}\n---\n\n{body}"


def _set(meta: dict[str, Any], key: str, value: Any) -> None:
    if value in (None, [], ""):
        meta.pop(key, None)
    else:
        meta[key] = value


def rewrite_metadata(raw: str, asset: Asset, changed: Iterable[str]) -> str:
    """The kept front matter with the keys behind the changed asset fields rewritten from the
    asset (every other key, and the text when nothing maps, stays as it was)."""
    meta = yaml.safe_load(raw) if raw.strip() else {}
    meta = meta if isinstance(meta, dict) else {}
    # The old plural `languages` key is rewritten in place when the card uses it.
    lang_key = "languages" if "languages" in meta and "language" not in meta else "language"
    plain = {"languages": lang_key, "license_name": "license_name", "tags": "tags",
             "license_link": "license_link", "metrics": "metrics",
             "library_name": "library_name", "training_datasets": "datasets"}  # fmt: skip
    touched = False
    for field in changed:
        value = getattr(asset, field)
        if field in plain:
            _set(meta, plain[field], list(value) if isinstance(value, list) else value)
        elif field == "license":
            meta.pop("licenses", None)
            meta["license"] = value
        elif field == "base_models":
            bases = list(value or [])
            _set(meta, "base_model", bases[0] if len(bases) == 1 else bases)
        elif field == "task" and asset.kind == "model":
            _set(meta, "pipeline_tag", value)
        elif field == "task":
            rest = [t for t in (_as_list(meta, "task_categories") or [])[1:] if t != value]
            _set(meta, "task_categories", ([value] if value else []) + rest)
        elif field == "size_category":
            _set(meta, "size_categories", [value] if value else [])
        elif field == "name" and (asset.kind == "dataset" or "pretty_name" in meta):
            meta["pretty_name"] = value
        else:
            continue
        touched = True
    return _dump(meta) if touched else raw
