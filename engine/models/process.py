"""What the engine keeps: diagram versions, instances, the inbox and timer rows, public links,
pending messages, and the hash-chained event log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UtcDateTime


class Artifact(Base):
    """One file of a deployment (BPMN, DMN or form), stored once by its content hash."""

    __tablename__ = "artifact"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(8))  # bpmn / dmn / form
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ProcessVersion(Base):
    """A process key at one content hash: its own diagram plus every file it depends on.

    `files` lists (name, kind, sha256) of the closure: called processes, decision tables and the
    forms of every user task. Instances are pinned to a version and never see another one.
    """

    __tablename__ = "process_version"
    __table_args__ = (
        UniqueConstraint("process_key", "version"),
        UniqueConstraint("process_key", "bundle_hash", name="uq_process_version_key_bundle"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_key: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255), default="")
    bundle_hash: Mapped[str] = mapped_column(String(64))
    files: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    engine_version: Mapped[str] = mapped_column(String(32))
    deployed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    deployed_by: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class ProcessDefinition(Base):
    """Which version of a process key new instances start on."""

    __tablename__ = "process_definition"

    process_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    current_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    startable: Mapped[bool] = mapped_column(Boolean, default=True)


class ProcessInstance(Base):
    """One running (or ended) case. `state_json` is the SpiffWorkflow snapshot without the spec;
    `version` is the optimistic-lock counter and equals the number of events of the instance."""

    __tablename__ = "process_instance"
    __table_args__ = (
        # A scheduled start happens once per occurrence and subject, however many tickers race for it.
        Index(
            "uq_process_instance_business_key",
            "process_key",
            "business_key",
            unique=True,
            sqlite_where=text("business_key != ''"),
            postgresql_where=text("business_key != ''"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_key: Mapped[str] = mapped_column(String(64), index=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    title: Mapped[str] = mapped_column(String(255), default="")
    business_key: Mapped[str] = mapped_column(String(64), default="", index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # running / completed / cancelled
    end_event: Mapped[str] = mapped_column(String(64), default="")
    outcome: Mapped[str] = mapped_column(String(64), default="")
    state_json: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=0)
    # Counts only steps that change the workflow (not 抄送 or 催办): what a stale form is checked against.
    state_version: Mapped[int] = mapped_column(Integer, default=0)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id"))
    started_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    task_count: Mapped[int] = mapped_column(Integer, default=0)
    max_depth: Mapped[int] = mapped_column(Integer, default=0)
    pending_messages: Mapped[int] = mapped_column(Integer, default=0)
    head_hash: Mapped[str] = mapped_column(String(64), default="")


REMIND_WHERE = "remind_days IS NOT NULL AND reminded_at IS NULL"
ESCALATE_WHERE = "escalate_to != '' AND escalated_at IS NULL"


class HumanTask(Base):
    """A READY user task as an inbox row, kept in step with the snapshot in the same transaction."""

    __tablename__ = "human_task"
    # Each part of an inbox is one ordered walk of an index (role, branch, unassigned, or assigned to
    # one person; then by due date), so a page costs the same at 100 open tasks as at 20,000; the
    # partial indexes hold only the tasks still to be reminded or escalated (`services.reminders`).
    __table_args__ = (
        Index("ix_human_task_queue", "role", "branch_id", "assignee_user_id", "due_at", "created_at", "id"),
        Index("ix_human_task_town_queue", "role", "assignee_user_id", "due_at", "created_at", "id"),
        Index("ix_human_task_assigned", "assignee_user_id", "due_at", "created_at", "id"),
        Index(
            "ix_human_task_to_remind",
            "remind_days",
            "due_at",
            sqlite_where=text(REMIND_WHERE),
            postgresql_where=text(REMIND_WHERE),
        ),
        Index(
            "ix_human_task_to_escalate",
            "due_at",
            sqlite_where=text(ESCALATE_WHERE),
            postgresql_where=text(ESCALATE_WHERE),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the SpiffWorkflow task id
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    spec_id: Mapped[str] = mapped_column(String(64))
    process_id: Mapped[str] = mapped_column(String(64))  # the (called) process the task belongs to
    name: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255), default="")
    role: Mapped[str] = mapped_column(String(16))
    form: Mapped[str] = mapped_column(String(128), default="")
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # 委派: while delegated, the delegate is the assignee and the owner gets the task back afterwards.
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    delegation_state: Mapped[str] = mapped_column(String(16), default="")  # "" / pending / resolved
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id"))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id"))
    mi_index: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, index=True)
    # From the diagram: remind whoever must act when this many working days are left; tell this
    # role once the task is overdue. The two timestamps make each happen once.
    remind_days: Mapped[int | None] = mapped_column(Integer)
    escalate_to: Mapped[str] = mapped_column(String(16), default="")
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class TimerRow(Base):
    """A waiting timer's due time, so `tick` is one indexed query, never a scan of snapshots."""

    __tablename__ = "timer"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the waiting task id
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    spec_id: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)


