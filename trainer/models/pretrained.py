"""Load pretrained weights into a model from a local file, a file:// URI or an s3:// URI.

Only tensors whose name and shape match the model are copied; the rest (typically the
classification head of a model trained for another number of classes) is skipped and reported.
Files load with `torch.load(..., weights_only=True)`: no pickled code runs.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlparse

import torch
from torch import nn

from trainer.errors import CheckpointError

__all__ = ["load_pretrained", "read_state_dict"]

# Keys under which training scripts usually nest the weights in a checkpoint dict
# (the seeds' model_best.pth.tar uses "state_dict").
_NESTED_KEYS = ("state_dict", "model_state_dict", "model_state", "model")


def load_pretrained(model: nn.Module, path_or_uri: str | os.PathLike) -> list[str]:
    """Copy matching tensors from `path_or_uri` into `model`; return the keys not copied.

    The returned (sorted) list holds every key that was skipped on either side: file tensors
    whose shape differs from the model's or that the model lacks, and model tensors the file
    lacks (those keep their fresh initialisation). Raises CheckpointError (a ValueError) when
    the file is missing/unreadable or when not a single tensor matches.
    """
    state = read_state_dict(path_or_uri)
    own = model.state_dict()
    # Checkpoints saved from DataParallel/DistributedDataParallel prefix every key with "module.".
    if state and not any(k in own for k in state) and all(k.startswith("module.") for k in state):
        state = {k[len("module."):]: v for k, v in state.items()}
    loadable = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    if not loadable:
        raise CheckpointError(
            f"pretrained weights {path_or_uri}: no tensor matches the model "
            f"(file keys e.g. {sorted(state)[:3]}, model keys e.g. {sorted(own)[:3]})"
        )
    model.load_state_dict(loadable, strict=False)
    skipped = (set(state) | set(own)) - set(loadable)
    return sorted(skipped)


def read_state_dict(path_or_uri: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The tensors of a state_dict file (bare, or nested in a checkpoint dict), on CPU."""
    uri = os.fspath(path_or_uri)
    if uri.startswith("s3://"):
        with tempfile.TemporaryDirectory(prefix="kubetune-weights-") as tmp:
            local = _download_s3(uri, Path(tmp))
            return _read_local(local, uri)
    return _read_local(_local_path(uri), uri)


def _local_path(uri: str) -> Path:
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise CheckpointError(f"pretrained weights {uri}: file:// URI with a remote host is not supported")
        return Path(unquote(parsed.path))
    if parsed.scheme and len(parsed.scheme) > 1:  # one letter: a Windows drive, i.e. a path
        raise CheckpointError(
            f"pretrained weights {uri}: scheme {parsed.scheme!r} is not supported; "
            "use a local path, file:// or s3://"
        )
    return Path(uri)


def _read_local(path: Path, uri: str) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise CheckpointError(f"pretrained weights file not found: {uri}")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt file, or pickled objects refused by weights_only
        raise CheckpointError(f"pretrained weights {uri}: cannot be read as weights ({exc})") from exc
    return _extract_state_dict(obj, uri)


def _extract_state_dict(obj: object, uri: str) -> dict[str, torch.Tensor]:
    if isinstance(obj, Mapping):
        tensors = {k: v for k, v in obj.items() if isinstance(k, str) and isinstance(v, torch.Tensor)}
        if tensors:
            return tensors
        for key in _NESTED_KEYS:
            if isinstance(obj.get(key), Mapping):
                return _extract_state_dict(obj[key], uri)
    raise CheckpointError(
        f"pretrained weights {uri}: no state_dict found (expected a dict of tensors, "
        f"or one nested under {', '.join(_NESTED_KEYS)})"
    )


def _download_s3(uri: str, dest_dir: Path) -> Path:
    """Fetch s3://bucket/key with the minio client; endpoint and keys come from the environment."""
    from minio import Minio
    from minio.error import S3Error
    from urllib3.exceptions import HTTPError

    parsed = urlparse(uri)
    bucket, key = parsed.netloc, parsed.path.lstrip("/")
    if not bucket or not key:
        raise CheckpointError(f"pretrained weights {uri}: expected s3://BUCKET/KEY")
    endpoint = os.environ.get("S3_ENDPOINT") or os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        raise CheckpointError(f"pretrained weights {uri}: set S3_ENDPOINT (or AWS_ENDPOINT_URL) to the S3/MinIO endpoint")
    ep = urlparse(endpoint if "://" in endpoint else f"//{endpoint}")
    if ep.scheme:
        secure = ep.scheme == "https"
    else:  # Kubeflow's convention for a bare host:port endpoint
        secure = os.environ.get("S3_USE_HTTPS", "0").lower() in ("1", "true", "yes")
    client = Minio(
        ep.netloc,
        access_key=os.environ.get("AWS_ACCESS_KEY_ID"),
        secret_key=os.environ.get("AWS_SECRET_ACCESS_KEY"),
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
        secure=secure,
    )
    local = dest_dir / "weights.pt"
    try:
        client.fget_object(bucket, key, str(local))
    except S3Error as exc:
        raise CheckpointError(f"pretrained weights {uri}: {exc.code} from {endpoint}") from exc
    except (OSError, HTTPError) as exc:  # connection refused, DNS, TLS, retries exhausted
        raise CheckpointError(f"pretrained weights {uri}: cannot reach {endpoint} ({exc})") from exc
    return local
