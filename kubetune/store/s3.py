"""S3Store: any S3 endpoint (MinIO, SeaweedFS, Ceph RGW, AWS) through the minio client.

Only portable calls are used (HEAD/GET/PUT/DELETE object, ListObjectsV2, HEAD bucket), with
path-style addressing and a fixed region, so no GetBucketLocation or other AWS-only call.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any, Callable, TypeVar

import urllib3
from minio import Minio
from minio.error import InvalidResponseError, S3Error, ServerError

from kubetune.store.base import ProgressCallback, PublishProgress, Store, clean_prefix, join_prefix
from kubetune.store.credentials import DEFAULT_REGION, parse_endpoint, resolve_s3_settings
from kubetune.store.errors import (BucketMissing, NotPublished, StoreAccessDenied, StoreError, StoreUnreachable,
                                   TransientStoreError)
from kubetune.store.manifest import (CHUNK, MANIFEST_NAME, REPLACING_NAME, Manifest, build_manifest,
                                     check_relative_path, scan_directory)
from kubetune.store.retry import RetryOutcome, RetryPolicy, call_with_retries

T = TypeVar("T")
SHA_META = "kubetune-sha256"  # stored as x-amz-meta-kubetune-sha256: lets a retried publish skip done objects

TRANSIENT_CODES = {"SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout", "OperationAborted",
                   "Throttling", "ThrottlingException", "RequestThrottled", "XMinioServerNotInitialized",
                   "XMinioStorageFull"}
CREDENTIAL_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken",
                    "InvalidSecurity", "AuthorizationHeaderMalformed", "InvalidClientTokenId"}


def _status(e: BaseException) -> int | None:
    if isinstance(e, S3Error):
        return getattr(e.response, "status", None)
    if isinstance(e, ServerError):
        return e.status_code
    if isinstance(e, InvalidResponseError):
        return getattr(e, "_code", None)
    return None


def is_transient(e: BaseException) -> bool:
    """Worth retrying: connection trouble, 5xx, 429, SlowDown-like codes."""
    if isinstance(e, S3Error):
        status = _status(e)
        return e.code in TRANSIENT_CODES or (status is not None and (status >= 500 or status == 429))
    if isinstance(e, (ServerError, InvalidResponseError)):
        status = _status(e)
        return status is not None and (status >= 500 or status == 429)
    return isinstance(e, (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError))


class _HashingReader:
    """Reads a file for upload and hashes what was actually sent."""

    def __init__(self, handle):
        self.handle, self.digest = handle, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


class S3Store(Store):
    def __init__(self, endpoint: str, bucket: str, prefix: str = "", access_key: str | None = None,
                 secret_key: str | None = None, secure: bool = True, region: str | None = DEFAULT_REGION, *,
                 session_token: str | None = None, retry: RetryPolicy | None = None, connect_timeout: float = 5.0,
                 read_timeout: float = 60.0, cert_check: bool = True, credentials_source: str = "arguments"):
        host, secure = parse_endpoint(endpoint, secure)
        if (access_key is None) != (secret_key is None):
            raise StoreError("S3Store: give both access_key and secret_key, or neither (anonymous)")
        if not bucket or "/" in bucket:
            raise StoreError(f"S3Store: invalid bucket name {bucket!r}")
        self.endpoint, self.secure, self.bucket = host, secure, bucket
        self.prefix = clean_prefix(prefix)
        self.retry = retry or RetryPolicy()
        self.credentials_source = credentials_source if access_key else "none (anonymous requests)"
        # Our own retries (with jitter and clear errors) replace urllib3's; short connect timeout so an
        # unreachable endpoint fails in bounded time.
        http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
                                   retries=False, maxsize=10,
                                   cert_reqs="CERT_REQUIRED" if cert_check else "CERT_NONE",
                                   ca_certs=os.environ.get("SSL_CERT_FILE") or _certifi_where())
        try:
            self.client = Minio(host, access_key=access_key, secret_key=secret_key, session_token=session_token,
                                secure=secure, region=region or DEFAULT_REGION, http_client=http)
        except ValueError as e:
            raise StoreError(f"S3Store: {e}") from None

    @classmethod
    def from_env(cls, bucket: str, prefix: str = "", *, endpoint: str | None = None,
                 secret_dir: str | os.PathLike[str] | None = None, **kwargs: Any) -> "S3Store":
        """Settings resolved as documented in kubetune.store.credentials (args > secret dir > env)."""
        s = resolve_s3_settings(endpoint, secret_dir=secret_dir)
        return cls(s.endpoint, bucket, prefix, s.access_key, s.secret_key, s.secure, s.region,
                   session_token=s.session_token, cert_check=s.cert_check, credentials_source=s.credentials_source,
                   **kwargs)

    def __repr__(self) -> str:
        return f"S3Store({self.url}, bucket={self.bucket!r}, prefix={self.prefix!r})"

    @property
    def url(self) -> str:
        return f"{'https' if self.secure else 'http'}://{self.endpoint}"

    def _key(self, prefix: str, rel: str = "") -> str:
        return join_prefix(self.prefix, prefix, rel) if rel else join_prefix(self.prefix, prefix)

    def uri(self, prefix: str = "") -> str:
        key = self._key(prefix)
        return f"s3://{self.bucket}/{key + '/' if key else ''}"

    # -- calls with retries and error translation ------------------------------------------
    def _call(self, what: str, op: Callable[[], T], *, key: str | None = None) -> T:
        outcome = RetryOutcome(0, 0.0)
        try:
            return call_with_retries(op, policy=self.retry, is_transient=is_transient, what=f"S3 {what}",
                                     outcome=outcome)
        except (S3Error, ServerError, InvalidResponseError, urllib3.exceptions.HTTPError, ConnectionError,
                TimeoutError) as e:
            raise self._translate(e, what, key, outcome) from e

    def _translate(self, e: BaseException, what: str, key: str | None, outcome: RetryOutcome) -> StoreError:
        where = f"s3://{self.bucket}/{key}" if key else f"s3://{self.bucket}"
        tries = f"after {outcome.attempts} attempt(s) over {outcome.elapsed:.1f}s"
        if isinstance(e, S3Error):
            if e.code == "NoSuchBucket":
                return BucketMissing(
                    f"bucket {self.bucket!r} does not exist at {self.url}: create it first, e.g. "
                    f"`mc mb <alias>/{self.bucket}` or `aws --endpoint-url {self.url} s3 mb s3://{self.bucket}` "
                    "(in Kubeflow the pipelines bucket is `mlpipeline`; ask an admin for a new bucket)")
            if e.code in CREDENTIAL_CODES:
                return StoreAccessDenied(
                    f"{self.url} rejected the credentials ({e.code}) for {what} on {where}; credentials came from "
                    f"{self.credentials_source}. Check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the mounted "
                    "secret (see docs/store.md)")
            if e.code == "AccessDenied" or _status(e) == 403:
                return StoreAccessDenied(
                    f"access denied for {what} on {where} at {self.url} (credentials from {self.credentials_source}). "
                    "Either the credentials are wrong, or a policy limits them to some prefixes: in multi-user "
                    "Kubeflow a profile's credentials reach only mlpipeline/private/<namespace>/, "
                    "mlpipeline/private-artifacts/<namespace>/ (and shared/, artifacts/); see docs/store.md")
            if is_transient(e):
                return TransientStoreError(f"S3 {what} on {where} kept failing {tries}: {e.code}: {e.message}")
            return StoreError(f"S3 {what} on {where} failed: {e.code}: {e.message}")
        if isinstance(e, (ServerError, InvalidResponseError)):
            if is_transient(e):
                return TransientStoreError(f"S3 {what} on {where} kept failing {tries}: HTTP {_status(e)}")
            return StoreError(f"{self.url} did not answer {what} on {where} like an S3 server (HTTP {_status(e)}): "
                              "is the endpoint right? (S3 API port: MinIO 9000, SeaweedFS 8333)")
        reason = str(e).split(": ", 1)[-1] if str(e) else type(e).__name__
        return StoreUnreachable(
            f"cannot reach S3 endpoint {self.url} for {what} on {where} {tries}: {reason}. Check the endpoint "
            "(--endpoint, S3_ENDPOINT or AWS_ENDPOINT_URL), http vs https, and that the service is running")

    # -- reading ---------------------------------------------------------------------------
    def _get_bytes(self, key: str, what: str) -> bytes | None:
        """Object content, or None when the key does not exist (a missing bucket still raises)."""
        def op() -> bytes | None:
            try:
                response = self.client.get_object(self.bucket, key)
            except S3Error as e:
                if e.code == "NoSuchKey":
                    return None
                raise
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()
        return self._call(what, op, key=key)

    def _manifest_or_none(self, prefix: str) -> Manifest | None:
        key = self._key(prefix, MANIFEST_NAME)
        data = self._get_bytes(key, "read manifest")
        return None if data is None else Manifest.from_json(data, f"s3://{self.bucket}/{key}")

    def read_manifest(self, prefix: str = "") -> Manifest:
        manifest = self._manifest_or_none(prefix)
        if manifest is None:
            raise NotPublished(self._not_published_message(prefix))
        return manifest

    def _not_published_message(self, prefix: str) -> str:
        msg = f"nothing published at {self.uri(prefix)} (no {MANIFEST_NAME})"
        base = self._key(prefix)
        try:  # best effort: a prefix-restricted policy may not allow listing
            leftovers = self._call("list", lambda: [o.object_name for _, o in zip(range(1000), self.client.list_objects(
                self.bucket, prefix=base + "/" if base else "", recursive=True))], key=base)
        except StoreError:
            return msg
        if leftovers:
            msg += (f"; {len(leftovers)}{'+' if len(leftovers) == 1000 else ''} object(s) are there without a "
                    "manifest: an interrupted publish (publish again to complete it) or not kubetune's")
        return msg

    def list_published(self, prefix: str = "") -> list[str]:
        base = self._key(prefix)
        found = []

        def op() -> list[str]:
            names = []
            for obj in self.client.list_objects(self.bucket, prefix=base + "/" if base else "", recursive=True):
                name = obj.object_name
                if name == MANIFEST_NAME or name.endswith("/" + MANIFEST_NAME):
                    names.append(name[: -len(MANIFEST_NAME)].rstrip("/"))
            return names
        for key_prefix in self._call("list", op, key=base):
            rel = key_prefix[len(self.prefix):].strip("/") if self.prefix else key_prefix
            found.append(rel)
        return sorted(found)

    def check(self) -> None:
        """One GET under the store's prefix, as publish/fetch start: proves the endpoint answers, the
        bucket exists and the credentials may read there (no bucket-wide permission needed)."""
        self._manifest_or_none("")

    def _download(self, prefix: str, rel: str, dest: Path) -> None:
        key = self._key(prefix, rel)

        def op() -> None:
            response = self.client.get_object(self.bucket, key)
            try:
                with open(dest, "wb") as out:
                    for chunk in response.stream(CHUNK):
                        out.write(chunk)
            finally:
                response.close()
                response.release_conn()
        try:
            self._call("download", op, key=key)
        except StoreError as e:
            if isinstance(e.__cause__, S3Error) and e.__cause__.code == "NoSuchKey":
                raise StoreError(f"{self.uri(prefix)}: {rel} is named by the manifest but the object is missing: "
                                 "the published prefix was modified; publish it again") from None
            raise

    # -- writing ---------------------------------------------------------------------------
    def _remote_sha(self, key: str) -> tuple[str | None, int] | None:
        def op():
            try:
                st = self.client.stat_object(self.bucket, key)
            except S3Error as e:
                if e.code in ("NoSuchKey", "NoSuchObject", "ResourceNotFound"):
                    return None
                raise
            meta = {k.lower(): v for k, v in (st.metadata or {}).items()}
            return meta.get(f"x-amz-meta-{SHA_META}"), st.size
        return self._call("stat", op, key=key)

    def _upload(self, path: Path, key: str, sha: str, size: int) -> None:
        def op() -> None:
            with open(path, "rb") as handle:
                reader = _HashingReader(handle)
                self.client.put_object(self.bucket, key, reader, size, metadata={SHA_META: sha})
            if reader.digest.hexdigest() != sha:
                raise StoreError(f"{path} changed while it was being published; publish again once it is stable")
        self._call("upload", op, key=key)

    def _put_bytes(self, key: str, data: bytes, what: str) -> None:
        self._call(what, lambda: self.client.put_object(self.bucket, key, io.BytesIO(data), len(data),
                                                        content_type="application/json"), key=key)

    def _remove(self, key: str) -> None:
        self._call("delete", lambda: self.client.remove_object(self.bucket, key), key=key)

    def publish(self, local_dir: str | os.PathLike[str], dest_prefix: str = "", *, overwrite: bool = False,
                metadata: dict[str, Any] | None = None, on_progress: ProgressCallback | None = None) -> Manifest:
        files = scan_directory(local_dir)
        manifest = build_manifest(files, metadata)
        where = self.uri(dest_prefix)
        manifest_key = self._key(dest_prefix, MANIFEST_NAME)
        existing = self._manifest_or_none(dest_prefix)
        decision = self._decide(existing, manifest, overwrite, where)
        replacing_key = self._key(dest_prefix, REPLACING_NAME)
        pending = self._pending_removals(replacing_key)  # an interrupted overwrite's old objects
        old = (set(existing.files) if existing is not None else set()) | pending
        if decision == "same":
            self._remove_stale(dest_prefix, pending - set(manifest.files), replacing_key if pending else None)
            return existing  # type: ignore[return-value]
        if decision == "replace":  # the old version's objects are recorded before its manifest goes
            self._put_bytes(replacing_key, json.dumps({"files": sorted(old)}).encode("utf-8"), "write replace record")
            self._remove(manifest_key)  # first: readers must not trust a prefix being rewritten
        for done, (rel, path) in enumerate(sorted(files.items()), start=1):
            entry, key = manifest.files[rel], self._key(dest_prefix, rel)
            remote = self._remote_sha(key)
            skipped = remote is not None and remote == (entry.sha256, entry.size)
            if not skipped:
                self._upload(path, key, entry.sha256, entry.size)
            if on_progress:
                on_progress(PublishProgress(rel, done, len(files), skipped))
        self._put_bytes(manifest_key, manifest.to_json().encode("utf-8"), "write manifest")  # last
        self._remove_stale(dest_prefix, old - set(manifest.files),
                           replacing_key if decision == "replace" or pending else None)
        return manifest

    def _pending_removals(self, replacing_key: str) -> set[str]:
        """The objects an interrupted overwrite still has to remove (its replace record)."""
        data = self._get_bytes(replacing_key, "read replace record")
        if data is None:
            return set()
        try:
            files = json.loads(data)["files"]
        except (ValueError, KeyError, TypeError):
            return set()  # not ours or damaged: remove nothing rather than guess
        return {f for f in files if isinstance(f, str) and _safe_path(f)}

    def _remove_stale(self, prefix: str, stale: set[str], replacing_key: str | None) -> None:
        """Objects only an older version named; then the replace record (last: a retry redoes it)."""
        for rel in sorted(stale):
            self._remove(self._key(prefix, rel))
        if replacing_key is not None:
            self._remove(replacing_key)


def _safe_path(rel: str) -> bool:
    try:
        check_relative_path(rel, "replace record")
    except StoreError:
        return False
    return rel != REPLACING_NAME


def _certifi_where() -> str | None:
    try:
        import certifi
        return certifi.where()
    except ImportError:
        return None


__all__ = ["S3Store", "is_transient"]
