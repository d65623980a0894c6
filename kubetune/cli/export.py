"""`kubetune export NAME --to URI`: the best (or a chosen) trial's checkpoint of a local or
cluster experiment, exported to ONNX in a Triton layout and published to a store
(kubetune.steps.export, kubetune.store).

Exit status: 0 published, 1 the export or the cluster failed, 2 bad input.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import DEFAULT_WORKDIR, UserError


def add_parser(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser("export", help="export an experiment's best trial (ONNX, Triton layout) to a store",
                       description="Export the best trial's checkpoint of a local or cluster experiment to ONNX + "
                                   "metadata.json in a Triton model-repository layout, and publish it to a local "
                                   "directory or s3:// with a checksummed MANIFEST.json (written last).")
    e.add_argument("name", help="experiment name")
    e.add_argument("--to", required=True, metavar="URI", help="store: s3://bucket/prefix, minio://..., or a directory")
    e.add_argument("--model-name", help="Triton model (directory) name (default: the experiment name)")
    e.add_argument("--prefix", default="", help="path inside the store before the model directory (default none)")
    e.add_argument("--trial", help="export this trial (a unique suffix is enough) instead of the best one")
    e.add_argument("--checkpoint", help="export this checkpoint file instead of looking up the trial's")
    e.add_argument("--set-path", action="append", default=[], metavar="MOUNT=DIR",
                   help="where a trial's volume mount path is on this machine (as for `kubetune run`; repeatable)")
    e.add_argument("--workdir", default=None, help="local experiments' directory (default as `kubetune run`)")
    e.add_argument("-n", "--namespace", help="read the experiment from the cluster, in this namespace")
    e.add_argument("--kubeconfig", help="kubeconfig file (cluster experiments)")
    e.add_argument("--context", help="kubeconfig context (cluster experiments)")
    e.add_argument("--endpoint", help="S3 endpoint (default: $S3_ENDPOINT / $AWS_ENDPOINT_URL, see docs/store.md)")
    e.add_argument("--overwrite", action="store_true", help="replace a different model already published there")
    e.set_defaults(func=cmd_export)


def _set_paths(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise UserError(f"--set-path {item!r}: expected MOUNT=DIR")
        out[key] = str(Path(value).absolute())
    return out


def cmd_export(args) -> int:
    from kubetune.steps.checkpoints import CheckpointNotFound, cluster_checkpoint, local_checkpoint
    from kubetune.steps.export import ExportError, export_and_publish

    from .connection import katib_client, namespace_of, uses_cluster

    set_paths = _set_paths(args.set_path)
    metadata = {"experiment": args.name}
    try:
        if args.checkpoint:
            checkpoint = Path(args.checkpoint)
            if not checkpoint.is_file():
                raise UserError(f"--checkpoint {args.checkpoint}: no such file")
        elif uses_cluster(args):
            from kubetune.cluster.client import ClusterError

            try:
                client = katib_client(args)
                found = cluster_checkpoint(client, args.name, namespace_of(args, client),
                                           trial=args.trial, set_paths=set_paths)
            except ClusterError as e:
                print(f"kubetune: error: {e}", file=sys.stderr)
                return 1
            checkpoint = found.checkpoint
        else:
            found = local_checkpoint(args.workdir or DEFAULT_WORKDIR, args.name, trial=args.trial, set_paths=set_paths)
            checkpoint = found.checkpoint
        if not args.checkpoint:
            metadata.update({"trial": found.trial.name, "objective": found.trial.result,
                             "objective_metric": found.objective_metric, "params": found.trial.assignments})
            from kubetune.numbers import human

            print(f"trial {found.trial.name}: {found.objective_metric} = {human(found.trial.result)}; "
                  f"checkpoint {checkpoint}")
        published = export_and_publish(str(checkpoint), args.to, args.prefix, args.model_name or args.name,
                                       overwrite=args.overwrite, metadata=metadata, endpoint=args.endpoint)
    except CheckpointNotFound as e:
        raise UserError(str(e)) from None
    except ExportError as e:
        print(f"kubetune: error: {e}", file=sys.stderr)
        return 1
    print(published.model_uri)
    return 0
