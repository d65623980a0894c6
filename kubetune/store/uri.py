"""store_from_uri: 's3://bucket/prefix', 'minio://bucket/prefix', 'file:///dir' or a plain path."""
from __future__ import annotations

import os
from typing import Any
from urllib.parse import unquote, urlsplit

from kubetune.store.base import Store
from kubetune.store.errors import StoreConfigError
from kubetune.store.local import LocalStore
from kubetune.store.s3 import S3Store

S3_SCHEMES = ("s3", "minio")  # minio:// is how KFP writes its pipeline root


def store_from_uri(uri: str | os.PathLike[str], endpoint: str | None = None, **s3_options: Any) -> Store:
    """A store rooted at `uri`. S3 settings (endpoint, credentials) come from the arguments, a mounted
    secret directory or the environment (see kubetune.store.credentials); `s3_options` go to S3Store
    (e.g. retry=RetryPolicy(...), secret_dir=...)."""
    text = os.fspath(uri)
    if not text:
        raise StoreConfigError("empty store location: give s3://bucket/prefix or a directory")
    if "://" not in text:
        if endpoint:
            raise StoreConfigError(f"--endpoint was given but {text!r} is a local path; use s3://bucket/prefix")
        return LocalStore(text)
    parts = urlsplit(text)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise StoreConfigError(f"{text!r}: file:// URIs must be local (file:///abs/dir)")
        return LocalStore(unquote(parts.path))
    if parts.scheme in S3_SCHEMES:
        if not parts.netloc:
            raise StoreConfigError(f"{text!r}: no bucket; expected {parts.scheme}://bucket/prefix")
        if parts.query or parts.fragment:
            raise StoreConfigError(f"{text!r}: query strings are not supported; expected {parts.scheme}://bucket/prefix")
        return S3Store.from_env(parts.netloc, unquote(parts.path).strip("/"), endpoint=endpoint, **s3_options)
    raise StoreConfigError(f"{text!r}: unsupported scheme {parts.scheme!r}; allowed: s3://, minio://, file:// or "
                           "a local directory")
