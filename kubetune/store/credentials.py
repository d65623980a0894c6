"""Where S3 settings come from: arguments, a mounted Secret directory, then the environment.

Order, first found wins, per setting:
  1. explicit arguments (S3Store(...) / store_from_uri(endpoint=...));
  2. a Secret mounted as a directory: `secret_dir` argument or env KUBETUNE_S3_SECRET_DIR.
     Keys (file names) read:  access key  `accesskey` | `AWS_ACCESS_KEY_ID`
                              secret key  `secretkey` | `AWS_SECRET_ACCESS_KEY`
                              token       `sessiontoken` | `AWS_SESSION_TOKEN`           (optional)
                              endpoint    `endpoint` | `S3_ENDPOINT` | `AWS_ENDPOINT_URL` (optional)
                              region      `region` | `AWS_REGION`                          (optional)
     (`accesskey`/`secretkey` is KFP's `mlpipeline-minio-artifact` Secret; the AWS_* names are
     the KServe-style S3 Secret.)
  3. environment: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else
     MINIO_ROOT_USER / MINIO_ROOT_PASSWORD; endpoint S3_ENDPOINT, else AWS_ENDPOINT_URL_S3,
     else AWS_ENDPOINT_URL; region AWS_REGION, else AWS_DEFAULT_REGION (default us-east-1, so no
     GetBucketLocation call is needed); S3_USE_HTTPS=0 selects http for an endpoint given
     without a scheme; S3_VERIFY_SSL=0 skips TLS certificate checks (both read with the
     project's boolean words, trainer.booleans; any other value is an error naming the variable).
No credentials at all means anonymous requests (fine for public buckets).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from kubetune.store.errors import StoreConfigError
from trainer.booleans import parse_bool

SECRET_DIR_ENV = "KUBETUNE_S3_SECRET_DIR"
DEFAULT_REGION = "us-east-1"

_SECRET_KEYS = {
    "access_key": ("accesskey", "AWS_ACCESS_KEY_ID"),
    "secret_key": ("secretkey", "AWS_SECRET_ACCESS_KEY"),
    "session_token": ("sessiontoken", "AWS_SESSION_TOKEN"),
    "endpoint": ("endpoint", "S3_ENDPOINT", "AWS_ENDPOINT_URL"),
    "region": ("region", "AWS_REGION"),
}
_ENV_KEYS = {
    "endpoint": ("S3_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"),
    "region": ("AWS_REGION", "AWS_DEFAULT_REGION"),
}


@dataclass(frozen=True)
class S3Settings:
    endpoint: str          # host[:port], no scheme
    secure: bool
    access_key: str | None
    secret_key: str | None
    session_token: str | None
    region: str
    cert_check: bool
    credentials_source: str  # for error messages; never the secret itself

    def __repr__(self) -> str:  # keep secrets out of logs and tracebacks
        return (f"S3Settings(endpoint={self.endpoint!r}, secure={self.secure}, region={self.region!r}, "
                f"access_key={'***' if self.access_key else None}, credentials_source={self.credentials_source!r})")


def parse_endpoint(value: str, secure_default: bool = True) -> tuple[str, bool]:
    """'http://host:9000' -> ('host:9000', False); 'host:9000' -> ('host:9000', secure_default)."""
    value = value.strip()
    if "://" in value:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https"):
            raise StoreConfigError(f"S3 endpoint {value!r}: scheme {parts.scheme!r} is not http or https")
        if parts.path not in ("", "/") or parts.query:
            raise StoreConfigError(f"S3 endpoint {value!r} has a path; give only scheme://host[:port] "
                                   "(the bucket goes in the s3:// URI)")
        if not parts.netloc:
            raise StoreConfigError(f"S3 endpoint {value!r} has no host")
        return parts.netloc, parts.scheme == "https"
    if not value or "/" in value:
        raise StoreConfigError(f"S3 endpoint {value!r}: expected host[:port] or http(s)://host[:port]")
    return value, secure_default


def read_secret_dir(directory: str | os.PathLike[str]) -> dict[str, str]:
    """Setting name -> value from a mounted Secret directory (see the module docstring for names)."""
    root = Path(directory)
    if not root.is_dir():
        raise StoreConfigError(f"S3 secret directory {root} does not exist or is not a directory "
                               f"(set by {SECRET_DIR_ENV} or secret_dir)")
    found: dict[str, str] = {}
    for setting, names in _SECRET_KEYS.items():
        for name in names:
            path = root / name
            if path.is_file():
                found[setting] = path.read_text(encoding="utf-8").strip()
                break
    if ("access_key" in found) != ("secret_key" in found):
        have = "access" if "access_key" in found else "secret"
        raise StoreConfigError(f"S3 secret directory {root} has only the {have} key; expected both "
                               "accesskey+secretkey or AWS_ACCESS_KEY_ID+AWS_SECRET_ACCESS_KEY files")
    return found


def _first_env(env: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    return next((env[n] for n in names if env.get(n)), None)


def _env_flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    """A yes/no environment setting in the project's boolean words (trainer.booleans); unset or
    empty means `default`, anything that is not a boolean word is an error naming the variable."""
    value = env.get(name)
    if value is None or not value.strip():
        return default
    try:
        return parse_bool(value)
    except ValueError as e:
        raise StoreConfigError(f"env {name}: {e}") from None


def resolve_s3_settings(endpoint: str | None = None, access_key: str | None = None, secret_key: str | None = None,
                        *, session_token: str | None = None, secure: bool | None = None, region: str | None = None,
                        secret_dir: str | os.PathLike[str] | None = None,
                        env: Mapping[str, str] | None = None) -> S3Settings:
    env = os.environ if env is None else env
    if (access_key is None) != (secret_key is None):
        raise StoreConfigError("give both access_key and secret_key, or neither (to read them from a secret/env)")
    secret_dir = secret_dir or env.get(SECRET_DIR_ENV) or None
    from_dir = read_secret_dir(secret_dir) if secret_dir else {}

    source = "arguments"
    if access_key is None:
        if "access_key" in from_dir:
            access_key, secret_key = from_dir["access_key"], from_dir["secret_key"]
            session_token = session_token or from_dir.get("session_token")
            source = f"secret directory {secret_dir}"
        elif env.get("AWS_ACCESS_KEY_ID") or env.get("AWS_SECRET_ACCESS_KEY"):
            access_key, secret_key = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
            if not access_key or not secret_key:
                raise StoreConfigError("only one of AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY is set; set both")
            session_token = session_token or env.get("AWS_SESSION_TOKEN") or None
            source = "env AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        elif env.get("MINIO_ROOT_USER") or env.get("MINIO_ROOT_PASSWORD"):
            access_key, secret_key = env.get("MINIO_ROOT_USER"), env.get("MINIO_ROOT_PASSWORD")
            if not access_key or not secret_key:
                raise StoreConfigError("only one of MINIO_ROOT_USER / MINIO_ROOT_PASSWORD is set; set both")
            source = "env MINIO_ROOT_USER/MINIO_ROOT_PASSWORD"
        else:
            source = "none (anonymous requests)"

    endpoint = endpoint or from_dir.get("endpoint") or _first_env(env, _ENV_KEYS["endpoint"])
    if not endpoint:
        raise StoreConfigError("no S3 endpoint: pass --endpoint (e.g. http://minio.example:9000) or set S3_ENDPOINT "
                               "or AWS_ENDPOINT_URL (in Kubeflow >= 2.15: http://seaweedfs.kubeflow:8333)")
    secure_default = _env_flag(env, "S3_USE_HTTPS", True) if secure is None else secure
    host, scheme_secure = parse_endpoint(endpoint, secure_default)
    if secure is not None and "://" in endpoint and secure != scheme_secure:
        raise StoreConfigError(f"S3 endpoint {endpoint!r} says {'https' if scheme_secure else 'http'} "
                               f"but secure={secure} was given")
    region = region or from_dir.get("region") or _first_env(env, _ENV_KEYS["region"]) or DEFAULT_REGION
    return S3Settings(endpoint=host, secure=scheme_secure, access_key=access_key, secret_key=secret_key,
                      session_token=session_token, region=region, cert_check=_env_flag(env, "S3_VERIFY_SSL", True),
                      credentials_source=source)
