"""What a domain plugs into the platform, declared once in `<domain>/module.py`.

Each domain builds one `DomainModule`; `aifhub.domains` lists them in order, and the app
(routers, pages, nav, cards, sign-in hooks), the worker (periodic tasks) and the CLI
(commands) are built from that list. Nothing registers itself at import time.

What one domain offers another without importing it (the catalogue checking a job's inputs
for compute) goes in `provides`: the consuming domain declares a `typing.Protocol` and picks
the provided object that implements it (see `aifhub.compute.inputs.JobInputs`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aifhub.core.infra import Infrastructure
from aifhub.core.metrics import GaugeProvider

if TYPE_CHECKING:
    from typer import Typer


@dataclass(frozen=True)
class NavItem:
    """One entry of the header navigation; `label` is an English msgid marked with N_()."""

    label: str
    url: str
    staff_only: bool = False
    staff_roles: tuple[str, ...] = ()  # any of these roles (empty: any staff role)
    signed_in: bool = True
    order: int = 100


@dataclass
class Card:
    """A dashboard card: a template (extending nothing) rendered with `context`."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100


# A provider returns its card for this user, or None to show nothing. The user is identity's
# `User`, which core cannot name (core imports no domain).
CardProvider = Callable[[AsyncSession, Any, Request], Awaitable[Card | None]]


@dataclass
class Section:
    """A part of a project's page (its hub): a template (extending nothing) rendered with
    `context`, placed by `order`. The page also gives it `project` and `section`."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100


# A provider returns its section of this project's page for this user, or None to show nothing.
# The user and the project are identity's `User` and `Project` (the project is visible to the
# user: the page checked). Providers only read, in one or two statements.
ProjectSectionProvider = Callable[[AsyncSession, Any, Any], Awaitable[Section | None]]


@dataclass(frozen=True)
class TaskContext:
    """What a periodic task runs with: the database, the infrastructure (settings, parsed site
    file, store, backends), what the domains provide."""

    maker: async_sessionmaker[AsyncSession]
    infra: Infrastructure
    provides: tuple[object, ...] = ()


# A task returns how much work it did (0: nothing to do, so the worker waits a full interval).
TaskFn = Callable[[TaskContext], Awaitable[int]]


@dataclass(frozen=True)
class Periodic:
    """A task run every interval_s seconds (sooner when it reported work: queues drain fast)."""

    name: str
    interval_s: float
    run: TaskFn


class SignInHook(Protocol):
    """Called at each federated sign-in with the identity provider's verified claims."""

    def __call__(
        self, session: AsyncSession, user: Any, *, provider: str, claims: dict[str, Any]
    ) -> Awaitable[object]: ...


# Adds a domain's commands (and command groups) to the root `aifhub` command.
CommandRegistrar = Callable[["Typer"], None]
# Runs once when the app or the worker starts, after the schema check (e.g. syncing the site
# file's clusters).
StartupFn = Callable[[async_sessionmaker[AsyncSession], Infrastructure], Awaitable[None]]


@dataclass(frozen=True)
class DomainModule:
    """Everything one domain plugs in; the only way a router, page, card or task appears."""

    name: str
    api_routers: tuple[APIRouter, ...] = ()  # mounted under /api/v1
    page_routers: tuple[APIRouter, ...] = ()
    # Mounted as they are at the site's root, after the pages: protocols whose paths a
    # third-party client fixes (the Hugging Face Hub API, the AI Factory Compute API). Each
    # router carries its prefix and says itself whether it belongs in the OpenAPI document.
    root_routers: tuple[APIRouter, ...] = ()
    nav: tuple[NavItem, ...] = ()
    cards: tuple[CardProvider, ...] = ()
    project_sections: tuple[ProjectSectionProvider, ...] = ()  # parts of /projects/{slug}
    periodic: tuple[Periodic, ...] = ()
    commands: tuple[CommandRegistrar, ...] = ()
    sign_in_hooks: tuple[SignInHook, ...] = ()
    startup: tuple[StartupFn, ...] = ()
    provides: tuple[object, ...] = ()  # implementations of other domains' protocols
    gauges: tuple[GaugeProvider, ...] = ()  # read when /metrics is scraped


@dataclass(frozen=True)
class Assembly:
    """The domain modules an app, worker or CLI is built from, in order."""

    modules: tuple[DomainModule, ...]

    def __post_init__(self) -> None:
        names = [m.name for m in self.modules]
        if len(set(names)) != len(names):
            raise ValueError(f"a domain is listed twice: {names}")
        tasks = [t.name for t in self.periodic]
        if len(set(tasks)) != len(tasks):
            raise ValueError(f"two periodic tasks share a name: {tasks}")

    @property
    def api_routers(self) -> tuple[APIRouter, ...]:
        """Every REST router, in domain order."""
        return tuple(r for m in self.modules for r in m.api_routers)

    @property
    def page_routers(self) -> tuple[APIRouter, ...]:
        """Every page router, in domain order."""
        return tuple(r for m in self.modules for r in m.page_routers)

    @property
    def root_routers(self) -> tuple[APIRouter, ...]:
        """Every router mounted at the root for a third-party protocol, in domain order."""
        return tuple(r for m in self.modules for r in m.root_routers)

    @property
    def nav(self) -> tuple[NavItem, ...]:
        """Every navigation entry, by `order` (ties keep domain order)."""
        return tuple(sorted((i for m in self.modules for i in m.nav), key=lambda i: i.order))

    @property
    def cards(self) -> tuple[CardProvider, ...]:
        """Every dashboard card provider, in domain order."""
        return tuple(c for m in self.modules for c in m.cards)

    @property
    def project_sections(self) -> tuple[ProjectSectionProvider, ...]:
        """Every provider of a part of the project page, in domain order."""
        return tuple(s for m in self.modules for s in m.project_sections)

    @property
    def periodic(self) -> tuple[Periodic, ...]:
        """Every domain's periodic tasks, in domain order."""
        return tuple(t for m in self.modules for t in m.periodic)

    @property
    def commands(self) -> tuple[tuple[str, CommandRegistrar], ...]:
        """Every command registrar with its domain's name, in domain order."""
        return tuple((m.name, c) for m in self.modules for c in m.commands)

    @property
    def sign_in_hooks(self) -> tuple[SignInHook, ...]:
        """Every federated sign-in hook, in domain order."""
        return tuple(h for m in self.modules for h in m.sign_in_hooks)

    @property
    def startup(self) -> tuple[StartupFn, ...]:
        """Every start-up step, in domain order."""
        return tuple(s for m in self.modules for s in m.startup)

    @property
    def gauges(self) -> tuple[GaugeProvider, ...]:
        """Every domain's gauge providers, in domain order."""
        return tuple(g for m in self.modules for g in m.gauges)

    @property
    def provides(self) -> tuple[object, ...]:
        """Everything the domains provide to one another."""
        return tuple(p for m in self.modules for p in m.provides)
