"""Zero-copy access to the two numpy arrays behind pandas' masked arrays.

pandas' nullable booleans and integers are a values array plus a missing mask. The hot
paths read both without conversion; pandas has no public accessor that avoids a copy, so
the private attributes are read here, in one place, and nowhere else.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["masked_parts"]


def masked_parts(values: pd.Series | Any) -> tuple[np.ndarray, np.ndarray]:
    """``(values, missing)`` of a nullable boolean or integer Series or array, no copy."""
    array = values.array if isinstance(values, pd.Series) else values
    if not isinstance(array, pd.arrays.BooleanArray | pd.arrays.IntegerArray):
        raise TypeError(f"expected a nullable boolean or integer array, got {type(array)}")
    data: np.ndarray = array._data  # type: ignore[union-attr]
    mask: np.ndarray = array._mask  # type: ignore[union-attr]
    return data, mask
