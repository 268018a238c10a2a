"""The exit codes of the ``femstat`` command, defined once.

The command's ``--help`` lists them and ``docs/cli.md`` documents them; a test checks
that the two agree with :class:`ExitCode`. Imports nothing heavy, so that ``--help``
stays instant.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["EXIT_CODE_MEANINGS", "ExitCode", "exit_codes_text"]


class ExitCode(IntEnum):
    """What the ``femstat`` command's exit status means."""

    OK = 0
    """Done."""
    PROBLEMS_FOUND = 1
    """``femstat validate`` found problems in the file (its table is printed)."""
    USER_ERROR = 2
    """A mistake in the command or its input; one line on stderr says what to do."""
    INTERNAL_ERROR = 70
    """A defect of femstat (``EX_SOFTWARE`` of the BSD ``sysexits.h``)."""
    INTERRUPTED = 130
    """Interrupted (Ctrl-C), as shells report a SIGINT: 128 + 2."""


EXIT_CODE_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "done",
    ExitCode.PROBLEMS_FOUND: "'femstat validate' found problems in the file",
    ExitCode.USER_ERROR: (
        "a mistake in the command or its input (a bad option, a missing or unreadable file, "
        "a bad mapping, data that cannot be used, a refused output)"
    ),
    ExitCode.INTERNAL_ERROR: "a defect of femstat: please report it",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
}


def exit_codes_text() -> str:
    """The exit codes in a few lines, for the command's help."""
    return (
        "Exit codes: "
        + "; ".join(f"{int(code)} {meaning}" for code, meaning in EXIT_CODE_MEANINGS.items())
        + "."
    )
