"""Publish/fetch throughput of kubetune.store: LocalStore and S3Store against moto on loopback.

    .venv/bin/python bench/store_roundtrip.py [--mib 64] [--files 4]

Prints MiB/s for publish (hash + upload + manifest) and fetch (download + sha256 verify). moto is a
Python stand-in, so the S3 numbers bound our overhead, not a real MinIO/SeaweedFS.
"""
from __future__ import annotations

import argparse
import logging
import os
import socket
import tempfile
import time
from pathlib import Path

from kubetune.store import LocalStore, S3Store


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=64, help="total size")
    ap.add_argument("--files", type=int, default=4)
    args = ap.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "model"
        src.mkdir()
        for i in range(args.files):
            (src / f"part{i}.bin").write_bytes(os.urandom(args.mib * 2**20 // args.files))
        stores = {"local": LocalStore(Path(tmp) / "store")}
        from moto.server import ThreadedMotoServer
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        s3 = S3Store(f"http://127.0.0.1:{port}", "bench", access_key="a", secret_key="b")
        s3.client.make_bucket("bench")
        stores["s3 (moto)"] = s3
        try:
            for name, store in stores.items():
                up = timed(lambda: store.publish(src, "m"))
                down = timed(lambda: store.fetch("m", Path(tmp) / f"out-{name.split()[0]}"))
                again = timed(lambda: store.publish(src, "m"))
                print(f"{name:10s} {args.mib} MiB in {args.files} files: publish {args.mib / up:7.1f} MiB/s  "
                      f"fetch+verify {args.mib / down:7.1f} MiB/s  republish (no-op) {again * 1000:.0f} ms")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
