"""Catalogue request and response bodies."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from aifhub.schemas.enums.catalog import AccessPolicy, AssetKind
from aifhub.schemas.enums.identity import Sector
from aifhub.schemas.fields import Country, LongText, Name, Slug
from aifhub.schemas.licenses import normalise_license
from aifhub.schemas.policy import PolicyError, validate_policy

SIZE_CATEGORIES = (
    "n<1K",
    "1K<n<10K",
    "10K<n<100K",
    "100K<n<1M",
    "1M<n<10M",
    "10M<n<100M",
    "100M<n<1B",
    "1B<n<10B",
    "10B<n<100B",
    "100B<n<1T",
    "n>1T",
)
MODALITIES = ("text", "image", "audio", "video", "tabular", "time-series", "3d", "multimodal")
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
# A well-formed BCP-47 tag (RFC 5646 langtag: language, script, region, variants, extensions,
# private use), e.g. fr, pt-BR, zh-Hans, sr-Latn-RS; plus the Hub's pseudo-languages.
BCP47 = re.compile(
    r"^(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})"
    r"(?:-[a-z]{4})?(?:-(?:[a-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*"
    r"(?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*(?:-x(?:-[a-z0-9]{1,8})+)?$"
)
HUB_PSEUDO_LANGUAGES = ("code", "multilingual")


def language_tag(value: str) -> str:
    """A language tag in its canonical case (fr, pt-BR, zh-Hans) or ValueError naming it."""
    tag = value.strip()
    if tag.lower() in HUB_PSEUDO_LANGUAGES:
        return tag.lower()
    if len(tag) > 64 or not BCP47.match(tag.lower()):
        raise ValueError(
            f"'{value}' is not a language tag: use a BCP-47 tag such as fr, pt-BR or zh-Hans, "
            f"or {' / '.join(HUB_PSEUDO_LANGUAGES)}"
        )
    parts = tag.lower().split("-")
    out, extension = [parts[0]], False
    for part in parts[1:]:
        extension = extension or len(part) == 1  # after a singleton, all stays lower case
        if not extension and len(part) == 4 and part.isalpha():
            part = part.title()  # script: Hans
        elif not extension and len(part) == 2 and part.isalpha():
            part = part.upper()  # region: BR
        out.append(part)
    return "-".join(out)


Language = Annotated[str, AfterValidator(language_tag)]
# A licence link: an http(s) URL, or a path in the asset's own files (the Hub's `LICENSE`).
LicenseLink = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        max_length=500,
        pattern=r"^(?:https?://\S+|(?:\./)?[A-Za-z0-9_][A-Za-z0-9._-]*"
        r"(?:/[A-Za-z0-9_][A-Za-z0-9._-]*)*)$",
    ),
]
License = Annotated[str, AfterValidator(normalise_license)]
# A card's Markdown body: real Hub cards run well past LongText (the whole README is capped at
# 1 MB where it is read).
CardBody = Annotated[str, StringConstraints(max_length=1_000_000)]
Label = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$"
    ),
]


def _size(value: str | None) -> str | None:
    if value is not None and value not in SIZE_CATEGORIES:
        raise ValueError(f"size category must be one of {', '.join(SIZE_CATEGORIES)}")
    return value


def _modality(value: str | None) -> str | None:
    if value is not None and value not in MODALITIES:
        raise ValueError(f"modality must be one of {', '.join(MODALITIES)}")
    return value


def _policy(value: dict[str, Any]) -> dict[str, Any]:
    if value:
        try:
            validate_policy(value)
        except PolicyError as exc:
            raise ValueError(f"policy rules: {exc}") from exc
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GateQuestion(Strict):
    """A question asked when a project requests a gated asset."""

    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,40}$")]
    label: Name
    type: Literal["text", "checkbox", "country", "select"]
    options: list[Tag] = []
    required: bool = True

    @model_validator(mode="after")
    def _options(self) -> GateQuestion:
        if self.type == "select" and not self.options:
            raise ValueError(f"question '{self.name}': a select needs options")
        return self


class AssetFields(Strict):
    """The descriptive fields shared by create and update."""

    name: Name | None = None
    summary: Annotated[str, StringConstraints(max_length=1000)] | None = None
    card: CardBody | None = None
    license: License | None = None
    license_name: Annotated[str, StringConstraints(max_length=200)] | None = None
    license_link: LicenseLink | None = None
    tags: list[Tag] | None = Field(default=None, max_length=50)
    task: Annotated[str, StringConstraints(max_length=64, pattern=r"^[a-z0-9-]+$")] | None = None
    languages: list[Language] | None = Field(default=None, max_length=200)
    modality: Annotated[str | None, AfterValidator(_modality)] = None
    size_category: Annotated[str | None, AfterValidator(_size)] = None
    sectors: list[Sector] | None = None
    origin_country: Country | None = None
    hosted_country: Country | None = None
    base_model: Annotated[str, StringConstraints(max_length=200)] | None = None
    base_models: list[Annotated[str, StringConstraints(max_length=200)]] | None = Field(
        default=None, max_length=50
    )
    training_datasets: list[Annotated[str, StringConstraints(max_length=200)]] | None = None
    library_name: Annotated[str, StringConstraints(max_length=64)] | None = None
    metrics: list[Tag] | None = None
    citation: LongText | None = None
    contact: Annotated[str, StringConstraints(max_length=320)] | None = None
    access_policy: AccessPolicy | None = None
    policy_rules: Annotated[dict[str, Any], AfterValidator(_policy)] | None = None
    gate_questions: list[GateQuestion] | None = None
    grant_days: Annotated[int, Field(ge=1, le=3650)] | None = None

    @field_validator("tags", "languages", "metrics", "training_datasets", "base_models")
    @classmethod
    def _unique(cls, value: list[str] | None) -> list[str] | None:
        return list(dict.fromkeys(value)) if value is not None else None


class AssetCreate(AssetFields):
    kind: AssetKind
    organisation: Slug
    slug: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True,
            to_lower=True,
            min_length=2,
            max_length=130,
            pattern=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?/[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$",
        ),
    ]
    name: Name
    license: License


class AssetUpdate(AssetFields):
    pass


class AssetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    slug: str
    organisation: str
    name: str
    summary: str
    card: str
    license: str
    license_name: str | None
    license_link: str | None
    tags: list[str]
    task: str | None
    languages: list[str]
    modality: str | None
    size_category: str | None
    sectors: list[str]
    origin_country: str | None
    hosted_country: str | None
    sovereignty: str
    base_model: str | None
    base_models: list[str]
    training_datasets: list[str]
    library_name: str | None
    metrics: list[str]
    citation: str
    contact: str | None
    access_policy: str
    policy_rules: dict[str, Any]
    gate_questions: list[dict[str, Any]]
    grant_days: int
    downloads: int
    created_at: datetime
    updated_at: datetime


class AssetHit(BaseModel):
    """A search result: what a list shows."""

    slug: str
    kind: str
    name: str
    summary: str
    organisation: str
    license: str
    task: str | None
    languages: list[str]
    access_policy: str
    sovereignty: str
    downloads: int
    updated_at: datetime


class Facet(BaseModel):
    value: str
    count: int


class SearchResult(BaseModel):
    items: list[AssetHit]
    total: int
    total_exact: bool = True  # False: at least `total` assets match
    limit: int
    offset: int
    facets: dict[str, list[Facet]]
    facets_exact: bool = True  # False: counted over the first matches only


class VersionCreate(Strict):
    label: Label
    notes: LongText = ""


class FileRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    path: str
    sha256: str
    size: int


class VersionRead(BaseModel):
    label: str
    state: str
    notes: str
    created_at: datetime
    published_at: datetime | None
    total_bytes: int
    files: list[FileRead] = []


class AccessRequestCreate(Strict):
    project: Slug
    purpose: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=10, max_length=5000)
    ]
    answers: dict[str, Any] = {}


class ContractDecision(Strict):
    note: Annotated[str, StringConstraints(max_length=2000)] = ""
    terms: Annotated[str, StringConstraints(max_length=10000)] | None = None
    days: Annotated[int, Field(ge=1, le=3650)] | None = None


class ContractRead(BaseModel):
    id: int
    asset: str
    project: str
    organisation: str
    state: str
    purpose: str
    answers: dict[str, Any]
    terms: str
    obligations: list[dict[str, Any]]
    decision_note: str
    requested_at: datetime
    agreed_at: datetime | None
    finalized_at: datetime | None
    ended_at: datetime | None
    expires_at: datetime | None
    active: bool


class AccessLogRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    action: str
    version: str | None
    path: str | None
    user_id: int | None
    user: str | None = None  # the e-mail address of who accessed, while the account exists
    project: str | None
    job_key: str | None
    client_addr: str | None
