"""Decoded-image cache: every image of a part decoded once into one uint8 (N, C, H, W) file.

Files, in `<root>/.kubetune-cache/` (or `<cache_dir>/<root name>-<hash>/`):
  <part>-<size>-<channels>.u8    64-byte header (magic, token, shape) + the raw pixels
  <part>-<size>-<channels>.json  index: files (relative path, mtime_ns, size), labels, image_size,
                                 channels, unreadable files with reasons, and the token
  <part>-<size>-<channels>.lock  flock so concurrent trials build once; the others wait and reuse

A cache is reused (by later epochs and other processes) while the index lists exactly the same
files with the same mtimes and sizes; otherwise it is rebuilt, re-decoding only the files that
changed. Both files are written to a temporary name and renamed into place, and the token (a hash
of the file list and shape) ties the index to its data file, so a reader never uses a half-written
or mismatched cache, even where locking is unavailable (then two builders both decode and write
identical files; the last rename wins).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .decode import decode_image, describe_failure
from .errors import DataError
from .sources import ImageRecord
from .stores import HEADER_BYTES, DecodeStore, MemmapStore, make_header, read_header

try:
    import fcntl
except ImportError:  # not POSIX: atomic renames alone keep readers safe
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

INDEX_VERSION = 1
USE_LOCK = True  # tests switch it off to exercise concurrent builders without the lock
LOCK_TIMEOUT_S = 1800.0  # a builder stuck longer than this is ignored (atomic renames keep us safe)
STALE_TEMP_S = 3600.0


@dataclass
class PartPixels:
    """The pixels of one part plus what decoding found."""

    store: MemmapStore | DecodeStore
    bad: dict[int, str]  # row -> reason the file could not be decoded
    decoded: int  # images decoded by this call
    files: list[str] = field(default_factory=list)  # cache files used


def decode_workers(requested: int) -> int:
    return requested if requested > 0 else max(1, min(16, os.cpu_count() or 1))


def decode_many(paths: list[str], rows: list[int], image_size: int, channels: int, workers: int,
                sink: Callable[[int, np.ndarray], None]) -> dict[int, str]:
    """Decode paths[row] for each row in parallel threads (Pillow releases the GIL while decoding
    and resizing); sink(row, pixels) gets each image; returns row -> reason for failures."""

    def one(row: int) -> tuple[int, str | None]:
        try:
            sink(row, decode_image(paths[row], image_size, channels))
            return row, None
        except Exception as error:  # noqa: BLE001 - Pillow raises many types for corrupt files
            return row, describe_failure(error)

    if workers <= 1 or len(rows) < 32:
        results = map(one, rows)
        return {row: reason for row, reason in results if reason is not None}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="decode") as pool:
        return {row: reason for row, reason in pool.map(one, rows, chunksize=16) if reason is not None}


def cache_folder(root: Path, cache_dir: str | None) -> Path:
    if cache_dir is None:
        return root / ".kubetune-cache"
    digest = hashlib.sha1(str(root).encode()).hexdigest()[:10]
    return Path(cache_dir).expanduser() / f"{root.name or 'root'}-{digest}"


def _user_cache_folder(root: Path) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kubetune"
    return cache_folder(root, str(base))


def _usable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe-{os.getpid()}-{secrets.token_hex(4)}"
        probe.touch()
        probe.unlink()
        return True
    except OSError:
        return False


def _part_name(part: str, image_size: int, channels: int) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", part) or "part"
    return f"{safe}-{image_size}-{channels}"


def _file_keys(records: list[ImageRecord]) -> list[list]:
    return [[r.rel, r.mtime_ns, r.size] for r in records]


def _read_index(path: Path) -> dict | None:
    try:
        with open(path, encoding="utf-8") as handle:
            index = json.load(handle)
    except (OSError, ValueError):
        return None
    return index if isinstance(index, dict) and index.get("version") == INDEX_VERSION else None


def _write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    temp = path.with_name(f"{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        write(temp)
        os.replace(temp, path)
    finally:
        if temp.exists():
            temp.unlink()


def _write_index(path: Path, index: dict) -> None:
    def write(temp: Path) -> None:
        with open(temp, "w", encoding="utf-8") as handle:
            json.dump(index, handle, separators=(",", ":"))
            handle.flush()
            os.fsync(handle.fileno())

    _write_atomic(path, write)


@contextmanager
def _build_lock(path: Path):
    if not USE_LOCK or fcntl is None:
        yield
        return
    try:
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o666)
    except OSError:
        yield
        return
    try:
        deadline = time.monotonic() + LOCK_TIMEOUT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() > deadline:
                    log.warning("cache lock %s held for over %.0f s; building without it", path, LOCK_TIMEOUT_S)
                    break
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # releases the flock


def _remove_stale_temps(folder: Path, name: str) -> None:
    now = time.time()
    for temp in folder.glob(f"{name}.*.tmp-*"):
        try:
            if now - temp.stat().st_mtime > STALE_TEMP_S:
                temp.unlink()
        except OSError:
            pass


class _Cache:
    def __init__(self, folder: Path, part: str, records: list[ImageRecord], image_size: int, channels: int):
        self.folder = folder
        self.name = _part_name(part, image_size, channels)
        self.index_path = folder / f"{self.name}.json"
        self.data_path = folder / f"{self.name}.u8"
        self.lock_path = folder / f"{self.name}.lock"
        self.records = records
        self.image_size = image_size
        self.channels = channels
        self.shape = (len(records), channels, image_size, image_size)

    def token(self) -> str:
        """Derived from what the pixels are made of (decoding is deterministic), so two processes
        building the same cache at once write interchangeable files, and a data file from a
        build over different files never passes for this one."""
        recipe = json.dumps([INDEX_VERSION, list(self.shape), _file_keys(self.records)], separators=(",", ":"))
        return hashlib.sha256(recipe.encode()).hexdigest()[:32]

    def _index_for(self, token: str, bad: dict[int, str]) -> dict:
        return {
            "version": INDEX_VERSION,
            "token": token,
            "data": self.data_path.name,
            "shape": list(self.shape),
            "image_size": self.image_size,
            "channels": self.channels,
            "files": _file_keys(self.records),
            "labels": [r.label for r in self.records],
            "bad": {str(row): reason for row, reason in sorted(bad.items())},
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }

    def try_load(self) -> PartPixels | None:
        """The existing cache if its index matches the files and its data file matches the index."""
        index = _read_index(self.index_path)
        if index is None or index.get("shape") != list(self.shape) or index.get("files") != _file_keys(self.records):
            return None
        header = read_header(str(self.data_path))
        if header is None or header[0] != index.get("token") or list(header[1]) != list(self.shape):
            return None
        bad = {int(row): reason for row, reason in index.get("bad", {}).items()}
        if index.get("labels") != [r.label for r in self.records]:
            # Same pixels, new labels (an edited CSV): refresh the index (informational) if we may.
            try:
                _write_index(self.index_path, self._index_for(index["token"], bad))
            except OSError:
                pass
        store = MemmapStore(str(self.data_path), index["token"], self.shape)
        try:
            store.open()  # map the file checked above, before anyone can replace it
        except DataError:
            return None
        return PartPixels(store=store, bad=bad, decoded=0, files=[str(self.data_path), str(self.index_path)])

    def _reusable_rows(self) -> tuple[dict[tuple, int], dict[int, str], np.memmap | None]:
        """Rows of the previous cache whose file is unchanged, so a rebuild decodes only what changed."""
        index = _read_index(self.index_path)
        header = read_header(str(self.data_path))
        if index is None or header is None or header[0] != index.get("token"):
            return {}, {}, None
        old_shape = tuple(header[1])
        if old_shape[1:] != self.shape[1:] or len(index.get("files", [])) != old_shape[0]:
            return {}, {}, None
        old = np.memmap(self.data_path, dtype=np.uint8, mode="r", offset=HEADER_BYTES, shape=old_shape)
        rows = {tuple(key): row for row, key in enumerate(index["files"])}
        return rows, {int(r): reason for r, reason in index.get("bad", {}).items()}, old

    def build(self, workers: int) -> PartPixels:
        _remove_stale_temps(self.folder, self.name)
        old_rows, old_bad, old = self._reusable_rows()
        token = self.token()
        bad: dict[int, str] = {}
        todo: list[int] = []
        copies: list[tuple[int, int]] = []
        for row, key in enumerate(_file_keys(self.records)):
            old_row = old_rows.get(tuple(key))
            if old_row is None:
                todo.append(row)
            elif old_row in old_bad:
                bad[row] = old_bad[old_row]
            else:
                copies.append((row, old_row))

        def write(temp: Path) -> None:
            with open(temp, "wb") as handle:
                handle.write(make_header(token, self.shape))
                handle.truncate(HEADER_BYTES + int(np.prod(self.shape)))
            pixels = np.memmap(temp, dtype=np.uint8, mode="r+", offset=HEADER_BYTES, shape=self.shape)
            for start in range(0, len(copies), 1024):
                new_rows, src_rows = zip(*copies[start : start + 1024])
                pixels[list(new_rows)] = old[list(src_rows)]

            def sink(row: int, image: np.ndarray) -> None:
                pixels[row] = image

            paths = [r.path for r in self.records]
            bad.update(decode_many(paths, todo, self.image_size, self.channels, workers, sink))
            pixels.flush()
            del pixels
            with open(temp, "rb+") as handle:
                os.fsync(handle.fileno())

        _write_atomic(self.data_path, write)
        _write_index(self.index_path, self._index_for(token, bad))
        if copies:
            log.info("cache %s: reused %d images, decoded %d", self.data_path, len(copies), len(todo))
        store = MemmapStore(str(self.data_path), token, self.shape)
        store.open()
        return PartPixels(store=store, bad=bad, decoded=len(todo),
                          files=[str(self.data_path), str(self.index_path)])


def cached_pixels(records: list[ImageRecord], root: Path, part: str, image_size: int, channels: int,
                  cache_dir: str | None, workers: int) -> PartPixels:
    """Load the part's decoded cache, or build it (once across concurrent processes).

    A valid cache is used even from a read-only folder (e.g. built by the pipeline's data step,
    then mounted read-only into trials); a build goes next to the data, or, when that folder is
    not writable, to ~/.cache/kubetune; failing both, images are decoded on every access.
    """
    folder = cache_folder(root, cache_dir)
    cache = _Cache(folder, part, records, image_size, channels)
    loaded = cache.try_load()
    if loaded is not None:
        return loaded
    if not _usable(folder):
        fallback = _user_cache_folder(root)
        if cache_dir is not None or not _usable(fallback):
            log.warning("cannot write a decoded cache at %s; decoding images on every access", folder)
            return uncached_pixels(records, image_size, channels, workers)
        log.warning("cannot write the cache next to the data (%s); using %s", folder, fallback)
        cache = _Cache(fallback, part, records, image_size, channels)
        loaded = cache.try_load()
        if loaded is not None:
            return loaded
    with _build_lock(cache.lock_path):
        loaded = cache.try_load()  # another process may have built it while we waited
        if loaded is not None:
            return loaded
        return cache.build(decode_workers(workers))


def uncached_pixels(records: list[ImageRecord], image_size: int, channels: int, workers: int) -> PartPixels:
    """No cache: decode everything once to find corrupt files and per-image channel sums for
    mean/std, keep nothing else; datasets decode again on access."""
    sums = np.zeros((len(records), channels))
    sums_sq = np.zeros((len(records), channels))

    def sink(row: int, image: np.ndarray) -> None:
        values = image.astype(np.float64)
        sums[row] = values.sum(axis=(1, 2))
        sums_sq[row] = np.square(values).sum(axis=(1, 2))

    paths = [r.path for r in records]
    bad = decode_many(paths, list(range(len(records))), image_size, channels, decode_workers(workers), sink)
    store = DecodeStore(paths, image_size, channels, sums, sums_sq)
    return PartPixels(store=store, bad=bad, decoded=len(records))
