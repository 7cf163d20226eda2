"""Catalogue tables: assets, versions and files, access contracts (grants), the access log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from aifhub.core.db import Base, utcnow


class Asset(Base):
    """A dataset or an AI model, owned by an organisation."""

    __tablename__ = "catalog_assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), index=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    slug: Mapped[str] = mapped_column(String(130), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(1000), default="")
    card: Mapped[str] = mapped_column(Text, default="")
    # An imported Hugging Face card's YAML front matter, verbatim: exported as given (the
    # columns are its index; an edit through the API rewrites the keys it changes).
    card_metadata: Mapped[str | None] = mapped_column(Text)
    license: Mapped[str] = mapped_column(String(64), index=True)
    license_name: Mapped[str | None] = mapped_column(String(200))
    license_link: Mapped[str | None] = mapped_column(String(500))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    task: Mapped[str | None] = mapped_column(String(64), index=True)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    modality: Mapped[str | None] = mapped_column(String(32))
    size_category: Mapped[str | None] = mapped_column(String(20))
    sectors: Mapped[list[str]] = mapped_column(JSON, default=list)
    origin_country: Mapped[str | None] = mapped_column(String(2))
    hosted_country: Mapped[str | None] = mapped_column(String(2))
    # Derived from origin/hosting: "eu" (made and hosted in the EU), "eu_hosted", "non_eu".
    sovereignty: Mapped[str] = mapped_column(String(16), index=True, default="non_eu")
    # The first of base_models (the one a short listing shows); base_models holds them all.
    base_model: Mapped[str | None] = mapped_column(String(200))
    base_models: Mapped[list[str]] = mapped_column(JSON, default=list)
    training_datasets: Mapped[list[str]] = mapped_column(JSON, default=list)
    library_name: Mapped[str | None] = mapped_column(String(64))
    metrics: Mapped[list[str]] = mapped_column(JSON, default=list)
    citation: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str | None] = mapped_column(String(320))
    access_policy: Mapped[str] = mapped_column(String(12), index=True, default="open")
    # ODRL-style rules of a restricted asset; questions asked by a gated one.
    policy_rules: Mapped[dict] = mapped_column(JSON, default=dict)
    gate_questions: Mapped[list[dict]] = mapped_column(JSON, default=list)
    grant_days: Mapped[int] = mapped_column(default=365)
    # What full-text search indexes (name, slug, summary, tags, task, card), kept by the service.
    search_text: Mapped[str] = mapped_column(Text, default="")
    downloads: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AssetVersion(Base):
    """A revision of an asset: a draft receives files, then is published and never changes."""

    __tablename__ = "catalog_versions"
    __table_args__ = (UniqueConstraint("asset_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("catalog_assets.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(10), default="draft")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    total_bytes: Mapped[int] = mapped_column(BigInteger, default=0)


class AssetFile(Base):
    """A file of a version: its path in the version and its object in the content store."""

    __tablename__ = "catalog_files"
    __table_args__ = (UniqueConstraint("version_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("catalog_versions.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccessContract(Base):
    """A project's request for an asset; once finalized it is the grant (terms and expiry)."""

    __tablename__ = "catalog_contracts"
    __table_args__ = (Index("ix_catalog_contracts_project_asset", "project_id", "asset_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_assets.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(12), default="requested")
    purpose: Mapped[str] = mapped_column(Text)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    terms: Mapped[str] = mapped_column(Text, default="")
    obligations: Mapped[list[dict]] = mapped_column(JSON, default=list)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    agreed_at: Mapped[datetime | None]
    finalized_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]


class AccessLogEntry(Base):
    """One access to an asset's files: a download, or staging into a job. Append-only."""

    __tablename__ = "catalog_access_log"
    __table_args__ = (Index("ix_catalog_access_log_asset_at", "asset_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("catalog_assets.id", ondelete="CASCADE"))
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_versions.id", ondelete="SET NULL")
    )
    # No foreign keys on who: the log outlives users and projects.
    user_id: Mapped[int | None]
    project_id: Mapped[int | None]
    contract_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(12))  # download / stage
    path: Mapped[str | None] = mapped_column(String(500))
    job_key: Mapped[str | None] = mapped_column(String(100))
    client_addr: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
