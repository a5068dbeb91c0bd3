"""Bring a database to a working state: schema at the latest migration, chain head, shipped diagrams."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from ..errors import DatabaseNotReady
from ..kernel import Kernel
from ..process import catalog, history
from . import adoption, chain, start_numbers


@dataclass(frozen=True)
class InitReport:
    database: str
    deployed: list[catalog.DeployedVersion]


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("xianfeng.migrations")))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(kernel: Kernel) -> None:
    config = alembic_config(kernel.db.url)
    with kernel.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def check_ready(kernel: Kernel) -> None:
    """Refuse, with what to do, a database whose schema is not the one this code needs: every
    command but `init` would otherwise fail later on a missing table or column."""
    with kernel.db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    head = ScriptDirectory.from_config(alembic_config(kernel.db.url)).get_current_head()
    if current == head:
        return
    where = _safe_url(kernel.db.url)
    state = "is not initialised" if current is None else f"is at migration {current}, this code needs {head}"
    raise DatabaseNotReady(
        f"the database {where} {state}: run `xianfeng init` first", current=current, needed=head
    )


def init(kernel: Kernel) -> InitReport:
    """Upgrade the schema, create the chain head, put on the chain what an older version of this
    code left off it, deploy the shipped processes (new versions only)."""
    migrate(kernel)
    adoption.adopt_unchained(kernel)
    adoption.adopt_new_columns(kernel)
    start_numbers.adopt_earlier_starts(kernel)
    deployed = deploy(kernel, catalog.builtin_files(), "system", "shipped defaults")
    return InitReport(database=_safe_url(kernel.db.url), deployed=deployed)


def deploy(
    kernel: Kernel, files: Mapping[str, bytes], deployed_by: str, note: str = ""
) -> list[catalog.DeployedVersion]:
    """Store the files' new versions and make them current; one chained event records them."""
    with kernel.db.unit_of_work() as uow:
        session = uow.session
        history.ensure_head(session)
        result = catalog.deploy(session, files, deployed_by, kernel.clock.now(), note)
        versions = [{"process_key": d.process_key, "version": d.version} for d in result if d.new]
        payload = {"deployed_by": deployed_by, "note": note, "versions": versions}
        chain.record(session, kernel, None, "deploy", payload, only_if_changed=True)
        uow.commit()
    return result


def _safe_url(url: str) -> str:
    """The URL without a password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def warm(kernel: Kernel) -> int:
    """Load the diagrams a server will step (see `Catalog.warm`); returns how many versions."""
    with kernel.db.unit_of_work(write=False) as uow:
        return kernel.catalog.warm(uow.session)
