"""Engine and session factory, and the one idempotent upsert every writer uses."""

from __future__ import annotations

import json
import logging
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from itertools import islice
from operator import itemgetter
from typing import Any

import psycopg
from sqlalchemy import JSON, Table, create_engine, event, literal, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, ProgrammingError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from core.models import UTCDateTime

log = logging.getLogger(__name__)

# Above this many rows a Postgres upsert streams through COPY into a staging table.
COPY_THRESHOLD = 2000
BATCH_ROWS = 20000
# Tests set this to exercise the ON CONFLICT path that Postgres before 15 takes.
_FORCE_ON_CONFLICT = False
# Bookkeeping columns that change on every write: a difference in them alone is no change.
_VOLATILE = frozenset({"collected_at", "updated_at"})


class DatabaseError(Exception):
    """The database is unreachable or refused a statement; the message says which."""


def error_reason(exc: BaseException) -> str:
    """The first line of what the database (its driver, if it said) answered."""
    original = getattr(exc, "orig", None)
    text = str(original or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and a busy timeout."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {}).setdefault("timeout", 30)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        # psycopg 3 is the driver we ship; a bare postgresql:// URL would ask for psycopg2.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory; callers own the transaction (``with session.begin():``)."""
    return sessionmaker(engine, expire_on_commit=False)


_WRITE_TURNS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_WRITE_TURNS_GUARD = threading.Lock()


def write_turn(engine: Engine | None) -> AbstractContextManager[Any]:
    """What a writing transaction holds: SQLite takes one writer at a time, so the threads of a
    process writing to it take turns on one lock (their reads run alongside); Postgres: none."""
    if engine is None or engine.dialect.name != "sqlite":
        return nullcontext()
    with _WRITE_TURNS_GUARD:
        turn = _WRITE_TURNS.get(engine)
        if turn is None:
            turn = _WRITE_TURNS[engine] = threading.RLock()
        return turn


def describe_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _batches(rows: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[Mapping[str, Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def upsert(
    session: Session,
    model: type[DeclarativeBase] | Table,
    rows: Iterable[Mapping[str, Any]],
    *,
    key: Sequence[str] | None = None,
    update: Sequence[str] | None = None,
) -> int:
    """Insert rows, updating those whose natural key exists; unchanged rows are not rewritten.

    ``key`` defaults to the primary key and ``update`` to every other column given in the rows.
    Rows are streamed in batches, so the input may be a generator of any length. Returns the
    number of rows given.
    """
    table: Table = model if isinstance(model, Table) else model.__table__  # type: ignore[assignment]
    key_columns = list(key or [column.name for column in table.primary_key.columns])
    dialect = session.get_bind().dialect.name
    total = 0
    staged = _Staging(session, table, key_columns) if dialect == "postgresql" else None
    for batch in _batches(rows, BATCH_ROWS):
        columns, update_columns, compared = _shape(batch, key_columns, update)
        if staged is not None and len(batch) >= COPY_THRESHOLD:
            staged.add(batch, columns, update_columns, compared)
        else:
            if staged is not None:
                staged.flush()  # what was staged before this batch is written before it
            _statement_upsert(session, table, batch, dialect, key_columns, update_columns, compared)
        total += len(batch)
    if staged is not None:
        staged.flush()
    return total


def _shape(
    batch: list[Mapping[str, Any]], key_columns: list[str], update: Sequence[str] | None
) -> tuple[list[str], list[str], list[str]]:
    """The batch's columns, those an existing row takes from it, and those compared for a change."""
    columns = list(batch[0].keys())
    update_columns = (
        list(update) if update is not None else [c for c in columns if c not in key_columns]
    )
    compared = [c for c in update_columns if c not in _VOLATILE] or update_columns
    return columns, update_columns, compared


def _changed_clause(
    table: Table, excluded: Any, update_columns: Sequence[str], dialect: str
) -> Any:
    """True where some updated column differs, so re-writing identical data writes nothing."""
    from sqlalchemy import or_, tuple_

    if dialect == "postgresql":
        return tuple_(*[table.c[c] for c in update_columns]).is_distinct_from(
            tuple_(*[excluded[c] for c in update_columns])
        )
    return or_(*[table.c[c].is_distinct_from(excluded[c]) for c in update_columns])


def _statement_upsert(
    session: Session,
    table: Table,
    batch: list[Mapping[str, Any]],
    dialect: str,
    key_columns: list[str],
    update_columns: list[str],
    compared: list[str],
) -> None:
    statement: Any
    if dialect == "postgresql":
        statement = pg_insert(table)
    elif dialect == "sqlite":
        statement = sqlite_insert(table)
    else:
        raise DatabaseError(
            f"upsert is not supported on the {dialect} dialect; use Postgres or SQLite"
        )
    if update_columns:
        statement = statement.on_conflict_do_update(
            index_elements=key_columns,
            set_={c: statement.excluded[c] for c in update_columns},
            where=_changed_clause(table, statement.excluded, compared, dialect),
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=key_columns)
    session.execute(statement, list(batch))


class _Staging:
    """Postgres's bulk path for one upsert call: batches of new history are COPYed straight in;
    the others are COPYed into a temporary staging table and merged together once, at the end
    (or before a batch that must follow them), so the stored table is joined once per call
    rather than once per batch (a hash join reads all of it each time).

    A batch whose first key is not stored yet (a backfill of new history) is COPYed directly,
    inside a savepoint: COPY's bulk insert is several times faster than any INSERT .. SELECT.
    If some row exists after all, the savepoint is rolled back and the batch is staged. The
    staged rows are merged with MERGE (Postgres 15+; a bulk join) or, before 15 or if a
    concurrent writer got in first, INSERT .. SELECT .. ON CONFLICT. Staged batches that repeat
    a key are merged one batch after the other, in order, as separate calls would be.
    """

    def __init__(self, session: Session, table: Table, key_columns: list[str]) -> None:
        self.session = session
        self.table = table
        self.key_columns = key_columns
        self.stage = f"merge_{table.name}"
        self.batches = 0
        self.shape: tuple[list[str], list[str], list[str]] | None = None

    def add(
        self,
        batch: list[Mapping[str, Any]],
        columns: list[str],
        update_columns: list[str],
        compared: list[str],
    ) -> None:
        """Write ``batch`` now if it is new history, else stage it for the merge."""
        connection = self.session.connection()
        _require_aware(self.table, columns, batch)
        raw = connection.connection.driver_connection
        if self.shape is not None and self.shape != (columns, update_columns, compared):
            self.flush()  # one merge statement per shape of rows
        if not _stored(connection, self.table, self.key_columns, batch[0]):
            self.flush()  # staged rows come first: a later batch's values must win
            try:
                with connection.begin_nested():
                    _copy_rows(raw, self.table, self.table.name, columns, batch)
                return
            except psycopg.errors.UniqueViolation:
                log.debug(
                    "a batch for %s overlaps stored rows; merging it instead", self.table.name
                )
        if self.batches == 0:
            connection.execute(
                text(
                    f'CREATE TEMPORARY TABLE IF NOT EXISTS "{self.stage}" (LIKE "{self.table.name}" '
                    "INCLUDING DEFAULTS, _batch integer NOT NULL) ON COMMIT DELETE ROWS"
                )
            )
            connection.execute(text(f'TRUNCATE "{self.stage}"'))
            self.shape = (columns, update_columns, compared)
        _copy_rows(raw, self.table, self.stage, columns, batch, self.batches)
        self.batches += 1

    def flush(self) -> None:
        """Merge what is staged into the table."""
        if self.batches == 0 or self.shape is None:
            return
        connection = self.session.connection()
        columns, update_columns, compared = self.shape
        source = f'"{self.stage}"'
        # a temporary table has no statistics: without them the planner takes it for a few
        # thousand rows and hashes the whole stored table for every merge (its cost grows with
        # the table); counted, it probes the primary key once per staged row instead
        connection.execute(text(f"ANALYZE {source}"))
        try:
            with connection.begin_nested():
                self._merge(connection, source, columns, update_columns, compared)
        except ProgrammingError as exc:
            if not isinstance(exc.orig, psycopg.errors.CardinalityViolation) or self.batches == 1:
                raise
            # a key repeated across batches: one batch after the other, the later one winning
            for number in range(self.batches):
                batch_source = f'(SELECT * FROM "{self.stage}" WHERE _batch = {number})'
                self._merge(connection, batch_source, columns, update_columns, compared)
        connection.execute(text(f'TRUNCATE "{self.stage}"'))
        self.batches, self.shape = 0, None

    def _merge(
        self,
        connection: Any,
        source: str,
        columns: list[str],
        update_columns: list[str],
        compared: list[str],
    ) -> None:
        """Merge ``source`` (the staging table or one batch of it) into the table."""
        name = self.table.name
        column_list = ", ".join(f'"{c}"' for c in columns)
        key_list = ", ".join(f'"{c}"' for c in self.key_columns)
        on_conflict = f'INSERT INTO "{name}" ({column_list}) SELECT {column_list} FROM {source} s ON CONFLICT ({key_list}) '
        if not update_columns:
            connection.execute(text(on_conflict + "DO NOTHING"))
            return
        if _has_merge(connection.dialect):
            try:
                with connection.begin_nested():
                    connection.execute(
                        text(
                            _merge_statement(
                                name, source, columns, self.key_columns, update_columns, compared
                            )
                        )
                    )
                return
            except IntegrityError:
                # another writer inserted one of these keys between MERGE's join and its insert
                log.info(
                    "MERGE into %s met a concurrent insert; retrying the batch with ON CONFLICT",
                    name,
                )
        assignments = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in update_columns)
        current = ", ".join(f'"{name}"."{c}"' for c in compared)
        incoming = ", ".join(f'EXCLUDED."{c}"' for c in compared)
        connection.execute(
            text(
                on_conflict
                + f"DO UPDATE SET {assignments} WHERE ROW({current}) IS DISTINCT FROM ROW({incoming})"
            )
        )


def _stored(connection: Any, table: Table, key_columns: list[str], row: Mapping[str, Any]) -> bool:
    """Whether a row with this row's key is stored: one primary-key lookup."""
    statement = (
        select(literal(1))
        .select_from(table)
        .where(*(table.c[k] == row[k] for k in key_columns))
        .limit(1)
    )
    return connection.execute(statement).first() is not None


def _copy_rows(
    raw: Any,
    table: Table,
    target: str,
    columns: list[str],
    batch: list[Mapping[str, Any]],
    number: int | None = None,
) -> None:
    """COPY rows into ``target`` (the table, or its staging twin with the batch ``number``);
    JSON values go in as text."""
    getter = itemgetter(*columns)
    json_columns = [index for index, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
    targets = [*columns, "_batch"] if number is not None else columns
    column_list = ", ".join(f'"{c}"' for c in targets)
    tail = () if number is None else (number,)
    with raw.cursor() as cursor, cursor.copy(f'COPY "{target}" ({column_list}) FROM STDIN') as copy:
        for row in batch:
            values = getter(row)
            if len(columns) == 1:
                values = (values,)  # itemgetter of one column returns the bare value
            if json_columns:
                values = list(values)
                for index in json_columns:
                    values[index] = None if values[index] is None else json.dumps(values[index])
                values = tuple(values)
            copy.write_row(values + tail)


def _has_merge(dialect: Any) -> bool:
    """MERGE (Postgres 15+) joins the staged batch in bulk, faster than row-by-row ON CONFLICT."""
    return (
        bool(dialect.server_version_info and dialect.server_version_info >= (15,))
        and not _FORCE_ON_CONFLICT
    )


def _merge_statement(
    target: str,
    source: str,
    columns: list[str],
    key_columns: list[str],
    update_columns: list[str],
    compared: list[str],
) -> str:
    on = " AND ".join(f't."{c}" = s."{c}"' for c in key_columns)
    current = ", ".join(f't."{c}"' for c in compared)
    incoming = ", ".join(f's."{c}"' for c in compared)
    assignments = ", ".join(f'"{c}" = s."{c}"' for c in update_columns)
    column_list = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join(f's."{c}"' for c in columns)
    return (
        f'MERGE INTO "{target}" t USING {source} s ON {on} '
        f"WHEN MATCHED AND ROW({current}) IS DISTINCT FROM ROW({incoming}) THEN UPDATE SET {assignments} "
        f"WHEN NOT MATCHED THEN INSERT ({column_list}) VALUES ({values})"
    )


def _require_aware(table: Table, columns: list[str], batch: list[Mapping[str, Any]]) -> None:
    """COPY bypasses UTCDateTime's bind check, so refuse naive timestamps here, as an INSERT would."""
    for column in columns:
        if isinstance(table.c[column].type, UTCDateTime):
            if any(row[column] is not None and row[column].tzinfo is None for row in batch):
                raise ValueError(
                    f"naive datetime in {table.name}.{column}: every timestamp must be timezone-aware"
                )


def ping(engine: Engine) -> None:
    """Check that the database answers, raising DatabaseError with the reason if not."""
    from sqlalchemy.exc import OperationalError

    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        raise DatabaseError(
            f"cannot reach the database at {engine.url.render_as_string(hide_password=True)}: {exc.orig}"
        ) from None
