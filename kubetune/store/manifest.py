"""MANIFEST.json: the list of files (sha256 + size) that makes a prefix "published".

Readers trust only what a manifest names; publishers write it last.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from kubetune.store.errors import ChecksumMismatch, ManifestError, StoreError

MANIFEST_NAME = "MANIFEST.json"
# Written by an S3 overwrite before the old manifest goes: the old version's objects, so that a retry
# after an interruption still removes the ones the new version does not have.
REPLACING_NAME = "MANIFEST.replacing.json"
MANIFEST_FORMAT = "kubetune-manifest/1"
CHUNK = 1 << 20
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def kubetune_version() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version
        return version("kubetune")
    except (ImportError, PackageNotFoundError):
        return "0+unknown"


@dataclass(frozen=True)
class FileEntry:
    sha256: str
    size: int


@dataclass
class Manifest:
    """What a publish wrote: relative POSIX path -> FileEntry, plus when/by what and free metadata."""

    files: dict[str, FileEntry]
    created: str
    kubetune_version: str
    metadata: dict[str, Any] = field(default_factory=dict)
    format: str = MANIFEST_FORMAT

    @property
    def total_size(self) -> int:
        return sum(e.size for e in self.files.values())

    def same_content(self, other: "Manifest") -> bool:
        """Same files (paths, hashes, sizes) and metadata; `created` and version do not count."""
        return self.files == other.files and self.metadata == other.metadata

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "created": self.created,
            "kubetune_version": self.kubetune_version,
            "file_count": len(self.files),
            "total_size": self.total_size,
            "files": {p: {"sha256": e.sha256, "size": e.size} for p, e in sorted(self.files.items())},
            "metadata": self.metadata,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes, source: str) -> "Manifest":
        """Parse and validate; `source` names where it came from in error messages."""
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError) as e:
            raise ManifestError(f"{source}: not valid JSON ({e})") from None
        if not isinstance(data, dict):
            raise ManifestError(f"{source}: expected a JSON object, found {type(data).__name__}")
        if data.get("format") != MANIFEST_FORMAT:
            raise ManifestError(f"{source}: format is {data.get('format')!r}; this kubetune reads {MANIFEST_FORMAT!r}")
        raw_files = data.get("files")
        if not isinstance(raw_files, dict):
            raise ManifestError(f"{source}: `files` must be an object of path -> {{sha256, size}}")
        files: dict[str, FileEntry] = {}
        for path, entry in raw_files.items():
            check_relative_path(path, source)
            if not isinstance(entry, dict):
                raise ManifestError(f"{source}: files[{path!r}] must be an object with sha256 and size")
            sha, size = entry.get("sha256"), entry.get("size")
            if not isinstance(sha, str) or not _SHA256.match(sha):
                raise ManifestError(f"{source}: files[{path!r}].sha256 is {sha!r}; expected 64 lowercase hex digits")
            if isinstance(size, bool) or not isinstance(size, int) or size < 0:
                raise ManifestError(f"{source}: files[{path!r}].size is {size!r}; expected an integer >= 0")
            files[path] = FileEntry(sha, size)
        metadata = data.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise ManifestError(f"{source}: `metadata` must be an object")
        return cls(files=files, created=str(data.get("created", "")),
                   kubetune_version=str(data.get("kubetune_version", "")), metadata=metadata)


def check_relative_path(path: str, source: str) -> None:
    """Refuse paths that could escape the destination directory or shadow the manifest."""
    pure = PurePosixPath(path)
    if (not path or pure.is_absolute() or "\\" in path or any(p in ("", ".", "..") for p in path.split("/"))
            or path == MANIFEST_NAME):
        raise ManifestError(f"{source}: unsafe or invalid file path {path!r} in the manifest "
                            "(must be relative, '/'-separated, without '.', '..' or empty parts, and not "
                            f"{MANIFEST_NAME})")


def sha256_stream(handle: BinaryIO) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def sha256_file(path: str | os.PathLike[str]) -> tuple[str, int]:
    with open(path, "rb") as handle:
        return sha256_stream(handle)


def scan_directory(local_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Relative POSIX path -> file for every regular file under local_dir (symlinks to files followed),
    except a top-level MANIFEST.json and MANIFEST.replacing.json (the store's own)."""
    root = Path(local_dir)
    if not root.is_dir():
        raise StoreError(f"cannot publish {root}: not a directory")
    found: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            if rel in (MANIFEST_NAME, REPLACING_NAME):
                continue
            if not full.is_file():
                raise StoreError(f"cannot publish {full}: not a regular file (broken link, socket or device)")
            check_relative_path(rel, str(root))
            found[rel] = full
    if not found:
        raise StoreError(f"cannot publish {root}: it holds no files")
    return found


def build_manifest(files: dict[str, Path], metadata: dict[str, Any] | None = None) -> Manifest:
    entries = {}
    for rel, path in files.items():
        sha, size = sha256_file(path)
        entries[rel] = FileEntry(sha, size)
    return Manifest(files=entries, created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    kubetune_version=kubetune_version(), metadata=dict(metadata or {}))


def verify_file(path: Path, rel: str, entry: FileEntry, where: str) -> None:
    """Raise ChecksumMismatch unless the file has the manifest's size and sha256."""
    sha, size = sha256_file(path)
    if size != entry.size or sha != entry.sha256:
        raise ChecksumMismatch(
            f"{where}: {rel} does not match its manifest (expected sha256 {entry.sha256[:16]}... size "
            f"{entry.size}, got sha256 {sha[:16]}... size {size}): the stored object was changed or "
            "corrupted after publishing; publish it again")
