"""Every enum value a page may show has a label, and the label has a French translation."""

from __future__ import annotations

import inspect
import logging
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from babel.messages.pofile import read_po

from aifhub.core import i18n
from aifhub.schemas.enums.labels import all_labels, enum_modules


def test_every_enum_member_has_a_label_translated_into_french():
    labels = all_labels()
    po = Path(i18n.LOCALE_DIR, "fr", "LC_MESSAGES", "messages.po")
    with po.open("rb") as fh:
        french = {m.id: m.string for m in read_po(fh, locale="fr") if m.id}
    missing, untranslated = [], []
    modules = enum_modules()
    assert {m.__name__.rsplit(".", 1)[1] for m in modules} >= {
        "access", "catalog", "compute", "ecosystem", "identity", "recommend", "support",
    }  # fmt: skip
    for module in modules:
        enums = [
            obj
            for obj in vars(module).values()
            if inspect.isclass(obj)
            and issubclass(obj, StrEnum)
            and obj is not StrEnum
            and obj.__module__ == module.__name__
        ]
        assert enums, module.__name__
        for enum in enums:
            table = labels.get(enum, {})
            for member in enum:
                text = table.get(member)
                if not text:
                    missing.append(f"{enum.__name__}.{member.name}")
                elif not french.get(text):
                    untranslated.append(f"{enum.__name__}.{member.name}: {text!r}")
    assert missing == []
    assert untranslated == []


def test_label_translates_members_and_their_strings(caplog):
    from aifhub.schemas.enums.support import TicketState

    assert i18n.label(TicketState.WAITING_ON_USER, "fr") == "en attente de l'utilisateur"
    assert i18n.label("waiting_on_user", "fr", "TicketState") == "en attente de l'utilisateur"
    assert i18n.label("waiting_on_user", "en") == "waiting on user"
    # A value several enums share takes the label of the enum named.
    assert i18n.label("admin", "fr", "StaffRole") != i18n.label("admin", "fr", "OrgRole")
    # A value without a label (or not of the enum named) is shown humanised, logged once.
    with caplog.at_level(logging.WARNING, logger="aifhub.core.i18n"):
        assert i18n.label("no_such_value", "fr") == "no such value"
        assert i18n.label("no_such_value", "fr") == "no such value"
        assert i18n.label("waiting_on_user", "fr", "JobStatus") == "waiting on user"
    assert len(caplog.records) == 2
    assert ("other", "autre") in i18n.label_choices("TicketCategory", "fr")


def test_text_reads_as_english_and_is_translated_where_shown():
    from aifhub.schemas.enums.identity import Sector

    reason = i18n.Text(i18n.N_("same sector: %(sector)s"), sector=Sector.HEALTH)
    assert reason == "same sector: health"  # the API and the CLI read it as it was
    assert i18n.label(reason, "fr") == "même secteur : Santé"
    seats = i18n.Text(i18n.N_("seats left on %(day)s"), day=date(2026, 12, 24))
    assert seats == "seats left on 2026-12-24"
    assert i18n.label(seats, "fr") == "places libres le 24 déc. 2026"
    load = i18n.Text(i18n.N_("charge factor %(factor)s: cheapest hours"), factor=Decimal("0.5"))
    assert i18n.label(load, "fr") == "facteur de coût 0,5 : les heures les moins chères"
