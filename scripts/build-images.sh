#!/usr/bin/env bash
# Build (and push) kubetune's four images from images/, tagged with a registry prefix:
#   $REGISTRY/kubetune-trainer:$TAG       images/Dockerfile.trainer      (CUDA 13, GPU nodes)
#   $REGISTRY/kubetune-trainer-cpu:$TAG   images/Dockerfile.trainer-cpu  (CPU-only torch)
#   $REGISTRY/kubetune-pipeline:$TAG      images/Dockerfile.pipeline     (kubetune CLI + kfp)
#   $REGISTRY/kubetune-services:$TAG      images/Dockerfile.services     (Katib Suggestion/EarlyStopping services)
#
# Environment:
#   REGISTRY  registry prefix, e.g. registry.example.com/team (required, no trailing slash)
#   TAG       image tag (default 0.1.0, the chart's appVersion)
#   PUSH      1 = push after building (default), 0 = build only
#   ENGINE    docker | podman | buildah (default: the first one found on PATH, in that order)
#   IMAGES    which to build, space separated (default: "trainer trainer-cpu pipeline services")
#   DRY_RUN   1 = print the commands instead of running them (no engine needed)
#   REVISION  source revision for the org.opencontainers.image.revision label (default unknown)
#
# Usage: REGISTRY=registry.example.com/team TAG=0.1.0 bash scripts/build-images.sh
#        make images REGISTRY=registry.example.com/team TAG=0.1.0
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
REGISTRY="${REGISTRY:-}"
TAG="${TAG:-0.1.0}"
PUSH="${PUSH:-1}"
IMAGES="${IMAGES:-trainer trainer-cpu pipeline services}"
DRY_RUN="${DRY_RUN:-0}"
REVISION="${REVISION:-unknown}"

die() { echo "build-images: $*" >&2; exit 2; }

[ -n "$REGISTRY" ] || die "REGISTRY is not set; e.g. REGISTRY=registry.example.com/team TAG=0.1.0 $0"
case "$REGISTRY" in */) die "REGISTRY must not end with '/': $REGISTRY" ;; esac
[[ "$TAG" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "TAG $TAG is not a valid image tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})"
case "$PUSH" in 0|1) ;; *) die "PUSH must be 0 or 1, found $PUSH" ;; esac

ENGINE="${ENGINE:-}"
if [ -z "$ENGINE" ]; then
    for candidate in docker podman buildah; do
        if command -v "$candidate" >/dev/null 2>&1; then ENGINE="$candidate"; break; fi
    done
fi
if [ -z "$ENGINE" ]; then
    [ "$DRY_RUN" = 1 ] && ENGINE=docker || die "no container engine found (docker, podman or buildah); install one or set ENGINE"
fi
case "$ENGINE" in docker|podman|buildah) ;; *) die "ENGINE must be docker, podman or buildah, found $ENGINE" ;; esac

run() {
    echo "+ $*"
    if [ "$DRY_RUN" != 1 ]; then "$@"; fi
}

CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
for image in $IMAGES; do
    dockerfile="images/Dockerfile.$image"
    [ -f "$ROOT/$dockerfile" ] || die "unknown image '$image': $dockerfile does not exist (known: trainer trainer-cpu pipeline services)"
    ref="$REGISTRY/kubetune-$image:$TAG"
    args=(--file "$dockerfile" --tag "$ref"
          --build-arg "VERSION=$TAG" --build-arg "REVISION=$REVISION" --build-arg "CREATED=$CREATED")
    if [ "$ENGINE" = buildah ]; then
        (cd "$ROOT" && run buildah build "${args[@]}" .)
    else
        (cd "$ROOT" && run "$ENGINE" build "${args[@]}" .)
    fi
    if [ "$PUSH" = 1 ]; then
        run "$ENGINE" push "$ref"
    fi
done
