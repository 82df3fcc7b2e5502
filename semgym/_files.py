"""Files semgym writes to its caches: atomic, checksummed, and safe with concurrent writers.

- :func:`atomic_write` writes through a temporary file in the target's folder and renames it
  into place, so a reader sees the old file or the new one, never a partial one.
- :func:`exclusive` holds an advisory lock on ``<path>.lock`` (``fcntl.flock``; where it does
  not exist, no lock) for a check-compute-write sequence: a second process waits, then finds
  the file the first one wrote instead of computing it again. Inside, leftover temporary
  files of ``path`` (from a killed writer) are removed.
- :func:`write_checksum` / :func:`read_checksum`: the sha256 of a file kept beside it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # not POSIX: no advisory locks
    fcntl = None  # type: ignore[assignment]


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _temp_prefix(path: Path) -> str:
    return f".{path.name}."


def atomic_write(path: str | os.PathLike[str], writer: Callable[[IO[bytes]], object]) -> str:
    """Write through ``writer(handle)`` to a temporary file in ``path``'s folder, flush it to
    disk, then rename it onto ``path``. Returns the sha256 of what was written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            writer(handle)
            handle.flush()
            os.fsync(handle.fileno())
        digest = sha256_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


def checksum_path(path: str | os.PathLike[str]) -> Path:
    """Where the sha256 of a file is kept: ``<file>.sha256`` beside it."""
    path = Path(path)
    return path.with_name(path.name + ".sha256")


def write_checksum(path: str | os.PathLike[str], digest: str) -> None:
    """Keep ``digest`` (hex sha256 of ``path``) beside the file, atomically."""
    atomic_write(checksum_path(path), lambda handle: handle.write(digest.encode() + b"\n"))


def read_checksum(path: str | os.PathLike[str]) -> str | None:
    """The sha256 kept beside ``path``; None when there is none or it is not a hex digest
    (a damaged checksum file reads as a mismatch, never as an error of its own)."""
    try:
        text = checksum_path(path).read_bytes().decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    digest = text.split()[0] if text else ""
    if len(digest) != 64 or any(ch not in "0123456789abcdef" for ch in digest):
        return None
    return digest


@contextmanager
def exclusive(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold the advisory lock of ``path`` (``<path>.lock``) while the block runs, after
    removing the temporary files that killed writers of ``path`` left behind. Where the lock
    file cannot be created (a read-only folder), the block runs unlocked."""
    path = Path(path)
    lock_path = path.with_name(path.name + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a+b")
    except OSError:
        yield
        return
    try:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        for leftover in path.parent.glob(_temp_prefix(path) + "*.tmp"):
            leftover.unlink(missing_ok=True)
        yield
    finally:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()
