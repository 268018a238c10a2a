"""Errors and warnings raised by femstat.

Every error derives from :class:`FemstatError`; specific errors also derive from the
matching builtin (``ValueError``, ``KeyError``, ``TypeError``) so that code written against
plain pandas keeps working. Messages end with a hint of what to do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DataQualityWarning",
    "FemstatError",
    "FemstatWarning",
    "MissingDependencyError",
    "PopulationError",
    "ValidationError",
]


class FemstatError(Exception):
    """Base class of every error femstat raises."""


class FemstatWarning(UserWarning):
    """Base class of every warning femstat emits."""


class DataQualityWarning(FemstatWarning):
    """Input passed validation but holds soft inconsistencies worth a look."""


class ValidationError(FemstatError, ValueError):
    """Input data that cannot be mapped onto the framework's variables.

    Attributes
    ----------
    failure_cases : pandas.DataFrame
        One row per problem: ``column``, ``check``, ``value`` (the offending value, never
        a free-text field; ``"<withheld>"`` for an identifying column such as
        ``victim_id``), ``n_rows`` (how many rows hold it) and ``rows`` (a few row
        positions, 0-based).
    hint : str or None
        The message's "What to do" line, when it has one.
    truncated : bool
        More problems were found than ``failure_cases`` lists.
    """

    def __init__(
        self,
        message: str,
        failure_cases: pd.DataFrame,
        *,
        hint: str | None = None,
        truncated: bool = False,
    ) -> None:
        super().__init__(message)
        self.failure_cases = failure_cases
        self.hint = hint
        self.truncated = truncated


class PopulationError(FemstatError, ValueError):
    """A population table that cannot serve as the denominator of a rate."""


class MissingDependencyError(FemstatError, ImportError):
    """An optional dependency that the requested feature needs is not installed."""


def require(module: str, extra: str) -> object:
    """Import an optional dependency or explain which femstat extra provides it.

    Parameters
    ----------
    module : str
        Importable module name, e.g. ``"pyarrow"``.
    extra : str
        The femstat extra that installs it, e.g. ``"io"``.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            f"this feature needs the optional package {module!r}. "
            f"Install it with: pip install 'femstat[{extra}]'"
        ) from exc


class RuleSetError(FemstatError, ValueError):
    """A rule set cannot be loaded, or cannot be used the way it was asked to be."""


class EstimateError(FemstatError, ValueError):
    """Data or arguments :func:`femstat.estimate` cannot work with."""
