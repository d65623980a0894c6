"""The Store interface and what both backends share: the publish decision and verified fetch."""
from __future__ import annotations

import abc
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from kubetune.store.errors import AlreadyPublished, NotPublished, StoreError
from kubetune.store.manifest import MANIFEST_NAME, Manifest, verify_file


@dataclass(frozen=True)
class PublishProgress:
    """Passed to `on_progress` after each file: `skipped` means an identical object was already
    there (a retried publish resumes instead of re-uploading)."""

    path: str
    done: int
    total: int
    skipped: bool


ProgressCallback = Callable[[PublishProgress], None]


def clean_prefix(prefix: str) -> str:
    """'/a/b/' -> 'a/b'; refuses '..' and empty inner parts so a prefix cannot climb out of its root."""
    if prefix is None:
        return ""
    stripped = prefix.strip("/")
    if not stripped:
        return ""
    parts = stripped.split("/")
    if any(p in ("", ".", "..") for p in parts) or "\\" in stripped:
        raise StoreError(f"invalid store prefix {prefix!r}: no '.', '..' or empty parts allowed")
    return stripped


def join_prefix(*parts: str) -> str:
    return "/".join(p for p in (clean_prefix(x) for x in parts) if p)


class Store(abc.ABC):
    """Publish a directory atomically under a prefix, fetch it back verified.

    A prefix is published when its MANIFEST.json exists; the manifest is always written after every
    object it names, so readers never see a half-written publish as complete.
    """

    # -- interface -----------------------------------------------------------------------------
    @abc.abstractmethod
    def publish(self, local_dir: str | os.PathLike[str], dest_prefix: str = "", *, overwrite: bool = False,
                metadata: dict[str, Any] | None = None, on_progress: ProgressCallback | None = None) -> Manifest:
        """Upload every file of local_dir under dest_prefix, then MANIFEST.json. Publishing identical
        content again returns the existing manifest; different content needs overwrite=True."""

    @abc.abstractmethod
    def read_manifest(self, prefix: str = "") -> Manifest:
        """The manifest at prefix; NotPublished when there is none."""

    @abc.abstractmethod
    def list_published(self, prefix: str = "") -> list[str]:
        """Prefixes (relative to the store root, sorted) under `prefix` that hold a manifest."""

    @abc.abstractmethod
    def uri(self, prefix: str = "") -> str:
        """Where prefix lives, as a URI/path a user or another tool understands."""

    @abc.abstractmethod
    def check(self) -> None:
        """Raise a clear StoreError if the store cannot be used (unreachable, no bucket, denied)."""

    @abc.abstractmethod
    def _download(self, prefix: str, rel: str, dest: Path) -> None:
        """Copy one stored file to dest (no verification: fetch does that)."""

    # -- shared --------------------------------------------------------------------------------
    def is_published(self, prefix: str = "") -> bool:
        try:
            self.read_manifest(prefix)
        except NotPublished:
            return False
        return True

    def fetch(self, prefix: str, local_dir: str | os.PathLike[str], *, overwrite: bool = False) -> Manifest:
        """Download the files the manifest names into local_dir, each checked against its sha256 and
        size. Files land in a hidden sibling directory renamed into place at the end, so local_dir
        either holds the complete verified set (plus its MANIFEST.json) or is left as it was."""
        manifest = self.read_manifest(prefix)
        target = Path(local_dir).absolute()
        if target.exists() and not target.is_dir():
            raise StoreError(f"cannot fetch into {target}: it exists and is not a directory")
        if target.is_dir() and any(target.iterdir()) and not overwrite:
            raise StoreError(f"cannot fetch into {target}: it is not empty (pass overwrite=True / --overwrite "
                             "to replace it)")
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.with_name(f".{target.name}.fetch-{os.getpid()}-{secrets.token_hex(4)}")
        where = self.uri(prefix)
        try:
            staging.mkdir()
            for rel, entry in sorted(manifest.files.items()):
                dest = staging / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                self._download(prefix, rel, dest)
                verify_file(dest, rel, entry, where)
            (staging / MANIFEST_NAME).write_text(manifest.to_json(), encoding="utf-8")
            replace_directory(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return manifest

    @staticmethod
    def _decide(existing: Manifest | None, new: Manifest, overwrite: bool, where: str) -> str:
        """'new' (nothing there), 'same' (identical already published) or 'replace'."""
        if existing is None:
            return "new"
        if existing.same_content(new):
            return "same"
        if not overwrite:
            raise AlreadyPublished(f"{where} already holds a different publish (created {existing.created}, "
                                   f"{len(existing.files)} files); pass overwrite=True / --overwrite to replace it")
        return "replace"


def replace_directory(staging: Path, target: Path) -> None:
    """Rename staging to target; an existing target is moved aside first and removed after."""
    if not target.exists():
        os.rename(staging, target)
        return
    trash = target.with_name(f".{target.name}.old-{os.getpid()}-{secrets.token_hex(4)}")
    os.rename(target, trash)
    try:
        os.rename(staging, target)
    except OSError:
        os.rename(trash, target)
        raise
    shutil.rmtree(trash, ignore_errors=True)
