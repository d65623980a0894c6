"""Where a part's pixels come from: a decoded-cache memmap, or decoding on every access.

Both are picklable (DataLoader workers, spawn) and hand out uint8 [C, H, W] arrays.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from .decode import decode_image, describe_failure
from .errors import DataError

HEADER_BYTES = 64
MAGIC = b"KTCACHE1"
STATS_PIXEL_BUDGET = 16_000_000  # mean/std from at most ~this many pixels per channel


def read_header(path: str) -> tuple[str, tuple[int, int, int, int]] | None:
    """(token, shape) from a cache data file, or None if it is not a complete cache file."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(HEADER_BYTES)
            size = os.fstat(handle.fileno()).st_size
    except OSError:
        return None
    if len(header) != HEADER_BYTES or header[:8] != MAGIC:
        return None
    token = header[8:24].hex()
    shape = tuple(int(v) for v in np.frombuffer(header[24:56], dtype="<i8"))
    if size != HEADER_BYTES + int(np.prod(shape)):
        return None
    return token, shape  # type: ignore[return-value]


def make_header(token: str, shape: tuple[int, int, int, int]) -> bytes:
    header = MAGIC + bytes.fromhex(token) + np.asarray(shape, dtype="<i8").tobytes()
    return header.ljust(HEADER_BYTES, b"\0")


class MemmapStore:
    """Rows of a cache file, opened lazily in each process; the token guards against a file
    replaced by a rebuild between the index check and the open."""

    def __init__(self, path: str, token: str, shape: tuple[int, int, int, int]):
        self.path = path
        self.token = token
        self.shape = tuple(shape)
        self._array: np.ndarray | None = None

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_array"] = None  # a memmap would pickle its whole content
        return state

    def open(self) -> np.ndarray:
        if self._array is None:
            try:
                whole = np.memmap(self.path, dtype=np.uint8, mode="r")
            except (OSError, ValueError) as error:
                raise DataError(f"cannot open decoded cache {self.path}: {error}") from error
            # The header is checked through the mapping itself, so what we map is what we checked.
            expected = make_header(self.token, self.shape)
            if whole.size != HEADER_BYTES + int(np.prod(self.shape)) or whole[:HEADER_BYTES].tobytes() != expected:
                raise DataError(
                    f"decoded cache {self.path} was rebuilt or removed by another process while in use "
                    "(the image files changed): restart this run"
                )
            self._array = whole[HEADER_BYTES:].reshape(self.shape)
        return self._array

    def get(self, row: int) -> np.ndarray:
        return np.array(self.open()[row])

    def channel_sums(self, rows: Sequence[int]) -> tuple[np.ndarray, np.ndarray, int]:
        """Per-channel sum and sum of squares over the rows (exact), or over an evenly spread,
        deterministic sample of them when they hold more than STATS_PIXEL_BUDGET pixels per channel."""
        rows = np.asarray(rows, dtype=np.int64)
        limit = max(64, STATS_PIXEL_BUDGET // (self.shape[2] * self.shape[3]))
        if len(rows) > limit:
            rows = rows[np.linspace(0, len(rows) - 1, limit).round().astype(np.int64)]
        array = self.open()
        total = np.zeros(self.shape[1], dtype=np.uint64)
        total_sq = np.zeros(self.shape[1], dtype=np.uint64)
        for start in range(0, len(rows), 128):
            chunk = array[np.sort(rows[start : start + 128])]
            total += chunk.sum(axis=(0, 2, 3), dtype=np.uint64)
            squares = chunk.astype(np.uint16)
            squares *= squares  # 255 * 255 still fits in uint16
            total_sq += squares.sum(axis=(0, 2, 3), dtype=np.uint64)
        return total.astype(np.float64), total_sq.astype(np.float64), len(rows) * self.shape[2] * self.shape[3]


class DecodeStore:
    """No cache: decode the file on every access (the files were all checked once up front)."""

    def __init__(self, paths: list[str], image_size: int, channels: int,
                 sums: np.ndarray, sums_sq: np.ndarray):
        self.paths = paths
        self.image_size = image_size
        self.channels = channels
        self._sums = sums
        self._sums_sq = sums_sq

    def get(self, row: int) -> np.ndarray:
        try:
            return decode_image(self.paths[row], self.image_size, self.channels)
        except Exception as error:  # noqa: BLE001 - Pillow raises many types for bad files
            raise DataError(f"cannot decode {self.paths[row]}: {describe_failure(error)}") from error

    def channel_sums(self, rows: Sequence[int]) -> tuple[np.ndarray, np.ndarray, int]:
        rows = np.asarray(rows, dtype=np.int64)
        return (self._sums[rows].sum(axis=0), self._sums_sq[rows].sum(axis=0),
                len(rows) * self.image_size * self.image_size)
