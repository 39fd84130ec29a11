"""The audit chain's anchor outside the database: a key file and a log of signed checkpoints.

Whoever can write the database can delete the newest audit events, or edit one and compute the
sha256 chain again: nothing in the database can tell. Two files can. Events are chained with an
HMAC whose key lives in a file (``HUAJIE_AUDIT_KEY_FILE``, by default ``audit.key`` in the data
folder), so a chain computed again without the key does not verify; and the chain's head (how
many events, the last hash, when) is signed into an append-only log of checkpoints
(``audit-checkpoints.jsonl`` in the data folder) after every batch of commits, so a shortened or
replaced chain contradicts the last checkpoint.

The log's first entry is the transition: it records how many events were written before the
key existed (chained by sha256 alone, still verifiable) — every later event must be signed.
Checkpoints are written by a background thread a moment after commits (coalesced, like the WAL
checkpointer in ``app.db``), never by a request.
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import logging
import os
import secrets
import threading
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import orjson

from app import clock

try:
    import fcntl
except ImportError:  # not POSIX: appends of one short line are not interleaved anyway
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

KEY_FILE_NAME = "audit.key"
LOG_FILE_NAME = "audit-checkpoints.jsonl"
KEY_BYTES = 32
# session.info keys: the Database's anchor, and the chain head a commit produced
ANCHOR_INFO = "audit_anchor"
HEAD_INFO = "audit_head"
_CHECKPOINT_DOMAIN = b"huajie-audit-checkpoint\n"
_BLOCK = 64 * 1024

SEAL, HEAD, VERIFIED = "seal", "head", "verified"
KINDS = {SEAL, HEAD, VERIFIED}


class AnchorError(RuntimeError):
    """The key or the checkpoint log cannot be used; the message says why, in Chinese."""


# -- the key --------------------------------------------------------------------------------


def read_key(path: Path) -> bytes | None:
    """The key in ``path`` (hex text), or None when there is no such file."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise AnchorError(f"审计密钥文件无法读取：{path}（{exc}）") from exc
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise AnchorError(f"审计密钥文件格式不对（应为至少 32 位十六进制）：{path}")
    return key


