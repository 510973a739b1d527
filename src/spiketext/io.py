"""Files spiketext writes: one atomic-write helper, JSON read with errors that name the file, write checks.

Every file goes to a temporary name in its own folder and is renamed into place, so a killed process or a full
disk leaves either the old file or the new one, never half of one; a failed write removes its temporary file
and raises a `SpiketextError` naming the path. `check_writable` answers "can a run write here?" before any work
starts. No torch import.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import math
import os
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from spiketext.errors import SpiketextError


def sha256_file(path: str | Path) -> str:
    """The sha256 of a file's bytes, read in 1 MB blocks (the one hashing helper)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_failed(path: Path, e: OSError) -> SpiketextError:
    if e.errno == errno.ENOSPC:
        return SpiketextError(f"{path}: the disk is full; free some space and run the command again")
    if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return SpiketextError(f"{path}: cannot write here ({e.strerror}); choose a writable --out or folder")
    return SpiketextError(f"{path}: cannot write ({e.strerror or e}); check the folder and try again")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> None:
    """Call `write(tmp)` on a temporary file beside `path`, then rename it into place (the one atomic writer).

    The file gets the mode a plain open() would give it (0666 less the umask: 0644 under the usual 022), not the
    0600 of a temporary file, so a shared results folder stays readable to the user's group.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as e:
        raise _write_failed(path, e) from e
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())  # a writer that re-created the file (safetensors does) made it 0600
        os.replace(tmp, path)
    except OSError as e:
        raise _write_failed(path, e) from e
    except Exception as e:
        # writers of other libraries (safetensors) raise their own error types for a failed write; a full disk
        # is still a full disk
        if "No space left" in str(e) or _disk_full(path.parent):
            raise _write_failed(path, OSError(errno.ENOSPC, "No space left on device")) from e
        raise
    finally:
        Path(tmp).unlink(missing_ok=True)


def _disk_full(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < (1 << 20)
    except OSError:
        return False


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def _finite(obj: Any, where: str) -> Any:
    """Refuse NaN and ±inf: they are not JSON, and a NaN accuracy means something upstream went wrong."""
    if isinstance(obj, float) and not math.isfinite(obj):
        raise SpiketextError(f"{where}: a value is {obj}, not a finite number; the run diverged or a setting is off")
    if isinstance(obj, dict):
        return {k: _finite(v, where) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v, where) for v in obj]
    return obj


def dumps_json(obj: Any, where: str = "JSON") -> str:
    return json.dumps(_finite(obj, where), indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def atomic_write_json(path: str | Path, obj: Any) -> None:
    atomic_write_text(path, dumps_json(obj, str(path)))


def read_json(path: str | Path, default: Any = None, fix: str = "delete it to start over") -> Any:
    """The JSON in `path`, or `default` when there is no such file; a damaged file is an error naming it."""
    path = Path(path)
    if not path.is_file():
        if path.exists():
            raise SpiketextError(f"{path}: not a regular file; remove it or {fix}")
        return default
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise SpiketextError(f"{path}: damaged (not valid JSON: {e}); {fix}") from e
    except OSError as e:
        raise SpiketextError(f"{path}: cannot read ({e.strerror}); check its permissions") from e
    where = nonfinite_field(obj)
    if where is not None:
        # spiketext never writes NaN or ±inf (dumps_json refuses them): such a value was put there by hand
        raise SpiketextError(f"{path}: {where[0]} is {where[1]}, not a finite number: the file is damaged; {fix}")
    return obj


def nonfinite_field(obj: Any, prefix: str = "") -> tuple[str, float] | None:
    """The dotted name and value of the first NaN or ±inf in a JSON value (None if there is none)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return prefix or "the value", obj
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for k, v in items:
        found = nonfinite_field(v, f"{prefix}.{k}" if prefix else str(k))
        if found is not None:
            return found
    return None


def read_json_object(path: str | Path, fix: str = "delete it to start over") -> dict | None:
    """`read_json` for files that must hold a JSON object (None where the file is absent)."""
    obj = read_json(path, None, fix)
    if obj is not None and not isinstance(obj, dict):
        raise SpiketextError(f"{path}: damaged (expected a JSON object, found {type(obj).__name__}); {fix}")
    return obj


