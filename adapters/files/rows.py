"""Read CSV or JSON Lines into (line number, row) pairs, reporting malformed lines."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class BadLine:
    line: int
    reason: str


Row = tuple[int, dict[str, Any]]


def read_rows(path: Path, required: tuple[str, ...] = ()) -> Iterator[Row | BadLine]:
    """Yield rows of a `.csv` (header row required) or `.jsonl` file, or `BadLine`s."""
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson", ".json"}:
        yield from _jsonl(path)
    elif suffix == ".csv":
        yield from _csv(path, required)
    else:
        raise ValueError(f"{path.name}: expected a .csv or .jsonl file")


def _jsonl(path: Path) -> Iterator[Row | BadLine]:
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                value = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                yield BadLine(number, f"not valid JSON ({exc.__class__.__name__}: {exc})")
                continue
            if not isinstance(value, dict):
                yield BadLine(number, "each line must be a JSON object")
                continue
            yield number, value


def _csv(path: Path, required: tuple[str, ...]) -> Iterator[Row | BadLine]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        yield BadLine(1, "the file is not UTF-8 text")
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        yield BadLine(1, "the file is empty or has no header row")
        return
    names = [h.strip().lower() for h in header]
    missing = [r for r in required if r not in names]
    if missing:
        yield BadLine(1, f"the header lacks column(s): {', '.join(missing)}")
        return
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield BadLine(reader.line_num, f"malformed CSV: {exc}")
            continue
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(names):
            yield BadLine(reader.line_num, f"expected {len(names)} columns, found {len(values)}")
            continue
        yield reader.line_num, dict(zip(names, (v.strip() for v in values), strict=True))
