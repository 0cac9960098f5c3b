"""Tables read column by column, for the local evaluator and baseline profiles.

Parquet goes through pyarrow, which decodes only the requested columns' pages; string columns are read
dictionary-encoded (pandas Categoricals: one small integer per row instead of a Python string). CSV
has no column layout, so a read parses the file once for all the columns asked for. Every input
problem is an :class:`EvaluationInputError` with one message that names the file, the column and the fix.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

ERR_MISSING_COLUMN = "{file}: column {column!r} not found; columns are: {columns}"
ERR_EMPTY = "{file}: the table has no rows"
ERR_FORMAT = "{file}: unsupported table format {suffix!r}; use .parquet or .csv"


class EvaluationInputError(ValueError):
    """Bad evaluator input; the message names the file, the column and the fix."""


class Columns:
    """A table read column by column, so an evaluation holds at most the columns one metric needs.

    Parquet goes through pyarrow, which decodes only the requested columns' pages; string columns are
    read dictionary-encoded (pandas Categoricals: one small integer per row instead of a Python string).
    CSV has no column layout, so a read parses the file once for all the columns asked for."""

    def __init__(self, path: str | Path):
        self.path = path = Path(path)
        if not path.is_file():
            raise EvaluationInputError(f"{path}: file not found")
        self.suffix = suffix = path.suffix.lower()
        if suffix not in (".parquet", ".pq", ".csv", ".txt"):
            raise EvaluationInputError(ERR_FORMAT.format(file=path, suffix=suffix))
        self._parquet: list[str] | None = None
        with self._reading():
            if suffix in (".parquet", ".pq"):
                import pyarrow as pa
                import pyarrow.parquet as pq

                schema = pq.read_schema(path)
                strings = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
                self._parquet = strings  # the columns to read dictionary-encoded
                self.names = list(schema.names)
                rows = pq.read_metadata(path).num_rows
            else:
                import pandas as pd

                self.names = [str(c) for c in pd.read_csv(path, nrows=1).columns]
                rows = 1 if self.names else 0
        if rows == 0:
            raise EvaluationInputError(ERR_EMPTY.format(file=path))

    def _reading(self) -> contextlib.AbstractContextManager[None]:
        return _read_errors(self.path, self.suffix)

    def require(self, columns: Sequence[str]) -> None:
        for column in columns:
            if column not in self.names:
                raise EvaluationInputError(
                    ERR_MISSING_COLUMN.format(file=self.path, column=column, columns=", ".join(self.names))
                )

    def read(self, columns: Sequence[str]):
        """The columns as a DataFrame, in the order given."""
        import pandas as pd

        self.require(columns)
        with self._reading():
            if self._parquet is not None:
                import pyarrow.parquet as pq

                # a ParquetFile per read: one is not safe to share between the drift's threads
                frame = pq.ParquetFile(self.path, read_dictionary=self._parquet).read(columns=list(columns)).to_pandas()
            else:
                frame = pd.read_csv(self.path, usecols=list(columns))[list(columns)]
        if len(frame) == 0:
            raise EvaluationInputError(ERR_EMPTY.format(file=self.path))
        return frame

    def __getitem__(self, column: str):
        return self.read([column])[column]


@contextlib.contextmanager
def _read_errors(path: Path, suffix: str) -> Iterator[None]:
    """Turns a reader's failure into one message with the file and the reason."""
    try:
        yield
    except EvaluationInputError:
        raise
    except UnicodeDecodeError as exc:
        raise EvaluationInputError(
            f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); save the table "
            "as UTF-8 and try again"
        ) from None
    except Exception as exc:  # noqa: BLE001 - the readers raise many types; the user needs the file and the reason
        raise EvaluationInputError(f"{path}: cannot be read as {suffix[1:]} ({exc})") from None
