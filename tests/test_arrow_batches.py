"""Parquet batches end where the general path's batches end.

Batch numbers and first rows in errors, and the batch from which the general path takes
over when the fast path gives way, depend on the boundaries, so the fast reader must cut
a file exactly as ``ParquetFile.iter_batches`` does on the general path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from femstat.sources.readers import fast_frames, iter_raw


@pytest.mark.parametrize("row_group", [700, 1_000, 1_500, 5_000])
@pytest.mark.parametrize("stored", ["categorical", "text"])
@pytest.mark.parametrize("batch_rows", [400, 1_000, 1_500, 2_048])
def test_parquet_batches_end_where_the_general_paths_end(
    tmp_path: Path, row_group: int, stored: str, batch_rows: int
) -> None:
    """``iter_batches`` ends a batch at each row group when a column is a stored
    dictionary (row groups of 1,000 read 1,500 at a time: 1,000, 500, 500, 1,000, ...),
    and runs across them otherwise; batch numbers and first rows in errors depend on it."""
    n = 6_000
    frame = pd.DataFrame(
        {
            "victim_sex": pd.Categorical(np.where(np.arange(n) % 2, "female", "male")),
            "victim_age": pd.array(np.arange(n) % 90, dtype="Int16"),
            "relationship": pd.Categorical(["stranger"] * n),
            "year": pd.array([2020] * n, dtype="Int16"),
        }
    )
    path = tmp_path / "victims.parquet"
    if stored == "categorical":
        frame.to_parquet(path, row_group_size=row_group, index=False)
    else:
        table = pa.Table.from_pandas(frame.astype(str), preserve_index=False)
        pq.write_table(table, path, row_group_size=row_group)
    with fast_frames(path, batch_rows=batch_rows) as fast:
        assert fast is not None
        got = [(int(f.index[0]), len(f)) for f in fast.frames]
    expected = [(int(f.index[0]), len(f)) for f in iter_raw(path, batch_rows=batch_rows)]
    assert got == expected
