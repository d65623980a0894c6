"""`helm test` for the kubetune chart: can this namespace run kubetune Experiments?

Checks, each printed as `ok` / `FAIL` with the reason and the fix:
  1. the API server answers and Katib's Experiment CRD is served (list experiments here);
  2. the ServiceAccount may create and delete Experiments here (SelfSubjectAccessReview);
  3. the S3 store answers and the bucket exists (only when an endpoint is configured).
Exit status 0 when every check passed, 1 otherwise. Runs in the kubetune-pipeline image (kubernetes
and minio clients); credentials come from files (the S3 Secret mounted read-only), never from argv.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def check_kubernetes(namespace: str, kubeconfig: str | None) -> list[str]:
    from kubernetes import client, config
    from kubernetes.client.rest import ApiException
    from urllib3.exceptions import HTTPError

    failures: list[str] = []
    try:
        if kubeconfig:
            config.load_kube_config(config_file=kubeconfig)
        else:
            config.load_incluster_config()
    except config.ConfigException as exc:
        return [f"kubernetes: no API configuration ({exc}); the pod needs its ServiceAccount token"]
    api = client.CustomObjectsApi()
    try:
        api.list_namespaced_custom_object("kubeflow.org", "v1beta1", namespace, "experiments", limit=1,
                                          _request_timeout=20)
        print(f"ok    Katib Experiment API is served in namespace {namespace}")
    except ApiException as exc:
        if exc.status == 404:
            failures.append("kubernetes: experiments.kubeflow.org/v1beta1 is not served: install Katib "
                            "(docs/cluster.md, 'Install Katib')")
        elif exc.status == 403:
            failures.append(f"kubernetes: listing Experiments in {namespace} is forbidden: enable rbac.create "
                            "or bind the ServiceAccount to a Role that allows it")
        else:
            failures.append(f"kubernetes: listing Experiments failed: HTTP {exc.status} {exc.reason}")
    except (HTTPError, OSError) as exc:
        return failures + [f"kubernetes: API server unreachable ({exc})"]
    auth = client.AuthorizationV1Api()
    for verb in ("create", "delete"):
        review = client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(
            resource_attributes=client.V1ResourceAttributes(
                group="kubeflow.org", resource="experiments", verb=verb, namespace=namespace)))
        try:
            allowed = auth.create_self_subject_access_review(review, _request_timeout=20).status.allowed
        except (ApiException, HTTPError, OSError) as exc:
            failures.append(f"kubernetes: access review for {verb} experiments failed ({exc})")
            continue
        if allowed:
            print(f"ok    may {verb} Experiments in {namespace}")
        else:
            failures.append(f"kubernetes: may not {verb} Experiments in {namespace}: enable rbac.create")
    return failures


def check_s3(endpoint: str, secure: bool, bucket: str, credentials: Path, access_key_file: str,
             secret_key_file: str) -> list[str]:
    import urllib3
    from minio import Minio
    from minio.error import S3Error

    try:
        access = (credentials / access_key_file).read_text().strip()
        secret = (credentials / secret_key_file).read_text().strip()
    except OSError as exc:
        return [f"s3: cannot read the credentials ({exc}); check storage.existingSecret and its key names"]
    http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=5, read=20),
                               retries=urllib3.Retry(total=2, backoff_factor=0.5))
    s3 = Minio(endpoint, access_key=access, secret_key=secret, secure=secure, http_client=http)
    try:
        exists = s3.bucket_exists(bucket)
    except S3Error as exc:
        return [f"s3: {endpoint} refused the credentials or the request: {exc.code} ({exc.message})"]
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        return [f"s3: {endpoint} unreachable ({exc}); check storage.endpoint / the MinIO pod"]
    if not exists:
        return [f"s3: bucket {bucket!r} does not exist at {endpoint}; create it (mc mb) or set storage.bucket"]
    print(f"ok    S3 bucket {bucket} reachable at {endpoint}")
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--kubeconfig", help="kubeconfig file (default: the in-cluster ServiceAccount)")
    parser.add_argument("--skip-kubernetes", action="store_true", help="only check S3")
    parser.add_argument("--s3-endpoint", default="", help="host:port; empty skips the S3 check")
    parser.add_argument("--s3-secure", choices=["true", "false"], default="false")
    parser.add_argument("--s3-bucket", default="kubetune")
    parser.add_argument("--s3-credentials", type=Path, default=Path("/etc/kubetune/s3"),
                        help="directory holding the access/secret key files")
    parser.add_argument("--s3-access-key-file", default="AWS_ACCESS_KEY_ID")
    parser.add_argument("--s3-secret-key-file", default="AWS_SECRET_ACCESS_KEY")
    args = parser.parse_args(argv)
    failures: list[str] = []
    if not args.skip_kubernetes:
        failures += check_kubernetes(args.namespace, args.kubeconfig)
    if args.s3_endpoint:
        failures += check_s3(args.s3_endpoint, args.s3_secure == "true", args.s3_bucket, args.s3_credentials,
                             args.s3_access_key_file, args.s3_secret_key_file)
    else:
        print("skip  S3: no endpoint configured (storage.endpoint or minio.enabled)")
    for failure in failures:
        print(f"FAIL  {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
