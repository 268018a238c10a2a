"""Readers and mappings that turn real source formats into femstat's victim table.

- :func:`read`: CSV, Parquet, Excel, SPSS and Stata files, with a mapping, validated.
- :func:`read_shr`: the FBI Supplementary Homicide Reports national fixed-width file.
- :func:`read_icd10`: death records whose cause is coded with ICD-10.
- :class:`Mapping`, :func:`load_mapping`: a national coding described as data (TOML,
  YAML or a dict); :func:`builtin_mapping` returns the SHR and ICD-10 mappings that ship
  with femstat, whose ``to_frame()`` lists every decision they make.
- :class:`SourceError`: a file that cannot be read (corrupt, truncated, another encoding or
  delimiter, expanding past the decompression limit); see :mod:`femstat.sources.files`.
"""

from __future__ import annotations

from femstat.sources.files import SourceError
from femstat.sources.icd10 import read_icd10
from femstat.sources.mapping import (
    BUILTIN_MAPPINGS,
    ColumnMap,
    Mapping,
    MappingError,
    Range,
    builtin_mapping,
    load_mapping,
)
from femstat.sources.readers import FORMATS, read, read_raw
from femstat.sources.shr import read_shr

__all__ = [
    "BUILTIN_MAPPINGS",
    "FORMATS",
    "ColumnMap",
    "Mapping",
    "MappingError",
    "Range",
    "SourceError",
    "builtin_mapping",
    "load_mapping",
    "read",
    "read_icd10",
    "read_raw",
    "read_shr",
]
