"""`python -m trainer {train,predict,export,data}`; with no subcommand the arguments go to `train`
(Katib / torchrun trial commands: `python -m trainer --lr=0.01 ...`).

User errors print one message and exit 2; a diverged run exits 3; no tracebacks for either.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import warnings
from pathlib import Path
from typing import Sequence

from trainer.config import (Assignment, ParsedArgs, TrainConfig, build_config, config_json, help_text, parse_cli)
from trainer.errors import ConfigError, TrainingDiverged, UserError
from trainer.report import log

COMMANDS = ("train", "predict", "export", "data")
USAGE = """usage: python -m trainer <command> [options]

commands:
  train     train a model and report Katib metric lines (the default when options come first)
  predict   write id,label,prob_<class> CSV predictions from a checkpoint
  export    export a checkpoint to ONNX + metadata.json (optionally Triton layout)
  data      write datasets (`data digits --out DIR`)

`python -m trainer <command> --help` shows each command's options."""


class _SafeFormatter(logging.Formatter):
    """Log lines never carry `name=value` (Katib parses every line of stdout and stderr)."""

    def format(self, record: logging.LogRecord) -> str:
        return "[trainer] " + super().format(record).replace("=", ":")


def _is_rank0() -> bool:
    return os.environ.get("RANK", "0") == "0"


def _setup_logging() -> None:
    root = logging.getLogger()
    for h in [h for h in root.handlers if getattr(h, "_kubetune_trainer", False)]:
        root.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_SafeFormatter("%(message)s"))
    handler._kubetune_trainer = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.INFO if _is_rank0() else logging.WARNING)

    def show(message, category, filename, lineno, file=None, line=None):
        log(f"{category.__name__}: {message} ({Path(filename).name}:{lineno})")

    warnings.showwarning = show


def resolve_train_config(parsed: ParsedArgs) -> tuple[TrainConfig, dict | None]:
    """Build the config; with --resume, the checkpoint's saved config sits under the given arguments."""
    from trainer import checkpoint as ckpt_io
    from trainer.run_state import NOT_INHERITED
    assignments = list(parsed.assignments)
    extra = [p for p in parsed.positional if p != "custom"]   # seed 000 passes a dataset name `custom`
    if len(extra) > 1:
        raise ConfigError(f"unexpected arguments {extra}; give the dataset once (--data DIR)")
    if extra:
        assignments.insert(0, Assignment("data", extra[0], "DATA argument"))
    cfg = build_config(assignments)
    if not cfg.resume:
        return cfg, None
    path = cfg.resume
    if path == "auto":
        if not cfg.out:
            raise ConfigError("resume: `auto` resumes from <out>/last.pt and needs --out")
        last = Path(cfg.out) / ckpt_io.LAST
        if not last.is_file():
            log(f"resume auto: no {last} yet; starting fresh")
            cfg.resume = None
            return cfg, None
        path = str(last)
    resolved = ckpt_io.resolve_path(path)
    ckpt = ckpt_io.load(resolved)
    base = {k: v for k, v in ckpt["config"].items() if k not in NOT_INHERITED}
    cfg = build_config(assignments, base=base)
    cfg.resume = str(resolved)
    if int(ckpt["epoch"]) >= cfg.epochs:
        log(f"checkpoint {resolved} already finished {ckpt['epoch']} of {cfg.epochs} epochs; "
            "raise --epochs to train further")
    return cfg, ckpt


@contextlib.contextmanager
def _exit_cleanly_on_sigterm():
    """Katib's early stopping and pod eviction send SIGTERM: unwind (temp files removed, metric files
    closed) instead of dying mid-write. Only possible from the main thread; restored afterwards."""
    import signal
    import threading
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def cmd_train(argv: Sequence[str]) -> int:
    parsed = parse_cli(list(argv))
    if parsed.help:
        print(help_text())
        try:
            from trainer.models import list_models
            print("\nmodels: " + ", ".join(list_models()))
        except Exception as exc:   # help must work even if a model family fails to import
            print(f"\nmodels: (cannot list: {exc})")
        return 0
    cfg, ckpt = resolve_train_config(parsed)
    if parsed.print_config:
        print(config_json(cfg))
        return 0
    from trainer.train import train
    with _exit_cleanly_on_sigterm():
        summary = train(cfg, ckpt)
    best = summary["best"]
    if best["value"] is not None and _is_rank0():
        log(f"done: best {best['metric']} {best['value']:.4f} at epoch {best['epoch']}; outputs in {summary['output']}")
    return 0


