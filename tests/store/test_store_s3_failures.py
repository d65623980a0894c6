"""S3Store when things go wrong: the server dies mid-publish, credentials are wrong or limited to a
prefix, the bucket is missing, the endpoint is unreachable, the server says SlowDown."""
from __future__ import annotations

import json
import os
import threading
import time

import pytest

from kubetune.store import (BucketMissing, NotPublished, RetryPolicy, S3Store, StoreAccessDenied,
                            StoreUnreachable, TransientStoreError)

from store_helpers import FAST, SlowDownProxy, free_port


def test_server_stopped_mid_publish_leaves_nothing_published_and_a_retry_completes(s3_own, bucket, model_dir,
                                                                                   tmp_path):
    s3 = s3_own
    store = s3.store(bucket, "models")

    def stop_after_two(progress):
        if progress.done == 2:
            s3.stop()
    with pytest.raises(StoreUnreachable, match=rf"cannot reach S3 endpoint {s3.endpoint} for (stat|upload)"):
        store.publish(model_dir, "digits/v1", on_progress=stop_after_two)
    s3.start()
    # two objects are in the bucket, but without a manifest nobody trusts them
    keys = [o.object_name for o in store.client.list_objects(bucket, prefix="models/", recursive=True)]
    assert len(keys) == 2 and not any(k.endswith("MANIFEST.json") for k in keys)
    assert not store.is_published("digits/v1") and store.list_published() == []
    with pytest.raises(NotPublished, match="2 object.* without a manifest: an interrupted publish"):
        store.fetch("digits/v1", tmp_path / "out")
    assert not (tmp_path / "out").exists()

    progress = []
    manifest = store.publish(model_dir, "digits/v1", on_progress=progress.append)
    assert [p.skipped for p in progress] == [True, True, False, False]   # resumed, not re-uploaded
    assert store.list_published() == ["digits/v1"]
    store.fetch("digits/v1", tmp_path / "out")
    assert (tmp_path / "out" / "1" / "model.onnx").read_bytes() == (model_dir / "1" / "model.onnx").read_bytes()
    assert set(manifest.files) == {"1/model.onnx", "config.pbtxt", "empty.txt", "metadata.json"}


def test_a_restart_within_the_backoff_is_retried_transparently(s3_own, bucket, model_dir):
    s3 = s3_own
    store = s3.store(bucket, retry=RetryPolicy(attempts=8, base_delay=0.2, max_delay=1.0))
    restarter = []

    def bounce(progress):
        if progress.done == 1:
            s3.stop()
            restarter.append(threading.Timer(0.3, s3.start))
            restarter[0].start()
    manifest = store.publish(model_dir, "m", on_progress=bounce)
    restarter[0].join()
    assert store.read_manifest("m").files == manifest.files


@pytest.fixture
def iam_user(s3, bucket):
    """An IAM user allowed objects under <bucket>/private/ns1/* only (like a Kubeflow profile's
    credentials), with signature and policy checks switched on."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import iam_backends

    iam = iam_backends[DEFAULT_ACCOUNT_ID]["aws"]
    name = f"ns1-{bucket}"
    iam.create_user("us-east-1", name)
    iam.put_user_policy(name, "profile", json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        "Resource": [f"arn:aws:s3:::{bucket}/private/ns1/*"]}]}))
    key = iam.create_access_key(name)
    s3.set_auth(True)
    try:
        yield key.access_key_id, key.secret_access_key
    finally:
        s3.set_auth(False)


def test_wrong_credentials_are_a_clear_error(s3, bucket, iam_user, model_dir):
    access, secret = iam_user
    for bad_access, bad_secret, code in ((access, "wrong-secret", "SignatureDoesNotMatch"),
                                         ("AKIAUNKNOWNKEY000000", secret, "InvalidAccessKeyId")):
        store = s3.store(bucket, access_key=bad_access, secret_key=bad_secret)
        with pytest.raises(StoreAccessDenied, match=rf"rejected the credentials \({code}\).*came from arguments"):
            store.publish(model_dir, "private/ns1/m")
        with pytest.raises(StoreAccessDenied):
            store.check()
    assert "wrong-secret" not in repr(s3.store(bucket, access_key=access, secret_key="wrong-secret").__dict__)


def test_a_prefix_restricted_profile_writes_only_under_its_prefix(s3, bucket, iam_user, model_dir, tmp_path):
    access, secret = iam_user
    store = s3.store(bucket, access_key=access, secret_key=secret)
    store.publish(model_dir, "private/ns1/digits")            # allowed, no bucket-wide permission needed
    store.fetch("private/ns1/digits", tmp_path / "ok")
    with pytest.raises(NotPublished):                          # listing is denied: still the plain answer
        store.read_manifest("private/ns1/other")
    with pytest.raises(StoreAccessDenied, match=r"private/<namespace>/.*docs/store.md"):
        store.publish(model_dir, "private/ns2/digits")


def test_missing_bucket_says_how_to_create_it(s3, model_dir, tmp_path):
    store = s3.store("no-such-bucket")
    for call in (lambda: store.publish(model_dir, "m"), lambda: store.fetch("m", tmp_path / "o"), store.check,
                 lambda: store.list_published()):
        with pytest.raises(BucketMissing, match=r"bucket 'no-such-bucket' does not exist.*mc mb.*s3 mb"):
            call()
    assert not (tmp_path / "o").exists()


def test_unreachable_endpoint_fails_in_bounded_time(model_dir):
    store = S3Store(f"http://127.0.0.1:{free_port()}", "models", access_key="a", secret_key="b", retry=FAST)
    started = time.monotonic()
    with pytest.raises(StoreUnreachable, match=r"cannot reach S3 endpoint http://127.0.0.1:\d+ .*after 3 attempt"):
        store.publish(model_dir, "m")
    assert time.monotonic() - started < 5
    # the defaults are bounded too: 5 tries, at most 7.5 s asleep (plus a 5 s connect timeout per try)
    assert RetryPolicy().max_total_sleep() == pytest.approx(7.5)


def test_slowdown_is_retried_then_reported(s3, bucket, model_dir, tmp_path):
    proxy = SlowDownProxy(upstream_port=s3.port, failures=2)
    try:
        store = S3Store(proxy.endpoint, bucket, access_key="a", secret_key="b", retry=FAST)
        store.publish(model_dir, "m")                 # the first request fails twice, then goes through
        assert s3.store(bucket).is_published("m")
    finally:
        proxy.close()
    always = SlowDownProxy(upstream_port=None, failures=0)
    try:
        store = S3Store(always.endpoint, bucket, access_key="a", secret_key="b", retry=FAST)
        with pytest.raises(TransientStoreError, match=r"kept failing after 3 attempt.*SlowDown"):
            store.fetch("m", tmp_path / "o")
        assert always.requests == 3
    finally:
        always.close()


def test_large_files_go_multipart_and_verify(s3, bucket, tmp_path):
    src = tmp_path / "big"
    src.mkdir()
    (src / "weights.bin").write_bytes(os.urandom(6 * 2**20 + 123))   # > 5 MiB: minio uploads in parts
    store = s3.store(bucket)
    store.publish(src, "big")
    assert store.client.stat_object(bucket, "big/weights.bin").etag.endswith("-2")
    store.fetch("big", tmp_path / "out")
    assert (tmp_path / "out" / "weights.bin").read_bytes() == (src / "weights.bin").read_bytes()
