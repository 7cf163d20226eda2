"""Hugging Face cards (README.md with YAML front matter) in and out."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError

from aifhub.catalog.models import Asset
from aifhub.core.errors import InvalidInput
from aifhub.schemas import catalog as schemas

MAX_CARD_BYTES = 1_000_000


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """The YAML front matter (as a mapping) and the Markdown body of a card."""
    if len(text.encode()) > MAX_CARD_BYTES:
        raise InvalidInput(f"the card is larger than {MAX_CARD_BYTES} bytes")
    text = text.lstrip("\ufeff")
    if not text.startswith("---"):
        return {}, text
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
    return meta, "\n".join(lines[end + 1 :]).lstrip("\n")


def _as_list(meta: dict[str, Any], key: str) -> list[str] | None:
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, str | int | float):
        return [str(value)]
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return [str(v) for v in value]
    if isinstance(value, list) and key == "metrics":
        return [str(v.get("name") or v.get("type")) for v in value if isinstance(v, dict)]
    raise InvalidInput(f"card field '{key}' must be a string or a list of strings")


def _first(meta: dict[str, Any], key: str) -> str | None:
    values = _as_list(meta, key)
    return values[0] if values else None


def _summary(body: str) -> str | None:
    for para in body.split("\n\n"):
        text = " ".join(line.strip() for line in para.splitlines()).strip()
        if text and not text.startswith(("#", "<", "|", "```", "!", "[!", "-", "*")):
            return text[:1000]
    return None


def fields_from_card(text: str, *, kind: str) -> dict[str, Any]:
    """Asset fields read from a Hugging Face card (validated: bad values are a 422)."""
    meta, body = split_front_matter(text)
    fields: dict[str, Any] = {"card": body}
    if (langs := _as_list(meta, "language")) is not None:
        fields["languages"] = langs
    for key in ("license", "license_name", "license_link", "library_name"):
        if meta.get(key) is not None:
            fields[key] = str(meta[key])
    if (tags := _as_list(meta, "tags")) is not None:
        fields["tags"] = tags
    if (metrics := _as_list(meta, "metrics")) is not None:
        fields["metrics"] = metrics
    if (base := _first(meta, "base_model")) is not None:
        fields["base_model"] = base
    if (datasets := _as_list(meta, "datasets")) is not None:
        fields["training_datasets"] = datasets
    task = meta.get("pipeline_tag") or _first(meta, "task_categories")
    if task:
        fields["task"] = str(task)
    if (size := _first(meta, "size_categories")) is not None:
        fields["size_category"] = size
    if meta.get("pretty_name"):
        fields["name"] = str(meta["pretty_name"])[:200]
    if summary := _summary(body):
        fields["summary"] = summary
    if kind == "dataset":
        fields.pop("library_name", None)
        fields.pop("base_model", None)
    try:
        checked = schemas.AssetUpdate.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InvalidInput(f"the card's front matter has bad values: {problems}") from exc
    return checked.model_dump(exclude_none=True, exclude_unset=True, mode="json")


def card_of(asset: Asset) -> str:
    """The asset as a Hugging Face README.md (YAML front matter + Markdown body)."""
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
        if asset.base_model:
            meta["base_model"] = asset.base_model
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
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
    body = asset.card or f"# {asset.name}\n\n{asset.summary}\n"
    return f"---\n{front}---\n\n{body}"
