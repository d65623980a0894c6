"""The pipeline's data step: locate the dataset, check every image, fix the held-out test split,
build the decoded cache the trials will reuse, and describe it all in dataset.json.

Where the data comes from:
  * a directory or CSV manifest (a local path, or a path on the datasets claim at /datasets);
  * s3://bucket/prefix or minio://bucket/prefix: a folder published with kubetune.store (it has a
    MANIFEST.json); it is fetched, checksum-verified, into <work_dir>/datasets/<bucket>/<prefix>.

The test split: a `test/` folder when the dataset has one; otherwise `test_ratio` of the labelled
images is held out (stratified, or by group for split=group) and the trials train on a CSV
manifest of the rest, so no trial ever sees a test image.
"""
from __future__ import annotations

import csv
import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from kubetune.steps import say as say_line

log = logging.getLogger(__name__)

S3_SCHEMES = ("s3://", "minio://")


class PrepareError(ValueError):
    """The dataset cannot be used; the message says why and what to do."""


@dataclass
class PreparedData:
    source: str                  # what was asked for
    data_path: str               # what trials get as --data
    test_csv: str                # held-out test split: path,label (absolute paths)
    classes: list[str]
    counts: dict[str, int]       # images per split: train, val, test
    skipped: list[str]           # unreadable images left out (skip_corrupt)
    image_size: int
    trial_args: list[str]        # data flags every trial gets, besides --data and --image-size
    layout: str                  # how the splits were found: "folders" (train/val/test) or "held-out"
    cache_files: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


def _fetch_published(uri: str, work_dir: str, say: Callable[[str], None]) -> Path:
    """A dataset published with kubetune.store, fetched (verified) once into work_dir."""
    from kubetune.store import MANIFEST_NAME, Manifest, NotPublished, StoreError, store_from_uri

    scheme, _, rest = uri.partition("://")
    if not work_dir:
        raise PrepareError(f"dataset {uri}: an S3 dataset needs a work_dir to fetch it into")
    target = Path(work_dir) / "datasets" / rest.strip("/")
    try:
        store = store_from_uri(uri)
        manifest = store.read_manifest("")
        local = target / MANIFEST_NAME
        if local.is_file() and Manifest.from_json(local.read_text(encoding="utf-8"), str(local)).same_content(manifest):
            say(f"dataset {uri}: already fetched into {target} (manifest unchanged)")
            return target
        say(f"dataset {uri}: fetching {len(manifest.files)} files into {target}")
        store.fetch("", target, overwrite=True)
    except NotPublished as e:
        raise PrepareError(f"dataset {uri}: {e}. Publish the dataset folder with kubetune.store first "
                           "(store_from_uri(URI).publish(DIR)), or put it on the datasets volume and give its path") from None
    except StoreError as e:
        raise PrepareError(f"dataset {uri}: {e}") from None
    return target


def _write_manifest(path: Path, records, with_group: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "label", "group"] if with_group else ["path", "label"])
        for r in records:
            writer.writerow([r.path, r.label, r.group] if with_group else [r.path, r.label])
    os.replace(tmp, path)


