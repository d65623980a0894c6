"""LocalStore: a directory tree; publish builds a hidden sibling and renames it into place."""
from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from kubetune.store.base import ProgressCallback, PublishProgress, Store, clean_prefix, replace_directory
from kubetune.store.errors import NotPublished, StoreError
from kubetune.store.manifest import CHUNK, MANIFEST_NAME, Manifest, build_manifest, scan_directory


class LocalStore(Store):
    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root).expanduser().absolute()

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    def _path(self, prefix: str) -> Path:
        p = clean_prefix(prefix)
        return self.root / p if p else self.root

    def uri(self, prefix: str = "") -> str:
        return str(self._path(prefix))

    def check(self) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(f"store root {self.root} exists and is not a directory")
        probe = self.root
        while not probe.exists():
            probe = probe.parent
        if not os.access(probe, os.W_OK):
            raise StoreError(f"store root {self.root}: {probe} is not writable")

    def read_manifest(self, prefix: str = "") -> Manifest:
        path = self._path(prefix) / MANIFEST_NAME
        try:
            text = path.read_bytes()
        except FileNotFoundError:
            raise NotPublished(f"nothing published at {self._path(prefix)} (no {MANIFEST_NAME})") from None
        except OSError as e:
            raise StoreError(f"cannot read {path}: {e.strerror or e}") from None
        return Manifest.from_json(text, str(path))

    def list_published(self, prefix: str = "") -> list[str]:
        base = self._path(prefix)
        found = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))  # staging dirs are hidden
            if MANIFEST_NAME in filenames:
                found.append(Path(dirpath).relative_to(self.root).as_posix() if Path(dirpath) != self.root else "")
        return sorted(found)

    def publish(self, local_dir: str | os.PathLike[str], dest_prefix: str = "", *, overwrite: bool = False,
                metadata: dict[str, Any] | None = None, on_progress: ProgressCallback | None = None) -> Manifest:
        files = scan_directory(local_dir)
        manifest = build_manifest(files, metadata)
        target = self._path(dest_prefix)
        if target.resolve() == Path(local_dir).resolve():
            raise StoreError(f"cannot publish {local_dir} onto itself")
        try:
            existing = self.read_manifest(dest_prefix)
        except NotPublished:
            existing = None
        decision = self._decide(existing, manifest, overwrite, str(target))
        if decision == "same":
            return existing  # type: ignore[return-value]
        if existing is None and target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise StoreError(f"cannot publish to {target}: it exists, is not empty and holds no {MANIFEST_NAME} "
                             "(not something kubetune published); choose another prefix or remove it")
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.with_name(f".{target.name or 'root'}.publish-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            staging.mkdir()
            for done, (rel, source) in enumerate(sorted(files.items()), start=1):
                dest = staging / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                _copy_checked(source, dest, manifest.files[rel].sha256)
                if on_progress:
                    on_progress(PublishProgress(rel, done, len(files), skipped=False))
            (staging / MANIFEST_NAME).write_text(manifest.to_json(), encoding="utf-8")  # last
            replace_directory(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return manifest

    def _download(self, prefix: str, rel: str, dest: Path) -> None:
        source = self._path(prefix) / rel
        try:
            shutil.copyfile(source, dest)
        except FileNotFoundError:
            raise StoreError(f"{self._path(prefix)}: {rel} is named by the manifest but missing: "
                             "the published directory was modified; publish it again") from None


def _copy_checked(source: Path, dest: Path, expected_sha: str) -> None:
    """Copy and hash in one pass: a file changed since it was hashed fails the publish."""
    digest = hashlib.sha256()
    with open(source, "rb") as src, open(dest, "wb") as out:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != expected_sha:
        raise StoreError(f"{source} changed while it was being published; publish again once it is stable")
