"""Every page of the site, rendered in French for the demo users, shows no English.

The demo data is loaded once; each demo user signs in with the form and opens every page (the
ids and slugs of the paths come from the demo data) with `Accept-Language: fr`. The visible
text (tags, scripts and styles stripped; code and user-written blocks left out) is then
checked for:

- a text, or a piece of it between separators (" · ", "; ", ", "...), that is an English msgid
  of the catalogue whose French translation differs (an untranslated string or value label);
- a text matching a msgid with variables ("only %(n)s GPUs for a large workload");
- a raw enum value ("waiting_on_user", "pre_seed", "running");
- a number written the English way (1,234 or 2.5) or an English month name.

The demo data's own texts (names, titles, e-mails, slugs...) are user data: a piece equal to
one of them is left alone. What remains allowed is listed in ALLOWED, each entry explained.
"""

from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access.models import Allocation, Application, Review
from aifhub.catalog.models import Asset
from aifhub.compute.job_form import SCRIPT_TEMPLATES
from aifhub.compute.models import ClusterLogin, Job
from aifhub.core.i18n import label
from aifhub.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo
from aifhub.ecosystem.models import CourseSession, Enrolment
from aifhub.identity.models import Organisation, Project, ProjectMember, User
from aifhub.identity.passwords import issue_reset
from aifhub.models import metadata
from aifhub.resources import Partition
from aifhub.schemas.enums.compute import TERMINAL_STATUSES, JobStatus, LoginSource, LoginStatus
from aifhub.schemas.enums.labels import all_labels
from aifhub.support.models import KbArticle, Ticket

from .helpers import login

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "src/aifhub/locale/fr/LC_MESSAGES/messages.po"
FR = {"accept-language": "fr", "accept": "text/html"}

# Texts allowed on a French page although the catalogue or the enums know them in English,
# each with the reason (a msgid whose French is the same word, such as "Expert" or
# "Support", is not counted as English in the first place).
ALLOWED = {
    # The abbreviation French sentences give in brackets: "le porteur de projet (PI)".
    "PI",
}

# Columns whose values are user data (names, titles, codes): shown as they were typed.
DATA_COLUMNS = {
    "name", "title", "slug", "email", "login", "headline", "location", "label", "summary",
    "purpose", "partition", "target", "filename", "factory_name", "license_name", "task",
    "license", "country", "unit", "cluster", "organisation", "project", "description", "note",
    "comment", "body", "skills", "reason", "state_reason", "conflict_reason",
}  # fmt: skip
# Words the test itself types into search boxes (shown back as matched terms).
QUERIES = {"model": "model", "gpu": "gpu slurm", "health": "health imaging"}

SKIPPED_TAGS = {"script", "style", "pre", "code", "textarea", "template"}
# Elements of these classes show codes (slugs, partitions, hashes, audit records): not prose.
SKIPPED_CLASSES = {"mono"}
VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
ATTRS = ("placeholder", "aria-label", "title", "alt")
SEPARATORS = re.compile(r"\s+·\s+|;\s+|,\s+|\s+–\s+|\s+—\s+|\s+→\s+|\s*\(\s*|\s*\)\s*|\s*/\s*")
QUOTED = re.compile(r"'[^']*'|«[^»]*»")
PLACEHOLDER = re.compile(r"%\((\w+)\)(?:\.\d+)?[sdf]")
ENGLISH_NUMBER = re.compile(r"(?<![\w.,/:-])(?:\d{1,3}(?:,\d{3})+|\d+\.\d+)(?![\w.,/-]?\w)")
MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
    "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
ENGLISH_MONTH = re.compile(rf"\b\d{{1,2}},? (?:{MONTHS})\b|\b(?:{MONTHS}) \d{{1,2}}\b")


