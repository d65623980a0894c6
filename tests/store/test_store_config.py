"""store_from_uri and where S3 settings come from (arguments > secret directory > env)."""
from __future__ import annotations

import pytest

from kubetune.store import LocalStore, S3Store, StoreConfigError, resolve_s3_settings, store_from_uri
from kubetune.store.credentials import parse_endpoint

from store_helpers import FAST


def test_local_uris(tmp_path):
    for uri in (str(tmp_path / "a"), f"file://{tmp_path}/a"):
        store = store_from_uri(uri)
        assert isinstance(store, LocalStore) and store.root == tmp_path / "a"
    with pytest.raises(StoreConfigError, match="unsupported scheme 'gs'"):
        store_from_uri("gs://bucket/x")
    with pytest.raises(StoreConfigError, match="no bucket"):
        store_from_uri("s3:///x", endpoint="http://h:1")
    with pytest.raises(StoreConfigError, match="must be local"):
        store_from_uri("file://host/x")


def test_s3_uri_with_env_credentials_round_trip(s3, bucket, model_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("S3_ENDPOINT", s3.endpoint)
    for scheme in ("s3", "minio"):
        store = store_from_uri(f"{scheme}://{bucket}/models/digits/", retry=FAST)
        assert isinstance(store, S3Store) and store.uri() == f"s3://{bucket}/models/digits/"
        assert store.credentials_source == "env AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
    store.publish(model_dir)                     # at the URI itself
    assert store_from_uri(f"s3://{bucket}/models", retry=FAST).list_published() == ["digits"]
    store.fetch("", tmp_path / "out")
    assert (tmp_path / "out" / "config.pbtxt").exists()


def test_endpoint_sources_and_schemes():
    env = {"AWS_ENDPOINT_URL": "https://aws.example", "S3_ENDPOINT": "http://minio:9000"}
    s = resolve_s3_settings(env=env)
    assert (s.endpoint, s.secure, s.region) == ("minio:9000", False, "us-east-1")
    assert resolve_s3_settings(env={"AWS_ENDPOINT_URL": "https://aws.example"}).secure
    assert not resolve_s3_settings(env={"S3_ENDPOINT": "seaweedfs.kubeflow:8333", "S3_USE_HTTPS": "0"}).secure
    assert resolve_s3_settings("h:1", env={"AWS_REGION": "eu-west-3"}).region == "eu-west-3"
    assert parse_endpoint("https://h:9000/") == ("h:9000", True)
    with pytest.raises(StoreConfigError, match="no S3 endpoint.*S3_ENDPOINT"):
        resolve_s3_settings(env={})
    with pytest.raises(StoreConfigError, match="has a path"):
        parse_endpoint("http://h:9000/bucket")
    with pytest.raises(StoreConfigError, match="scheme 'ftp'"):
        parse_endpoint("ftp://h")


def test_credential_sources_in_order(tmp_path):
    kfp = tmp_path / "kfp-secret"                 # KFP's mlpipeline-minio-artifact keys
    kfp.mkdir()
    (kfp / "accesskey").write_text("kfp-user\n")
    (kfp / "secretkey").write_text("kfp-pass\n")
    kserve = tmp_path / "kserve-secret"           # KServe-style keys, plus an endpoint
    kserve.mkdir()
    (kserve / "AWS_ACCESS_KEY_ID").write_text("ks-user")
    (kserve / "AWS_SECRET_ACCESS_KEY").write_text("ks-pass")
    (kserve / "S3_ENDPOINT").write_text("http://minio.store:9000")
    env = {"S3_ENDPOINT": "h:1", "AWS_ACCESS_KEY_ID": "env-user", "AWS_SECRET_ACCESS_KEY": "env-pass",
           "MINIO_ROOT_USER": "root", "MINIO_ROOT_PASSWORD": "rootpass"}

    s = resolve_s3_settings(env=env, secret_dir=kfp)
    assert (s.access_key, s.secret_key) == ("kfp-user", "kfp-pass") and "secret directory" in s.credentials_source
    s = resolve_s3_settings(env={**env, "KUBETUNE_S3_SECRET_DIR": str(kserve)})
    assert (s.access_key, s.endpoint, s.secure) == ("ks-user", "minio.store:9000", False)
    assert resolve_s3_settings(env=env).access_key == "env-user"
    no_aws = {k: v for k, v in env.items() if not k.startswith("AWS_")}
    assert resolve_s3_settings(env=no_aws).access_key == "root"
    assert resolve_s3_settings(env={"S3_ENDPOINT": "h:1"}).access_key is None          # anonymous
    assert resolve_s3_settings("h:2", "a", "b", env=env).access_key == "a"               # arguments win
    assert "kfp-pass" not in repr(resolve_s3_settings(env=env, secret_dir=kfp))

    with pytest.raises(StoreConfigError, match="only one of AWS_ACCESS_KEY_ID"):
        resolve_s3_settings(env={"S3_ENDPOINT": "h:1", "AWS_ACCESS_KEY_ID": "x"})
    (kfp / "secretkey").unlink()
    with pytest.raises(StoreConfigError, match="has only the access key"):
        resolve_s3_settings(env=env, secret_dir=kfp)
    with pytest.raises(StoreConfigError, match="does not exist"):
        resolve_s3_settings(env=env, secret_dir=tmp_path / "nope")


@pytest.mark.parametrize("word, on", [("0", False), ("no", False), ("OFF", False), ("f", False), (" false ", False),
                                      ("1", True), ("yes", True), ("on", True), ("True", True), ("", True)])
def test_tls_switches_read_the_project_boolean_words(word, on):
    env = {"S3_ENDPOINT": "minio:9000", "S3_USE_HTTPS": word, "S3_VERIFY_SSL": word}
    s = resolve_s3_settings(env=env)
    assert (s.secure, s.cert_check) == (on, on)


def test_a_tls_switch_that_is_not_a_boolean_is_an_error_naming_it():
    with pytest.raises(StoreConfigError, match="S3_VERIFY_SSL.*'maybe'"):
        resolve_s3_settings(env={"S3_ENDPOINT": "minio:9000", "S3_VERIFY_SSL": "maybe"})