def check_writable(folder: str | Path, what: str = "--out") -> Path:
    """Make sure `folder` is (or can become) a writable directory, before any work starts."""
    folder = check_utf8_path(folder, what)
    for parent in (folder, *folder.parents):
        if parent.exists():
            if not parent.is_dir():
                where = "is" if parent == folder else f"lies under {parent}, which is"
                raise SpiketextError(f"{folder}: {where} a file, not a folder; choose another {what}")
            break
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-check.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise _write_failed(folder, e) from e
    return folder


def check_utf8_path(path: str | Path, what: str = "path") -> Path:
    """A path whose name is valid UTF-8 (every file spiketext writes records its paths as UTF-8 JSON): refused up
    front otherwise, naming the path with its undecodable bytes escaped."""
    path = Path(path)
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        shown = str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise SpiketextError(
            f"{what} {shown}: the name is not valid UTF-8 (bytes undecodable as text); rename it, or choose a name "
            "in UTF-8"
        ) from None
    return path


def check_output_file(path: str | Path, what: str = "--json") -> Path:
    """A file the command will write at its end: checked before any work (not a folder, its folder writable)."""
    path = Path(path)
    if path.is_dir():
        raise SpiketextError(f"{what} {path}: is a folder; give a file name, e.g. {path / 'report.json'}")
    check_writable(path.parent, f"{what} folder")
    return path


def check_regular_file(path: str | Path, what: str = "file") -> Path:
    """A path that must be an existing regular file (not a folder, a device or a pipe that never ends)."""
    path = check_utf8_path(path, what)
    if not path.exists():
        raise SpiketextError(f"{path}: {what} not found; check the path")
    if path.is_dir():
        raise SpiketextError(f"{path}: is a folder; give the {what} itself")
    if not path.is_file():
        raise SpiketextError(f"{path}: not a regular file (a device or a pipe); copy the data into a file first")
    return path


# --- one writer per folder ---------------------------------------------------------------------------------------

LOCK_FILE = ".spiketext.lock"
_held: dict[Path, list] = {}  # folder -> [open lock file, depth]: this process's locks, taken re-entrantly


def _command() -> str:
    """This process's whole command line, quoted as a shell would need it (undecodable bytes escaped)."""
    words = [a.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace") for a in sys.argv]
    return shlex.join([Path(words[0]).name, *words[1:]]) if words else "python"


def _open_locked(path: Path, what: str, folder: Path) -> Any:
    """Open and flock the lock file at `path`. A holder removes the file when it lets go, so the file we locked
    may have been unlinked meanwhile: then lock the one now at the path (the classic flock-and-unlink protocol)."""
    while True:
        try:
            f = path.open("a+b")
        except OSError as e:
            raise _write_failed(path, e) from e
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            f.seek(0)
            holder = f.read().decode("utf-8", "replace").strip() or "another process"
            f.close()
            raise SpiketextError(
                f"{folder}: another spiketext process is writing this folder ({holder}); wait for it to finish, "
                f"or choose another {what}"
            ) from e
        try:
            same = os.fstat(f.fileno()).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return f
        f.close()


@contextlib.contextmanager
def writer_lock(folder: str | Path, what: str = "--out") -> Iterator[Path]:
    """Hold an advisory lock (flock on FOLDER/.spiketext.lock) while writing `folder`: a second process that
    tries gets a clear error naming the holder's process id and command. The kernel drops the lock when its
    holder exits, kill -9 included, so a stale lock file never blocks anyone; a holder that lets go removes the
    file, and a folder this lock created is removed again if nothing was written into it (a refused command
    leaves no trace). Re-entrant within one process."""
    created = not Path(folder).exists()
    folder = check_writable(folder, what).resolve()
    held = _held.get(folder)
    if held is not None:
        held[1] += 1
        try:
            yield folder
        finally:
            held[1] -= 1
        return
    path = folder / LOCK_FILE
    f = _open_locked(path, what, folder)
    f.seek(0)
    f.truncate()
    f.write(f"pid {os.getpid()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}: {_command()}\n".encode())
    f.flush()
    _held[folder] = [f, 1]
    try:
        yield folder
    finally:
        _held.pop(folder, None)
        path.unlink(missing_ok=True)  # while still holding it: a process waiting on this file then retries
        fcntl.flock(f, fcntl.LOCK_UN)
        f.close()
        if created:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty
