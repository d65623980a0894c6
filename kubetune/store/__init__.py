"""Artifact store: publish a directory atomically (objects first, MANIFEST.json with sha256 of
every file last) to a local directory or any S3 endpoint, and fetch it back verified.

    from kubetune.store import store_from_uri
    store = store_from_uri("s3://models/chest-xray")        # or "/srv/models", "file:///srv/models"
    manifest = store.publish("export/model", "efficientnet-b0/v1")
    store.fetch("efficientnet-b0/v1", "/tmp/model")         # verified, all or nothing

See docs/store.md.
"""
from kubetune.store.base import ProgressCallback, PublishProgress, Store
from kubetune.store.credentials import S3Settings, resolve_s3_settings
from kubetune.store.errors import (AlreadyPublished, BucketMissing, ChecksumMismatch, ManifestError, NotPublished,
                                   StoreAccessDenied, StoreConfigError, StoreError, StoreUnreachable,
                                   TransientStoreError)
from kubetune.store.local import LocalStore
from kubetune.store.manifest import MANIFEST_NAME, FileEntry, Manifest
from kubetune.store.retry import RetryPolicy
from kubetune.store.s3 import S3Store
from kubetune.store.uri import store_from_uri

__all__ = [
    "Store", "LocalStore", "S3Store", "store_from_uri", "Manifest", "FileEntry", "MANIFEST_NAME",
    "PublishProgress", "ProgressCallback", "RetryPolicy", "S3Settings", "resolve_s3_settings",
    "StoreError", "StoreConfigError", "StoreUnreachable", "BucketMissing", "StoreAccessDenied", "NotPublished",
    "AlreadyPublished", "ChecksumMismatch", "ManifestError", "TransientStoreError",
]
