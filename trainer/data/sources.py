"""Find the images and their labels: ImageFolder layouts and CSV manifests.

Everything here only lists files (no decoding); `Source.parts` maps a part name
('train', 'val', 'test', 'all', or 'csv-<the CSV's stem>') to its records in a stable order.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

from .decode import is_image_file
from .errors import DataError, format_problems

VAL_DIR_NAMES = ("val", "valid", "validation")
TEST_DIR_NAMES = ("test",)


@dataclass(frozen=True)
class ImageRecord:
    path: str  # absolute
    rel: str  # relative to Source.root (the id used in caches and predictions)
    label: str  # class name
    group: str | None = None
    mtime_ns: int = 0
    size: int = 0


@dataclass
class Source:
    root: Path  # where the cache goes by default and what `rel` is relative to
    kind: str  # 'split-folders' | 'folder' | 'csv'
    parts: dict[str, list[ImageRecord]]
    classes: list[str]
    has_groups: bool = False
    description: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def presplit(self) -> bool:
        return "val" in self.parts


def sort_class_names(names: set[str] | list[str]) -> list[str]:
    """Sorted class names; all-integer names sort numerically so that '10' comes after '9'."""
    names = list(set(names))
    if names and all(n.strip().lstrip("-").isdigit() for n in names):
        return sorted(names, key=lambda n: (int(n), n))
    return sorted(names)


def _local_path(path: str) -> Path:
    if path.startswith("file://"):
        path = path[len("file://") :]
    elif "://" in path:
        raise DataError(
            f"data path {path!r} is a URI; only local paths (or file://) are read here: "
            "copy the dataset to a local folder first"
        )
    return Path(path).expanduser()


def _walk_images(folder: Path) -> list[tuple[str, os.stat_result]]:
    """Image files under folder (recursive, symlinks followed, hidden entries skipped), sorted."""
    found: list[tuple[str, os.stat_result]] = []
    seen_dirs: set[str] = set()
    stack = [str(folder)]
    while stack:
        current = stack.pop()
        real = os.path.realpath(current)
        if real in seen_dirs:  # symlink loop
            continue
        seen_dirs.add(real)
        try:
            entries = list(os.scandir(current))
        except OSError as error:
            raise DataError(f"cannot list folder {current}: {error}") from error
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir():
                    stack.append(entry.path)
                elif is_image_file(entry.name) and entry.is_file():
                    found.append((entry.path, entry.stat()))
            except OSError:
                continue  # broken symlink: not an image we can use
    found.sort(key=lambda item: item[0])
    return found


def list_images(path: str | os.PathLike[str]) -> list[str]:
    """Every image file under `path` (recursive, sorted, hidden files/folders skipped).

    A path to a single image file gives just that file. Missing path -> DataError.
    """
    folder = _local_path(os.fspath(path))
    if folder.is_file():
        if not is_image_file(folder.name):
            raise DataError(f"{folder} is not an image file (allowed extensions: png, jpg, jpeg, bmp, webp, gif, tif)")
        return [str(folder.resolve())]
    if not folder.is_dir():
        raise DataError(f"image folder {folder} does not exist")
    return [p for p, _ in _walk_images(folder.resolve())]


def _class_dirs(split_dir: Path) -> list[Path]:
    return sorted(
        (p for p in split_dir.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.name,
    )


def _scan_class_folders(split_dir: Path, root: Path) -> list[ImageRecord]:
    class_dirs = _class_dirs(split_dir)
    if not class_dirs:
        loose = [p for p in split_dir.iterdir() if p.is_file() and is_image_file(p.name)]
        hint = f" (found {len(loose)} image files directly in it)" if loose else ""
        raise DataError(
            f"{split_dir} has no class folders{hint}: expected one sub-folder per class, "
            "e.g. cat/001.jpg, dog/002.jpg"
        )
    records: list[ImageRecord] = []
    empty: list[str] = []
    for class_dir in class_dirs:
        images = _walk_images(class_dir)
        if not images:
            empty.append(str(class_dir))
        for path, stat in images:
            records.append(
                ImageRecord(
                    path=path,
                    rel=os.path.relpath(path, root),
                    label=class_dir.name,
                    mtime_ns=stat.st_mtime_ns,
                    size=stat.st_size,
                )
            )
    if empty:
        raise DataError(
            format_problems("empty class folders, without any png/jpg/jpeg/bmp/webp/gif/tif image", empty)
        )
    return records


def _find_child(root: Path, names: tuple[str, ...]) -> Path | None:
    for name in names:
        candidate = root / name
        if candidate.is_dir():
            return candidate
    return None


def _from_folders(root: Path) -> Source:
    train_dir = root / "train"
    if train_dir.is_dir():
        dirs = {"train": train_dir}
        val_dir = _find_child(root, VAL_DIR_NAMES)
        if val_dir is not None:
            dirs["val"] = val_dir
        test_dir = _find_child(root, TEST_DIR_NAMES)
        if test_dir is not None:
            dirs["test"] = test_dir
        parts = {name: _scan_class_folders(folder, root) for name, folder in dirs.items()}
        classes = sort_class_names({r.label for r in parts["train"]})
        for name, records in parts.items():
            unknown = sorted({r.label for r in records} - set(classes))
            if unknown:
                raise DataError(
                    f"classes {unknown} appear in {dirs[name]} "
                    f"but not in {train_dir}: a model cannot learn a class it never sees in training "
                    f"(train classes: {classes})"
                )
        return Source(root=root, kind="split-folders", parts=parts, classes=classes,
                      description=f"ImageFolder {root} ({', '.join(parts)})")
    split_names = [name for name in VAL_DIR_NAMES + TEST_DIR_NAMES if (root / name).is_dir()]
    if split_names:
        raise DataError(
            f"{root} has {'/, '.join(split_names)}/ but no train/ folder: expected train/ (plus val/, test/) "
            "with class folders inside, or a single folder of class folders"
        )
    records = _scan_class_folders(root, root)
    classes = sort_class_names({r.label for r in records})
    return Source(root=root, kind="folder", parts={"all": records}, classes=classes,
                  description=f"ImageFolder {root} (single folder, split by val_ratio)")


def _from_csv(csv_path: Path) -> Source:
    root = csv_path.parent.resolve()
    try:
        with open(csv_path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in ("path", "label") if c not in header]
            if missing:
                raise DataError(
                    f"CSV manifest {csv_path} lacks column(s) {missing}: found header {header}, "
                    "expected `path,label` (optionally `group`)"
                )
            has_groups = "group" in header
            rows = [{(k or "").strip(): (v or "").strip() if isinstance(v, str) else v
                     for k, v in row.items()} for row in reader]
    except UnicodeDecodeError as error:
        raise DataError(f"CSV manifest {csv_path} is not UTF-8 text: {error}") from error
    except csv.Error as error:
        raise DataError(f"CSV manifest {csv_path} cannot be parsed: {error}") from error

    records: list[ImageRecord] = []
    problems: list[str] = []
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        path_text, label = row.get("path") or "", row.get("label") or ""
        group = (row.get("group") or "") if has_groups else None
        if not path_text or not label:
            problems.append(f"row {line}: empty {'path' if not path_text else 'label'}")
            continue
        if has_groups and not group:
            problems.append(f"row {line}: empty group for {path_text}")
            continue
        full = Path(path_text) if os.path.isabs(path_text) else root / path_text
        try:
            stat = full.stat()
        except OSError:
            problems.append(f"row {line}: {path_text} does not exist (looked at {full})")
            continue
        if not full.is_file():
            problems.append(f"row {line}: {path_text} is not a file")
            continue
        records.append(ImageRecord(path=str(full), rel=path_text, label=label, group=group,
                                   mtime_ns=stat.st_mtime_ns, size=stat.st_size))
    if problems:
        raise DataError(format_problems(f"CSV manifest {csv_path} has bad rows", problems))
    if not records:
        raise DataError(f"CSV manifest {csv_path} has no rows")
    classes = sort_class_names({r.label for r in records})
    return Source(root=root, kind="csv", parts={f"csv-{csv_path.stem}": records}, classes=classes,
                  has_groups=has_groups, description=f"CSV manifest {csv_path}")


def discover(path: str) -> Source:
    """Work out the layout at `path` and list its images (no decoding)."""
    target = _local_path(path)
    if not target.exists():
        raise DataError(f"data path {target} does not exist")
    if target.is_file():
        if target.suffix.lower() != ".csv":
            raise DataError(f"data path {target} is a file but not a .csv manifest (path,label[,group])")
        source = _from_csv(target.resolve())
    else:
        source = _from_folders(target.resolve())
    if len(source.classes) < 2:
        raise DataError(
            f"{source.description} has {len(source.classes)} class(es) {source.classes}: "
            "classification needs at least 2"
        )
    return source