def prepare_dataset(dataset: str, out_dir: str, *, work_dir: str = "", image_size: int = 224,
                    val_ratio: float = 0.2, test_ratio: float = 0.15, split: str = "stratified", seed: int = 0,
                    skip_corrupt: bool = False, cache_dir: str = "",
                    say: Callable[[str], None] = say_line) -> PreparedData:
    """Check and split `dataset`; write <out_dir>/dataset.json and <out_dir>/test.csv (plus
    <work_dir>/splits/... when the test split had to be held out). Raises PrepareError, or
    trainer.data.DataError naming every unreadable image."""
    from trainer.data import DataConfig, DataError, prepare_data
    from trainer.data.sources import discover
    from trainer.data.splits import split_indices

    if not dataset:
        raise PrepareError("dataset: empty; give a directory, a CSV manifest, or s3://bucket/prefix")
    if not 0.0 < float(test_ratio) < 1.0:
        raise PrepareError(f"test_ratio: must be between 0 and 1 (exclusive), found {test_ratio!r}")
    location = dataset
    if dataset.startswith(S3_SCHEMES):
        location = str(_fetch_published(dataset, work_dir, say))
    elif dataset.startswith("file://"):
        location = dataset[len("file://"):]
    elif "://" in dataset:
        raise PrepareError(f"dataset {dataset!r}: unsupported scheme; use a path, file://, s3:// or minio://")
    source = discover(os.path.abspath(location))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    if "test" in source.parts:
        layout, data_path = "folders", str(source.root if source.kind != "csv" else os.path.abspath(location))
        test_records = list(source.parts["test"])
    else:
        # hold out a test split of the labelled images; trials train on a manifest of the rest
        layout = "held-out"
        pool = [r for part in source.parts.values() for r in part]
        index = {c: i for i, c in enumerate(source.classes)}
        groups = [r.group or "" for r in pool] if split == "group" else None
        keep, held = split_indices(split, [index[r.label] for r in pool], float(test_ratio), int(seed), groups)
        if not held:
            raise PrepareError(f"dataset {dataset}: test_ratio {test_ratio} holds out no image of {len(pool)}")
        splits_dir = Path(work_dir or out_dir) / "splits" / out.name
        train_manifest = splits_dir / "train.csv"
        _write_manifest(train_manifest, [pool[i] for i in keep], with_group=split == "group")
        data_path, test_records = str(train_manifest), [pool[i] for i in held]
        say(f"dataset {dataset} has no test/ split: held out {len(held)} of {len(pool)} images "
            f"({split}, seed {seed}); trials train on {train_manifest}")

    held_out = layout == "held-out"
    # held-out test images are not in the trials' data, so they are checked here; and every
    # unreadable image, train or test, is listed in one error
    test_bad = _unreadable(test_records, int(image_size)) if held_out else {}
    cfg = DataConfig(path=data_path, image_size=int(image_size), val_ratio=float(val_ratio), split=split,
                     seed=int(seed), cache=True, cache_dir=cache_dir or None,
                     skip_corrupt=bool(skip_corrupt) or held_out)
    try:
        bundle = prepare_data(cfg)  # decodes every image once: the cache the trials reuse
    except DataError as e:
        raise PrepareError(str(e)) from None
    if held_out and not skip_corrupt and (bundle.skipped or test_bad):
        problems = [f"{p}: unreadable" for p in bundle.skipped] + list(test_bad.values())
        raise PrepareError(f"unreadable or corrupt images in {dataset} ({len(problems)}):\n  " + "\n  ".join(problems)
                           + "\nfix or remove them, or set skip_corrupt to go on without them")
    skipped = set(bundle.skipped) | set(test_bad)
    test_records = [r for r in test_records if r.rel not in skipped and r.path not in skipped]
    if not test_records:
        raise PrepareError(f"dataset {dataset}: the test split is empty (after leaving out unreadable images)")
    test_csv = out / "test.csv"
    _write_manifest(test_csv, test_records, with_group=False)

    trial_args = [f"--val-ratio={val_ratio}", f"--split={split}", f"--seed={seed}"]
    if cache_dir:
        trial_args.append(f"--cache-dir={cache_dir}")
    if skip_corrupt:
        trial_args.append("--skip-corrupt=true")
    prepared = PreparedData(
        source=dataset, data_path=data_path, test_csv=str(test_csv), classes=list(bundle.classes),
        counts={"train": len(bundle.train), "val": len(bundle.val), "test": len(test_records)},
        skipped=sorted(skipped), image_size=int(image_size), trial_args=trial_args, layout=layout,
        cache_files=list(bundle.cache_files))
    (out / "dataset.json").write_text(json.dumps(prepared.to_json(), indent=2) + "\n", encoding="utf-8")
    say(f"dataset {dataset}: {len(prepared.classes)} classes, train {prepared.counts['train']}, "
        f"val {prepared.counts['val']}, test {prepared.counts['test']}, skipped {len(prepared.skipped)}; "
        f"decoded cache at image size {image_size} ready")
    return prepared


def _unreadable(records, image_size: int) -> dict[str, str]:
    """rel path -> "path: reason" for each record that does not decode."""
    from trainer.data import decode_image
    from trainer.data.decode import describe_failure

    bad: dict[str, str] = {}
    for r in records:
        try:
            decode_image(r.path, image_size, 3)
        except Exception as e:  # noqa: BLE001 - any decoder failure means "unreadable"
            bad[r.rel] = f"{r.path}: {describe_failure(e)}"
    for line in bad.values():
        log.info("unreadable test image %s", line)
    return bad


def load_prepared(out_dir: str) -> PreparedData:
    """The PreparedData a prepare step wrote into out_dir (a Dataset artifact)."""
    path = Path(out_dir) / "dataset.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise PrepareError(f"{path}: not a prepared dataset ({e})") from None
    return PreparedData(**data)
