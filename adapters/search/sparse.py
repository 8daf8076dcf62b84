"""A sparse matrix that takes writes: a CSR base plus an additive delta, folded when large."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import sparse

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class GrowingSparse:
    """rows × cols of float; `set` is idempotent (it writes the difference to the delta)."""

    def __init__(self, base: sparse.csr_matrix | None = None) -> None:
        self.base: sparse.csr_matrix = (
            base if base is not None else sparse.csr_matrix((0, 0), dtype=np.float64)
        )
        self.delta: dict[int, dict[int, float]] = {}
        self.delta_size = 0

    @property
    def nnz(self) -> int:
        return int(self.base.nnz) + self.delta_size

    def get(self, row: int, col: int) -> float:
        value = 0.0
        if row < self.base.shape[0] and col < self.base.shape[1]:
            start, end = self.base.indptr[row], self.base.indptr[row + 1]
            cols = self.base.indices[start:end]
            at = int(np.searchsorted(cols, col))
            if at < len(cols) and cols[at] == col:
                value = float(self.base.data[start + at])
        return value + self.delta.get(row, {}).get(col, 0.0)

    def set(self, row: int, col: int, value: float) -> float:
        """Set one cell; returns the previous value."""
        old = self.get(row, col)
        if value != old:
            cells = self.delta.setdefault(row, {})
            if col not in cells:
                self.delta_size += 1
            cells[col] = cells.get(col, 0.0) + (value - old)
        return old

    def row_entries(self, row: int) -> tuple[IntArray, FloatArray]:
        """Columns and values of one row (base and delta combined, zeros dropped)."""
        cols, vals = self._base_rows(np.array([row], dtype=np.int64))
        extra = self.delta.get(row)
        if extra:
            cols = np.concatenate([cols, np.fromiter(extra.keys(), np.int64, len(extra))])
            vals = np.concatenate([vals, np.fromiter(extra.values(), np.float64, len(extra))])
            if len(cols):
                uniq, inverse = np.unique(cols, return_inverse=True)
                vals = np.bincount(inverse, weights=vals).astype(np.float64)
                cols = uniq.astype(np.int64)
        keep = vals != 0
        return cols[keep], vals[keep]

    def _base_rows(self, rows: IntArray) -> tuple[IntArray, FloatArray]:
        rows = rows[rows < self.base.shape[0]]
        if not len(rows):
            return np.empty(0, np.int64), np.empty(0, np.float64)
        starts = self.base.indptr[rows]
        ends = self.base.indptr[rows + 1]
        if len(rows) == 1:
            return (
                self.base.indices[starts[0] : ends[0]].astype(np.int64),
                self.base.data[starts[0] : ends[0]],
            )
        index = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends, strict=True)])
        return self.base.indices[index].astype(np.int64), self.base.data[index]

    def row_sum(self, rows: IntArray, weights: FloatArray, width: int) -> FloatArray:
        """Σ_i weights[i] · row(rows[i]) as a dense vector of `width` columns."""
        out = np.zeros(width, dtype=np.float64)
        if not len(rows):
            return out
        in_base = rows < self.base.shape[0]
        b_rows, b_weights = rows[in_base], weights[in_base]
        if len(b_rows):
            starts = self.base.indptr[b_rows]
            lengths = self.base.indptr[b_rows + 1] - starts
            total = int(lengths.sum())
            if total:
                # one flat gather over every row's slice of the CSR arrays
                offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
                index = offsets + np.arange(total)
                scaled = self.base.data[index] * np.repeat(b_weights, lengths)
                out += np.bincount(self.base.indices[index], weights=scaled, minlength=width)[
                    :width
                ]
        if self.delta:
            for row, weight in zip(rows.tolist(), weights.tolist(), strict=True):
                cells = self.delta.get(row)
                if cells:
                    for col, value in cells.items():
                        out[col] += weight * value
        return out

    def fold(self, nrows: int, ncols: int) -> None:
        """Merge the delta into a new CSR base of at least nrows × ncols."""
        nrows = max(nrows, self.base.shape[0])
        ncols = max(ncols, self.base.shape[1])
        base = self.base
        if base.shape != (nrows, ncols):
            base = sparse.csr_matrix(
                (
                    base.data,
                    base.indices,
                    np.concatenate([base.indptr, np.full(nrows - base.shape[0], base.indptr[-1])]),
                ),
                shape=(nrows, ncols),
            )
        if self.delta:
            r: list[int] = []
            c: list[int] = []
            v: list[float] = []
            for row, cells in self.delta.items():
                for col, value in cells.items():
                    r.append(row)
                    c.append(col)
                    v.append(value)
            extra = sparse.csr_matrix((v, (r, c)), shape=(nrows, ncols), dtype=np.float64)
            base = (base + extra).tocsr()
            base.eliminate_zeros()
        base.sort_indices()
        self.base = base
        self.delta = {}
        self.delta_size = 0


def from_triplets(
    rows: list[int], cols: list[int], values: list[float], nrows: int, ncols: int
) -> GrowingSparse:
    matrix = sparse.csr_matrix(
        (np.asarray(values, np.float64), (np.asarray(rows, np.int64), np.asarray(cols, np.int64))),
        shape=(nrows, ncols),
    )
    matrix.sum_duplicates()
    matrix.sort_indices()
    return GrowingSparse(matrix)
