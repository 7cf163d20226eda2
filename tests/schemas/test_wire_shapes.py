"""The wire shapes package: light imports, one name per shape, countries as CLDR lists them."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from babel import Locale
from pydantic import BaseModel

import aifhub.schemas
from aifhub.app import create_app
from aifhub.core.config import Settings
from aifhub.schemas.fields import COUNTRY_CODES

from .imports import loaded_after, server_modules, third_party

# What a wire shape may load besides the standard library: pydantic and what it brings, and
# email-validator (with its DNS and IDNA libraries) for EmailStr.
ALLOWED_THIRD_PARTY = {
    "pydantic",
    "pydantic_core",
    "typing_extensions",
    "typing_inspection",
    "annotated_types",
    "email_validator",
    "dns",
    "idna",
}


def _schema_modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(aifhub.schemas.__path__, "aifhub.schemas.")]


def test_schemas_import_only_stdlib_and_pydantic() -> None:
    modules = _schema_modules()
    assert "aifhub.schemas.compute" in modules and "aifhub.schemas.enums.access" in modules
    loaded = loaded_after("\n".join(f"import {m}" for m in modules))
    assert set(modules) <= set(loaded)
    assert server_modules(loaded) == []
    assert {m for m in loaded if m.startswith("aifhub")} <= {"aifhub", *modules, "aifhub.schemas"}
    assert third_party(loaded) <= ALLOWED_THIRD_PARTY


def test_server_modules_are_seen() -> None:
    """The check above would notice server code: importing the models loads SQLAlchemy."""
    found = server_modules(loaded_after("import aifhub.models"))
    assert "sqlalchemy" in found and "aifhub.core.db" in found


def test_shape_names_are_unique() -> None:
    """A shape's class name is its OpenAPI component name only while no other shape has it."""
    owners: dict[str, list[str]] = {}
    for name in _schema_modules():
        for cls_name, cls in inspect.getmembers(importlib.import_module(name), inspect.isclass):
            if issubclass(cls, BaseModel) and cls.__module__ == name:
                owners.setdefault(cls_name, []).append(name)
    # Strict and Read are private bases (no endpoint names them), one per module.
    clashes = {k: v for k, v in owners.items() if len(v) > 1 and k not in {"Strict", "Read"}}
    assert clashes == {}


def test_openapi_component_names_carry_no_module_path(tmp_path) -> None:
    app = create_app(Settings(var_dir=tmp_path, secret_key="test-secret"), check_schema=False)
    names = list(app.openapi()["components"]["schemas"])
    assert "JobRead" in names and "DecisionIn" in names
    assert [n for n in names if n.startswith("aifhub__")] == []


def test_country_codes_are_cldr_territories() -> None:
    """The written-out list equals CLDR's two-letter territories less the non-countries."""
    not_countries = {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB"}
    cldr = {
        str(c)
        for c in Locale("en").territories
        if len(str(c)) == 2 and str(c).isalpha() and str(c) not in not_countries | {"ZZ"}
    }
    assert COUNTRY_CODES == cldr
    assert {"FR", "DE", "XK"} <= COUNTRY_CODES and "EU" not in COUNTRY_CODES