def create_key(path: Path) -> bytes:
    """Make the key file (owner-only) unless another process just did; return the key in it.

    Written to a private temporary file, then linked into place: a concurrent reader sees no
    file or the whole key, and of two processes racing, the second takes the first one's key.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (secrets.token_bytes(KEY_BYTES).hex() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    key = read_key(path)
    assert key is not None
    return key


# -- checkpoints ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head at a moment: ``count`` events, the last one's ``hash``.

    ``seal``: written when the key came into use, ``count`` events before it are unsigned;
    ``head``: after a batch of commits; ``verified``: a verification checked the chain up to it
    (the next incremental verification starts there).
    """

    kind: str
    count: int
    hash: str
    at: datetime
    mac: str = ""

    def _body(self) -> bytes:
        moment = clock.to_utc(self.at).isoformat()
        return _CHECKPOINT_DOMAIN + f"{self.kind}\n{self.count}\n{self.hash}\n{moment}".encode()

    def signed(self, key: bytes) -> Checkpoint:
        return replace(self, mac=hmac.new(key, self._body(), hashlib.sha256).hexdigest())

    def valid(self, key: bytes) -> bool:
        expected = hmac.new(key, self._body(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.mac)

    def to_line(self) -> bytes:
        record = {
            "kind": self.kind,
            "count": self.count,
            "hash": self.hash,
            "at": clock.to_utc(self.at).isoformat(),
            "mac": self.mac,
        }
        return orjson.dumps(record) + b"\n"

    @classmethod
    def parse(cls, raw: bytes) -> Checkpoint | None:
        """A line of the log, or None for one that is not a checkpoint (e.g. torn by a crash)."""
        try:
            record = orjson.loads(raw)
            checkpoint = cls(
                kind=record["kind"],
                count=int(record["count"]),
                hash=str(record["hash"]),
                at=clock.to_utc(datetime.fromisoformat(record["at"])),
                mac=str(record["mac"]),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None
        return checkpoint if checkpoint.kind in KINDS else None


@dataclass
class LogTail:
    """What a verification reads of the log: its first entry (the transition) and the entries
    from the newest ``verified`` one to the end, in file order."""

    first: Checkpoint | None
    entries: list[Checkpoint]
    unreadable: int  # lines read that are no checkpoint (e.g. torn by a power cut)
    exists: bool


class CheckpointLog:
    """An append-only file of checkpoints, one JSON line each, shared by every process."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, checkpoint: Checkpoint) -> None:
        """One ``write`` of one line under a lock, then ``fsync``: crash-safe and never
        interleaved with another process's line."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.lockf(fd, fcntl.LOCK_EX)
            os.write(fd, checkpoint.to_line())
            os.fsync(fd)
        finally:
            os.close(fd)  # closing releases the lock

    def is_empty(self) -> bool:
        try:
            return self.path.stat().st_size == 0
        except FileNotFoundError:
            return True

    def tail(self, max_bytes: int | None = None) -> LogTail:
        """Read backwards from the end until the newest ``verified`` entry (or ``max_bytes``):
        a verification reads what it needs, not twenty years of checkpoints."""
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return LogTail(None, [], 0, exists=False)
        newest_first: list[Checkpoint] = []
        unreadable = 0
        with handle:
            first_line = handle.readline().strip()
            first = Checkpoint.parse(first_line) if first_line else None
            position = handle.seek(0, os.SEEK_END)
            rest = b""
            end = position
            while position > 0 and (max_bytes is None or end - position < max_bytes):
                start = max(0, position - _BLOCK)
                handle.seek(start)
                parts = (handle.read(position - start) + rest).split(b"\n")
                position = start
                rest = parts.pop(0) if position > 0 else b""  # maybe a part of a line
                for raw in reversed(parts):
                    if not raw.strip():
                        continue
                    parsed = Checkpoint.parse(raw.strip())
                    if parsed is None:
                        unreadable += 1
                        continue
                    newest_first.append(parsed)
                    if parsed.kind == VERIFIED:
                        return LogTail(first, newest_first[::-1], unreadable, exists=True)
        return LogTail(first, newest_first[::-1], unreadable, exists=True)


# -- the anchor of one database -------------------------------------------------------------


class Anchor:
    """The key and the checkpoint log of one installation, and the thread that writes head
    checkpoints after commits. One per ``Database``."""

    DELAY_S = 1.0  # a burst of commits becomes one checkpoint

    def __init__(self, key_file: Path, log_file: Path) -> None:
        self.key_file = key_file
        self.log = CheckpointLog(log_file)
        self._key: bytes | None = None
        self._key_lock = threading.Lock()
        self._pending: tuple[int, str] | None = None
        self._written = 0
        self._state_lock = threading.Lock()  # the pending head
        self._write_lock = threading.Lock()  # one writer of the log per process
        self._wrote = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def in_folder(cls, data_dir: Path, key_file: Path | None = None) -> Anchor:
        return cls(key_file or data_dir / KEY_FILE_NAME, data_dir / LOG_FILE_NAME)

    def key(self) -> bytes | None:
        """The key, if its file exists (never creates it)."""
        if self._key is None:
            self._key = read_key(self.key_file)
        return self._key

    def signing_key(self, count: int, last_hash: str, tail_signed: bool) -> bytes:
        """The key to sign the next events with, given the chain's tail as this transaction
        sees it. The first time: create the key if there is none and the chain has no signed
        event yet, and seal the unsigned events before it into an empty log (once per
        installation). A signed chain whose key is gone is refused: writing on with a new key
        would make its history unverifiable."""
        key = self._key
        if key is not None:
            return key
        with self._key_lock:
            if self._key is not None:
                return self._key
            key = read_key(self.key_file)
            if key is None:
                if tail_signed:
                    raise AnchorError(
                        f"审计密钥文件不存在：{self.key_file}。审计链已用密钥签名，"
                        "请先恢复密钥文件（或设置 HUAJIE_AUDIT_KEY_FILE 指向它）"
                    )
                key = create_key(self.key_file)
            if not tail_signed and self.log.is_empty():
                self.log.append(Checkpoint(SEAL, count, last_hash, clock.now()).signed(key))
            self._key = key
            return key

    def sign(self, kind: str, count: int, last_hash: str) -> Checkpoint:
        key = self.key()
        if key is None:
            raise AnchorError(f"审计密钥文件不存在：{self.key_file}")
        checkpoint = Checkpoint(kind, count, last_hash, clock.now()).signed(key)
        self.log.append(checkpoint)
        return checkpoint

    # -- head checkpoints after commits (background) --

    def committed(self, count: int, last_hash: str) -> None:
        """A transaction committed events up to ``count``: a checkpoint follows shortly."""
        with self._state_lock:
            if self._pending is None or count > self._pending[0]:
                self._pending = (count, last_hash)
            if self._thread is None and not self._stopping.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="huajie-audit-checkpoint", daemon=True
                )
                self._thread.start()
                atexit.register(self.flush)
        self._wrote.set()

    def flush(self) -> None:
        """Write the pending head checkpoint now (the thread, at exit, on close, in tests).

        The file is written outside ``_state_lock``: a commit's ``committed`` never waits for
        an ``fsync``."""
        with self._write_lock:
            with self._state_lock:
                pending, self._pending = self._pending, None
            if pending is None or pending[0] <= self._written:
                return
            try:
                self.sign(HEAD, *pending)
            except (OSError, AnchorError):
                with self._state_lock:  # e.g. a full disk: the next round tries again
                    if self._pending is None or self._pending[0] < pending[0]:
                        self._pending = pending
                raise
            self._written = pending[0]

    def _run(self) -> None:
        while True:
            self._wrote.wait()
            if self._stopping.wait(self.DELAY_S):
                return
            self._wrote.clear()
            try:
                self.flush()
            except (OSError, AnchorError):
                log.exception("audit checkpoint not written; retrying after the next commit")

    def close(self) -> None:
        atexit.unregister(self.flush)
        self._stopping.set()
        self._wrote.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.flush()
        except (OSError, AnchorError):
            log.exception("audit checkpoint not written at close")
