"""Errors of the artifact store: one class per thing a user fixes differently."""
from __future__ import annotations


class StoreError(Exception):
    """Base class: every store failure the caller may report to a user as-is."""


class StoreConfigError(StoreError):
    """A bad URI, a missing endpoint, half a pair of credentials: fixed in configuration."""


class StoreUnreachable(StoreError):
    """The endpoint did not answer (refused, timed out, DNS) even after the retries."""


class BucketMissing(StoreError):
    """The bucket does not exist: create it first (the message says how)."""


class StoreAccessDenied(StoreError):
    """Credentials rejected, or a policy forbids this bucket/prefix."""


class NotPublished(StoreError):
    """No MANIFEST.json at the prefix: nothing there is trusted (maybe an interrupted publish)."""


class AlreadyPublished(StoreError):
    """Different content is already published at the prefix and overwrite was not asked for."""


class ChecksumMismatch(StoreError):
    """A downloaded/copied file does not match the sha256 or size its manifest records."""


class ManifestError(StoreError):
    """MANIFEST.json is unreadable, of an unknown format, or names an unsafe path."""


class TransientStoreError(StoreError):
    """The server kept answering with a retryable error (5xx, SlowDown) until retries ran out."""
