"""PostgreSQL's half of backup and restore: `pg_dump` in its custom format, and `pg_restore` piped
through `psql` in one transaction.

The dump holds the database's current schema (the first of its `search_path`, `public` unless the
URL says otherwise), read in the same snapshot as the event count the backup reports. A restore goes
into the configured database's current schema, which need not be the one dumped (a scratch schema to
look at a backup beside the live one): the dump's SQL names every object with its schema, so those
names are rewritten on the way, and never the rows (COPY data passes through untouched). It runs as
one transaction: if anything fails, the database is as it was.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

import sqlalchemy as sa

from ..errors import XianfengError
from ..models import Event

CLIENT_PROGRAMS = "PostgreSQL's client programs (Debian: apt-get install postgresql-client)"
_TABLE_ENTRY = re.compile(rb"^\d+; \d+ \d+ TABLE (?!DATA )(\S+) (\S+) ")


class BackupFailed(XianfengError):
    """A backup or restore was refused or failed before it changed anything; the message says why."""

    code = "backup_failed"


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupFailed(
            f"{name} is not installed or not on PATH: backups of a PostgreSQL database need "
            f"{CLIENT_PROGRAMS}, of the server's major version or newer",
            program=name,
        )
    return found


def libpq(url: sa.URL) -> tuple[str, dict[str, str]]:
    """A libpq URI of the database without its password, and an environment that carries it (so it
    never appears in a process list)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def current_schema(connection: sa.Connection) -> str:
    schema = connection.execute(sa.text("SELECT current_schema()")).scalar()
    if not schema:
        path = connection.execute(sa.text("SHOW search_path")).scalar()
        raise BackupFailed(f"no schema of the search path ({path}) exists in this database: create it first")
    return str(schema)


def dump(engine: sa.Engine, target: Path) -> tuple[int, int]:
    """`pg_dump` of the current schema into `target`; the events it holds and the last one's number,
    counted in the snapshot pg_dump reads (exported from this transaction and kept open meanwhile)."""
    program = tool("pg_dump")
    uri, env = libpq(engine.url)
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        snapshot = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
        schema = current_schema(connection)
        count, last = connection.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.max(Event.seq), 0))
        ).one()
        command = [program, "--format=custom", "--no-owner", "--no-privileges", f"--schema={schema}"]
        command += [f"--snapshot={snapshot}", f"--file={target}", f"--dbname={uri}"]
        done = subprocess.run(command, env=env, capture_output=True, check=False)
        connection.rollback()
    if done.returncode != 0:
        target.unlink(missing_ok=True)
        raise BackupFailed(f"pg_dump failed: {done.stderr.decode(errors='replace').strip()}")
    return int(count), int(last)


def dumped_schema(file: Path) -> str:
    """The one schema whose tables the archive holds; refused unless it holds an event log."""
    listing = subprocess.run([tool("pg_restore"), "--list", str(file)], capture_output=True, check=False)
    if listing.returncode != 0:
        raise BackupFailed(
            f"pg_restore cannot read {file}: {listing.stderr.decode(errors='replace').strip()}"
        )
    tables = [m.groups() for m in map(_TABLE_ENTRY.match, listing.stdout.splitlines()) if m]
    schemas = {schema.decode() for schema, _name in tables}
    if len(schemas) != 1 or (schemas.pop(), Event.__tablename__) not in {
        (s.decode(), n.decode()) for s, n in tables
    }:
        raise BackupFailed(f"{file} holds no Xianfeng event log: not a backup made by `xianfeng backup`")
    return tables[0][0].decode()


def quoted(name: str) -> str:
    return name if re.fullmatch(r"[a-z_][a-z0-9_]*", name) else '"' + name.replace('"', '""') + '"'


def _drops(connection: sa.Connection, schema: str) -> list[str]:
    """What clears the target schema of what a restore would replace: its tables (their sequences,
    indexes and constraints go with them) and any other sequence or view."""
    found = sa.inspect(connection)
    target = quoted(schema)
    return (
        [f"DROP VIEW IF EXISTS {target}.{quoted(v)} CASCADE;" for v in found.get_view_names()]
        + [f"DROP TABLE IF EXISTS {target}.{quoted(t)} CASCADE;" for t in found.get_table_names()]
        + [f"DROP SEQUENCE IF EXISTS {target}.{quoted(s)} CASCADE;" for s in found.get_sequence_names()]
    )


def renamed(lines: Iterable[bytes], source: str, target: str) -> Iterator[bytes]:
    """The dump's SQL with objects of `source` named in `target`; COPY rows pass through as they are."""
    bare, quote = re.escape(source.encode()), re.escape(quoted(source).encode())
    name = re.compile(rb'(?<![\w"$])(?:' + quote + rb"|" + bare + rb")(?=\.)")
    create = re.compile(rb"^CREATE SCHEMA (?:" + quote + rb"|" + bare + rb");$")
    new = quoted(target).encode()
    in_rows = False
    for line in lines:
        if in_rows:
            in_rows = line.rstrip(b"\n") != b"\\."
            yield line
            continue
        if create.match(line.rstrip(b"\n")):
            yield b"CREATE SCHEMA IF NOT EXISTS " + new + b";\n"
            continue
        in_rows = line.startswith(b"COPY ") and line.rstrip(b"\n").endswith(b" FROM stdin;")
        yield name.sub(lambda _m: new, line)


def restore(engine: sa.Engine, file: Path, replace: bool) -> None:
    """pg_restore's SQL, renamed into the current schema, run by psql in one transaction (after
    dropping what is there when `replace`)."""
    source = dumped_schema(file)
    restorer, psql = tool("pg_restore"), tool("psql")
    with engine.connect() as connection:
        target = current_schema(connection)
        prelude = _drops(connection, target) if replace else []
    uri, env = libpq(engine.url)
    with tempfile.TemporaryFile() as read_errors, tempfile.TemporaryFile() as write_errors:
        reader = subprocess.Popen(
            [restorer, "--no-owner", "--no-privileges", "--file=-", str(file)],
            stdout=subprocess.PIPE,
            stderr=read_errors,
        )
        writer = subprocess.Popen(
            [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", "-", f"--dbname={uri}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=write_errors,
            env=env,
        )
        _pipe(reader, writer, ("\n".join(prelude) + "\n").encode(), source, target)
        for process, errors, name in ((writer, write_errors, "psql"), (reader, read_errors, "pg_restore")):
            if process.returncode != 0:
                errors.seek(0)
                message = errors.read().decode(errors="replace").strip()
                raise BackupFailed(f"{name} failed, nothing was restored: {message[-2000:]}")


def _pipe(
    reader: subprocess.Popen[bytes], writer: subprocess.Popen[bytes], prelude: bytes, source: str, target: str
) -> None:
    stream: IO[bytes] | None = writer.stdin
    assert stream is not None and reader.stdout is not None
    try:
        stream.write(prelude)
        for line in renamed(reader.stdout, source, target):
            stream.write(line)
        stream.close()
    except BrokenPipeError:  # psql stopped at an error: say what it said, below
        reader.kill()
    reader.wait()
    writer.wait()