class PublicLink(Base):
    """A single-use link for a task in a `public` lane (evaluation by villagers, surveys)."""

    __tablename__ = "public_link"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36), unique=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class PendingMessage(Base):
    """A message for an instance (e.g. an objection), delivered when the instance waits for it."""

    __tablename__ = "pending_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class Event(Base):
    """One input to an instance (or a change outside any), appended to the chain of its shard.

    `hash` = sha256(prev_hash + canonical JSON of every other column), `prev_hash` being the hash of
    the shard's event before it; `seq` orders all events (as they committed, where they touched the
    same rows); `state_hash` is the sha256 of the snapshot after the step, which replay must
    reproduce byte for byte. Events from before the chain had shards have no `shard_seq`: they are
    the beginning of shard 0.
    """

    __tablename__ = "event"
    __table_args__ = (
        UniqueConstraint("instance_id", "instance_version", name="uq_event_instance_version"),
        UniqueConstraint("shard", "shard_seq", name="uq_event_shard_seq"),
        # 已办: one person's events newest first, a page at a time.
        Index("ix_event_actor_seq", "actor_user_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # An instance's events are found through the unique (instance_id, instance_version) index; a
    # second index on instance_id alone would only cost every append one more page.
    # Empty for what happens outside any instance: the organisation, accounts, holidays, deployments,
    # work records and their comments, listings for commendation.
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    instance_version: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    # Indexed: a submission for a task already done says who did it and when (a stale page).
    task_id: Mapped[str] = mapped_column(String(36), default="", index=True)
    spec_id: Mapped[str] = mapped_column(String(64), default="")
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(64), default="")
    role: Mapped[str] = mapped_column(String(16), default="")
    payload: Mapped[str] = mapped_column(Text)
    effects: Mapped[str] = mapped_column(Text)
    business_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    bundle_hash: Mapped[str] = mapped_column(String(64))
    state_hash: Mapped[str] = mapped_column(String(64))
    # The rows of chained tables the event wrote (engine/journal): what `verify` rebuilds them from.
    changes: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    shard: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    shard_seq: Mapped[int | None] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    # Not indexed: the chain itself proves each hash; a unique index on random 64-hex keys would
    # make every append touch a random page of an ever-growing index.
    hash: Mapped[str] = mapped_column(String(64))


class ChainHead(Base):
    """The head of one shard of the chain: its last event's number within the shard, hash and
    business time. An appending transaction locks only its own shard's row, so steps of cases in
    different shards append side by side; the published head is the root over every shard's head."""

    __tablename__ = "chain_head"

    shard: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    # The shard's last event's business time: no event of the shard is dated before it.
    business_time: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class VerifyRun(Base):
    """An auditor's verify run started from the browser: it runs in the background, and its
    progress and report are read from here by whichever server process serves the page."""

    __tablename__ = "verify_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # JSON: null for the whole chain, or the list of case numbers to replay.
    scope: Mapped[str] = mapped_column(Text, default="null")
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued / running / done / failed
    events_total: Mapped[int] = mapped_column(Integer, default=0)
    events_done: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    ok: Mapped[bool | None] = mapped_column(Boolean)
    head_seq: Mapped[int | None] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64), default="")
    report: Mapped[str] = mapped_column(Text, default="")  # JSON, when done
    error: Mapped[str] = mapped_column(Text, default="")


class ReplayCheckpoint(Base):
    """Where an earlier `verify` finished replaying a case cleanly: the event it reached, the
    snapshot there, a digest of the case's event hashes up to it, and a seal (an HMAC under a key
    kept outside the database, `audit.checkpoints`). Not a record people rely on: a cache that
    spares the next `verify` the replay of what is unchanged. A row that does not match the chain
    or its seal is ignored and the case is replayed from its first event."""

    __tablename__ = "replay_checkpoint"

    instance_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    instance_version: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    bundle_hash: Mapped[str] = mapped_column(String(64))
    events_digest: Mapped[str] = mapped_column(String(64))
    snapshot: Mapped[str] = mapped_column(Text)
    seal: Mapped[str] = mapped_column(String(64))
    made_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ProcessDraft(Base):
    """An administrator's unpublished change to diagrams, decision tables or forms. Not a record
    people rely on until published: publishing is the chained event (with its reason) that makes a
    new version, which is what instances start on."""

    __tablename__ = "process_draft"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_key: Mapped[str] = mapped_column(String(64), index=True)
    # JSON: {file name: text} of the files the draft changes or adds.
    files: Mapped[str] = mapped_column(Text, default="{}")
    # JSON: {file name: sha256} of the published files the draft started from.
    base: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open / published / discarded
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    published_seq: Mapped[int | None] = mapped_column(Integer)
