"""The composition root's shared state: settings, config, database and AWS clients, made lazily."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from collector.runner import Source
from core import registry
from core.aws import ClientFactory, Target, resolve_targets
from core.db import DatabaseError, describe_url, make_engine, ping, session_factory
from core.pricing import PriceCatalog
from core.rate_limit import DEFAULT_RATES, RateLimiter
from core.registry import import_submodules
from core.settings import EnvSettings, MonitorConfig, load_config
from monitor.migrate import current_revision, head_revision, upgrade

log = logging.getLogger(__name__)


# the packages whose modules register sources, rules, notifiers and action policies (pages load
# with the dashboard)
PLUGIN_PACKAGES = ("collector", "alerts.rules", "alerts.notifiers", "actions.policies")


def load_plugins() -> None:
    """Import every collector, alert rule and notifier module: each registers itself."""
    for package in PLUGIN_PACKAGES:
        import_submodules(package)


load_plugins()


@dataclass
class AppContext:
    """Everything a command needs, created on first use so ``--help`` touches nothing."""

    settings: EnvSettings
    clients: ClientFactory = field(default_factory=ClientFactory)

    @cached_property
    def config(self) -> MonitorConfig:
        """The validated config (raises ConfigError); the AWS clients take its retry mode and
        rate limits."""
        config = load_config(self.settings)
        collection = config.collection
        self.clients.configure(
            collection.retry_mode, RateLimiter({**DEFAULT_RATES, **collection.rate_limits})
        )
        return config

    @cached_property
    def engine(self) -> Engine:
        """The database engine; checks that the database answers."""
        engine = make_engine(self.settings.database_url)
        ping(engine)
        return engine

    def database(self) -> sessionmaker[Session]:
        """Sessions on a database whose schema is current (an embedded SQLite file is upgraded).

        The config is validated first: a bad config must not leave a database file behind.
        """
        _ = self.config
        engine = self.engine
        try:
            current = current_revision(engine)
            head = head_revision()
            if current != head:
                if engine.dialect.name != "sqlite":
                    raise DatabaseError(
                        f"the database at {describe_url(self.settings.database_url)} is at schema "
                        f"revision {current or '(empty)'}, this version needs {head}: run `genai-monitor migrate`"
                    )
                log.info(
                    "upgrading the embedded database from %s to %s", current or "(empty)", head
                )
                upgrade(engine)
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot read the schema revision: {exc}") from exc
        return session_factory(engine)

    @cached_property
    def catalog(self) -> PriceCatalog:
        """The price catalog with the config's overrides."""
        return PriceCatalog.load(self.config.pricing.overrides)

    def targets(self) -> list[Target]:
        """Every (account, region) target of the config."""
        return resolve_targets(self.config.accounts, self.config.regions, self.clients)

    def sources(self) -> dict[str, Source]:
        """The collectors by name, in the order `collect all` runs them."""
        return {entry.name: entry.build(self) for entry in registry.sources}