class _Text(HTMLParser):
    """The visible texts of a page, one per text node or text attribute."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0
        self._open: list[tuple[str, bool]] = []  # (tag, skipped) of the open elements

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        classes = set((values.get("class") or "").split())
        if tag in VOID:
            return self._attributes(tag, values)
        skipped = tag in SKIPPED_TAGS or bool(classes & SKIPPED_CLASSES)
        self._open.append((tag, skipped))
        self._skip += skipped
        self._attributes(tag, values)

    def _attributes(self, tag: str, values: dict[str, str | None]) -> None:
        if self._skip:
            return
        for name in ATTRS:
            if values.get(name):
                self.texts.append(values[name] or "")
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.texts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        # Close up to the matching open element (HTML lets some end tags be left out).
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                for _tag, skipped in self._open[index:]:
                    self._skip -= skipped
                del self._open[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self._skip:
            text = " ".join(data.split())
            if text:
                self.texts.append(text)


def visible_texts(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.texts


def _english_catalogue() -> tuple[set[str], list[tuple[re.Pattern[str], str]]]:
    """English msgids whose French differs: plain ones, and patterns for those with variables."""
    with PO.open("rb") as fh:
        catalogue = read_po(fh, locale="fr")
    plain: set[str] = set()
    patterns: list[tuple[re.Pattern[str], str]] = []
    for m in catalogue:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        for msgid in ids:
            if msgid in strings:
                continue  # the same word in French ("Expert", "Support", "Documentation")
            if PLACEHOLDER.search(msgid):
                fixed = PLACEHOLDER.sub("", msgid)
                if len(re.findall(r"[A-Za-z]{3,}", fixed)) < 2:
                    continue  # too little fixed text to tell English from data
                parts = [re.escape(p) for p in PLACEHOLDER.split(msgid)[::2]]
                patterns.append((re.compile(".+?".join(parts), re.S), msgid))
            else:
                plain.add(" ".join(msgid.split()))
    return plain, patterns


def _raw_enum_values() -> set[str]:
    """Enum values a page must not show raw: those whose French label differs from them."""
    raw, same = set(), set()
    for table in all_labels().values():
        for member in table:
            french = label(member, "fr")
            (same if french == member.value else raw).add(member.value)
    return raw - same  # "admin": also the French label of the token scope "admin"


async def _user_data(db: AsyncSession) -> set[str]:
    data: set[str] = set()
    for table in metadata.sorted_tables:
        for column in table.columns:
            if column.name in DATA_COLUMNS and isinstance(column.type, String):
                rows = await db.execute(select(column).distinct())
                data.update(" ".join(str(v).split()) for (v,) in rows if v)
    return data


async def _jobs_and_logins(db: AsyncSession) -> None:
    """The demo has no job and no cluster login: one of each state, on a demo allocation, so
    that the job and login pages show every state."""
    allocation = await db.scalar(select(Allocation).order_by(Allocation.id).limit(1))
    assert allocation is not None
    partition = await db.get(Partition, allocation.partition_id)
    project = await db.get(Project, allocation.project_id)
    assert partition is not None and project is not None
    owner = await db.scalar(
        select(ProjectMember.user_id).where(ProjectMember.project_id == project.id).limit(1)
    )
    assert owner is not None
    for n, status in enumerate(JobStatus):
        db.add(
            Job(
                project_id=project.id, user_id=owner, cluster_id=partition.cluster_id,
                partition_id=partition.id, allocation_id=allocation.id, name=f"job-{n}",
                script="#!/bin/bash\n", time_limit_s=3600, state=status.value,
                charged_hours=Decimal("1234.5") if status in TERMINAL_STATUSES else None,
            )
        )  # fmt: skip
    users = (await db.scalars(select(User.id).order_by(User.id).limit(4))).all()
    states = zip(users, LoginStatus, LoginSource, strict=True)  # one login per user and cluster
    for n, (user_id, status, source) in enumerate(states):
        login_name = f"demo{n}"
        db.add(
            ClusterLogin(
                user_id=user_id, cluster_id=partition.cluster_id, login=login_name,
                status=status.value, source=source.value,
            )
        )  # fmt: skip
    await db.commit()


async def _reset_token(db: AsyncSession) -> str:
    """A good link of the password reset (for the last user: no demo login is changed)."""
    user = await db.scalar(select(User).order_by(User.id.desc()).limit(1))
    assert user is not None
    _reset, token = await issue_reset(db, user, minutes=60)
    await db.commit()
    return token


async def _paths(db: AsyncSession) -> list[str]:
    """Every page, its path parameters taken from the demo data."""

    async def ids(column, limit: int = 3) -> list[str]:
        rows = await db.scalars(select(column).order_by(column).limit(limit))
        return [str(v) for v in rows.all()]

    paths = [
        "/", "/login", "/register", "/account", "/account/verify-email", "/organisations",
        "/organisations/new", "/projects", "/projects/new", "/staff/audit", "/staff/users",
        "/applications", "/applications/new", "/allocations", "/staff/reviews", "/staff/access",
        "/jobs", "/jobs/new", "/staff/network", "/cluster-logins", "/staff/cluster-logins",
        "/staff/clusters",
        "/catalog", f"/catalog?q={QUERIES['model']}", "/support", "/support/new", "/support/desk",
        "/support/suggest?q=gpu slurm", "/training", "/partners", "/talent",
        *(f"/search?q={q}" for q in QUERIES.values()),
        "/catalog/new", "/catalog/requests", "/password/forgot", "/password/reset?token=spent",
        f"/password/reset?token={await _reset_token(db)}",
        *(f"/jobs/new/script?template={key}" for key, _title in SCRIPT_TEMPLATES),
    ]  # fmt: skip
    for slug in await ids(Organisation.slug):
        paths.append(f"/organisations/{slug}")
    for slug in await ids(Project.slug):
        paths += [f"/projects/{slug}", f"/projects/{slug}/usage"]
        paths.append(f"/projects/{slug}/recommendations")
        paths += [f"/jobs/new?project={slug}", f"/jobs/new/fields?project={slug}"]
        paths.append(f"/jobs/new/estimate?project={slug}&gpus=1&nodes=1&time_limit=90")
    for app_id in await ids(Application.id):
        paths += [f"/applications/{app_id}", f"/applications/{app_id}/edit"]
    for review_id in await ids(Review.id):
        paths.append(f"/staff/reviews/{review_id}")
    for job_id in await ids(Job.id, limit=len(JobStatus)):
        paths += [f"/jobs/{job_id}", f"/jobs/{job_id}/log-tail", f"/jobs/{job_id}/live"]
        paths.append(f"/jobs/{job_id}?tab=stderr")
    for slug in await ids(Asset.slug):
        paths += [f"/catalog/{slug}", f"/catalog/{slug}/access-log"]
    for ticket_id in await ids(Ticket.id):
        paths.append(f"/support/tickets/{ticket_id}")
    for slug in await ids(KbArticle.slug):
        paths.append(f"/support/articles/{slug}")
    # The first sessions, and those with enrolments (their roster lists the people).
    enrolled = (await db.scalars(select(Enrolment.session_id).distinct())).all()
    for session_id in sorted({*await ids(CourseSession.id), *map(str, enrolled)}):
        paths.append(f"/training/sessions/{session_id}/roster")
    for enrolment_id in await ids(Enrolment.id):
        paths.append(f"/training/certificates/{enrolment_id}")
    return paths


def english_in(
    texts: list[str],
    plain: set[str],
    patterns: list[tuple[re.Pattern[str], str]],
    raw: set[str],
    data: set[str],
) -> list[str]:
    """What of these texts is English (or a raw value) on a French page."""
    found = []
    for text in texts:
        if text in data or text in ALLOWED:
            continue
        pieces = [text] + [p for p in SEPARATORS.split(text) if p and p != text]
        for piece in pieces:
            if QUOTED.fullmatch(piece.strip()):
                continue  # a word quoted from the user's texts ("matches 'data', 'mri'")
            piece = piece.strip(" .:!?…+#×✕")
            if not piece or piece in data or piece in ALLOWED:
                continue
            if piece in plain:
                found.append(f"English text {piece!r} in {text!r}")
            elif piece in raw:
                found.append(f"raw value {piece!r} in {text!r}")
        for pattern, msgid in patterns:
            if pattern.fullmatch(text) or any(pattern.fullmatch(p) for p in SEPARATORS.split(text)):
                found.append(f"English text {text!r} (msgid {msgid!r})")
        if not any(d in text for d in data if len(d) > 3):
            for number in ENGLISH_NUMBER.findall(text):
                found.append(f"English number {number!r} in {text!r}")
            for month in ENGLISH_MONTH.findall(text):
                found.append(f"English month {month!r} in {text!r}")
    return found


def test_a_french_text_with_english_in_it_is_caught():
    plain, patterns = {"running", "Submit"}, [(re.compile("only .+? GPUs"), "only %(n)s GPUs")]
    raw = {"waiting_on_user", "running"}
    texts = ["en cours", "Soumettre · running", "only 4 GPUs", "waiting_on_user", "1,234 h"]
    texts += ["3 Dec 2026", "Dupont · 12 500,5", "correspond à 'running', 'mri'"]
    found = english_in(texts, plain, patterns, raw, data={"Dupont"})
    assert found == [
        "English text 'running' in 'Soumettre · running'",
        "English text 'only 4 GPUs' (msgid 'only %(n)s GPUs')",
        "raw value 'waiting_on_user' in 'waiting_on_user'",
        "English number '1,234' in '1,234 h'",
        "English month '3 Dec' in '3 Dec 2026'",
    ]


@pytest.mark.slow
async def test_every_page_in_french_has_no_english(client, db, settings):
    assert await load_demo(settings) is True
    await _jobs_and_logins(db)
    plain, patterns = _english_catalogue()
    raw = _raw_enum_values()
    data = await _user_data(db) | {w for q in QUERIES.values() for w in q.split()}
    paths = await _paths(db)
    problems: dict[str, list[str]] = {}
    pages = 0
    for email, _what in DEMO_LOGINS:
        await login(client, email, DEMO_PASSWORD)
        client.cookies.set("lang", "fr")  # demo users chose English: the switch wins
        for path in paths:
            r = await client.get(path, headers=FR)
            if "text/html" not in r.headers.get("content-type", ""):
                continue
            assert r.status_code < 500, (email, path, r.text[:500])
            assert 'lang="fr"' in r.text or r.status_code >= 400 or "<html" not in r.text, path
            pages += 1
            for problem in english_in(visible_texts(r.text), plain, patterns, raw, data):
                problems.setdefault(problem, []).append(f"{email} {path}")
    assert pages > 100
    report = [f"{p}  [{where[0]}, {len(where)} pages]" for p, where in sorted(problems.items())]
    assert report == [], "\n".join(report)


def test_value_filters_follow_the_page_locale():
    from babel.numbers import format_decimal

    from aifhub.web.render import templates

    page = templates.env.from_string(
        "{{ 'DE'|country }} | {{ 'de'|language }} | {{ 1234.5|number }}"
        " | {{ 'waiting_on_user'|label('TicketState') }} | {{ '2026-12-24'|date }}"
    )
    assert page.render(locale="fr") == (
        f"Allemagne | allemand | {format_decimal(1234.5, locale='fr')}"
        " | en attente de l&#39;utilisateur | 24 déc. 2026"
    )
    assert page.render(locale="en") == (
        "Germany | German | 1,234.5 | waiting on user | Dec 24, 2026"
    )
