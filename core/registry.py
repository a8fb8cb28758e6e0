"""The registries of the extension points: sources, alert rules, notifiers, dashboard pages,
the resource kinds actions work on and the action policies.

Each implementation registers itself in its own module, next to its settings schema (Cloud
Custodian's way). The config model, the scheduler's jobs, the CLI's choices, `config check` and
the IAM policy test read these registries; nothing else lists an implementation.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel


class Entry(Protocol):
    """What every registered implementation has: a unique name and a place in the order."""

    @property
    def name(self) -> str: ...

    @property
    def order(self) -> int: ...


E = TypeVar("E", bound=Entry)


class RegistryError(Exception):
    """Two implementations claim one name, or a name is not registered."""


class Registry(Generic[E]):
    """Implementations of one extension point by name, iterated in their declared order."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, E] = {}
        # bumped on every change, so what is built from the registry (the config model) is rebuilt
        self.version = 0

    def add(self, entry: E) -> E:
        """Register ``entry``; registering the same entry again (a module re-imported) is a no-op."""
        known = self._entries.get(entry.name)
        if known is not None and known != entry:
            raise RegistryError(f"two {self.kind}s are named {entry.name!r}")
        if known is None:
            self._entries[entry.name] = entry
            self.version += 1
        return entry

    def remove(self, name: str) -> None:
        """Forget an implementation (tests register temporary ones)."""
        if self._entries.pop(name, None) is not None:
            self.version += 1

    def __getitem__(self, name: str) -> E:
        try:
            return self._entries[name]
        except KeyError:
            raise RegistryError(
                f"no {self.kind} named {name!r}; known: {', '.join(self.names())}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[E]:
        return iter(sorted(self._entries.values(), key=lambda entry: (entry.order, entry.name)))

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        """The registered names, in order."""
        return [entry.name for entry in self]


class SourceDeps(Protocol):
    """What a collector is built from: the config, the AWS client factory, the price catalog."""

    @property
    def config(self) -> Any: ...

    @property
    def clients(self) -> Any: ...

    @property
    def catalog(self) -> Any: ...


@dataclass(frozen=True)
class SourceEntry:
    """A collector: `collection.<name>` in the config, a scheduler job, a `collect` choice."""

    name: str
    settings: type[BaseModel]
    build: Callable[[SourceDeps], Any]
    # how far past each interval boundary its job fires (metrics arrive late; jobs spread out)
    offset: timedelta = timedelta(0)
    order: int = 100


@dataclass(frozen=True)
class RuleEntry:
    """An alert rule kind: its settings schema (with ``kind``) and its pure evaluation."""

    name: str
    settings: type[BaseModel]
    evaluate: Callable[[Any, Any], list[Any]]
    # the part of the snapshot the rule reads; it is not evaluated when that part is missing
    needs: str
    order: int = 100


@dataclass(frozen=True)
class NotifierEntry:
    """A notification channel type: its settings schema (with ``type``) and its constructor."""

    name: str
    settings: type[BaseModel]
    # (notifier name, its settings, the AWS client factory) -> the channel
    build: Callable[[str, Any, Any], Any]
    order: int = 100


@dataclass(frozen=True)
class PageEntry:
    """A dashboard page: where it is served, its layout, and the callbacks it binds to an app."""

    name: str
    module: str
    path: str
    label: str  # in the navigation
    title: str  # of the browser tab
    layout: Callable[..., Any]
    register_callbacks: Callable[[Any], None]
    order: int = 100


@dataclass(frozen=True)
class ActionEntry:
    """A resource kind the monitor can act on (as ``waste`` names it: ``sagemaker_endpoint``,
    ``provisioned_throughput``): the actions it supports and the handler that performs them."""

    name: str
    actions: tuple[str, ...]  # of "delete", "scale-to-zero", "restore"
    # the kind's handler: snapshot, act, restore (its interface lives in actions/)
    handler: Any
    order: int = 100


@dataclass(frozen=True)
class PolicyEntry:
    """An action policy kind (``auto_stop``, ``schedule``): its settings schema (with ``kind``)
    and what it decides each cycle: ``gather(session, settings, now, window) -> facts`` reads the
    database, ``decide(now, settings, facts) -> intents`` is pure."""

    name: str
    settings: type[BaseModel]
    decide: Callable[..., Any]
    order: int = 100
    gather: Callable[..., Any] | None = None


sources: Registry[SourceEntry] = Registry("source")
rules: Registry[RuleEntry] = Registry("alert rule")
notifiers: Registry[NotifierEntry] = Registry("notifier")
pages: Registry[PageEntry] = Registry("dashboard page")
actions: Registry[ActionEntry] = Registry("action")
policies: Registry[PolicyEntry] = Registry("action policy")


def import_submodules(package: str) -> list[str]:
    """Import every module of ``package`` (each registers itself); returns their names."""
    root = importlib.import_module(package)
    names = []
    for info in pkgutil.iter_modules(getattr(root, "__path__", [])):
        if not info.name.startswith("_"):
            names.append(importlib.import_module(f"{package}.{info.name}").__name__)
    return names