def _checkpoint_parser(command: str, description: str) -> argparse.ArgumentParser:
    """The parser of a command that reads a checkpoint (predict, export), with its --checkpoint."""
    p = argparse.ArgumentParser(prog=f"python -m trainer {command}", description=description)
    p.add_argument("--checkpoint", required=True, help="best.pt / last.pt, or a run directory")
    return p


def _predict_parser() -> argparse.ArgumentParser:
    p = _checkpoint_parser("predict", "Predict classes for images; writes CSV id,label,prob_<class>...")
    p.add_argument("--data", required=True, help="folder of images (recursive), CSV manifest (path column) or one image")
    p.add_argument("--out", required=True, help="CSV file to write")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    p.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    return p


def cmd_predict(argv: Sequence[str]) -> int:
    args = _predict_parser().parse_args(list(argv))
    from trainer.predict import predict
    predict(args.checkpoint, args.data, args.out, batch_size=args.batch_size, device=args.device,
            workers=args.workers)
    return 0


def _export_parser() -> argparse.ArgumentParser:
    from trainer.export import DEFAULT_OPSET
    p = _checkpoint_parser("export", "Export a checkpoint to DIR/model.onnx + DIR/metadata.json")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--opset", type=int, default=DEFAULT_OPSET, help=f"ONNX opset (default {DEFAULT_OPSET})")
    p.add_argument("--verify", action="store_true", help="check onnxruntime's output against PyTorch")
    p.add_argument("--triton", action="store_true", help="also write 1/model.onnx + config.pbtxt (Triton)")
    p.add_argument("--triton-name", default=None, help="Triton model name (default: the directory name)")
    p.add_argument("--max-batch-size", type=int, default=64, help="Triton max_batch_size")
    return p


def cmd_export(argv: Sequence[str]) -> int:
    args = _export_parser().parse_args(list(argv))
    from trainer.export import export
    export(args.checkpoint, args.out, opset=args.opset, verify=args.verify, triton=args.triton,
           triton_name=args.triton_name, max_batch_size=args.max_batch_size)
    return 0


def cmd_data(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m trainer data", description="Write datasets")
    sub = p.add_subparsers(dest="dataset", required=True)
    d = sub.add_parser("digits", help="scikit-learn's digits as PNGs: train/ val/ test/ class folders + test.csv")
    d.add_argument("--out", required=True, help="folder to write (new, empty, or an earlier digits folder)")
    d.add_argument("--image-size", type=int, default=32, help="pixels per side (default 32)")
    d.add_argument("--seed", type=int, default=0, help="split seed (default 0)")
    args = p.parse_args(list(argv))
    from trainer.data import write_digits
    counts = write_digits(args.out, image_size=args.image_size, seed=args.seed)
    log(f"wrote digits to {args.out}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


HANDLERS = {"train": cmd_train, "predict": cmd_predict, "export": cmd_export, "data": cmd_data}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    _setup_logging()
    if argv[0] in HANDLERS:
        command, rest = argv[0], argv[1:]
    elif argv[0].startswith("-"):
        command, rest = "train", argv
    else:
        log(f"error: unknown command {argv[0]!r}; commands: {', '.join(COMMANDS)}")
        return 2
    try:
        return HANDLERS[command](rest)
    except TrainingDiverged as exc:
        log(f"error: {exc}")
        return TrainingDiverged.exit_code
    except (UserError, FileNotFoundError) as exc:
        log(f"error: {exc}")
        return 2
    except ValueError as exc:
        # trainer.data.DataError (a ValueError) and similar messages meant for the user
        from trainer.data import DataError
        if isinstance(exc, DataError):
            log(f"error: {exc}")
            return 2
        raise
    except KeyboardInterrupt:
        log("interrupted")
        return 130
