"""The errors that mean bad input or a refusing environment: `fpcheck` exits 2 on every one of them.

Every error a user can cause (a malformed config, an unknown claim id, NaN weights, an unusable run
directory, an unreachable scheduler, a full disk, …) is an `FpcheckError` subclass with a one-line
message naming the problem. Anything else that escapes is a bug of ours: the CLI says so, writes the
traceback to a file and exits 3 (`fpcheck.reports.cli`).

The subclasses also derive from ValueError or OSError where a Python caller would expect one, so that
`except ValueError` around `fpcheck.verify(...)` keeps working.
"""

from __future__ import annotations


class FpcheckError(Exception):
    """Bad input or a refusing environment (exit 2); the message is one line."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


class BadArgument(FpcheckError, ValueError):
    """An argument of `fpcheck.verify` or the CLI out of its range (an unknown profile, --seeds 0, …)."""


class SetupError(FpcheckError, ValueError):
    """A setup field (from a claim, a control or --config) that is of the wrong type or out of range."""


class ConfigError(FpcheckError, ValueError):
    """A --config file that cannot be read, is not TOML, or overrides what no claim has."""


class UnknownClaim(FpcheckError, ValueError):
    """A claim id that the catalogue does not hold."""


class ClaimDeclarationError(FpcheckError, ValueError):
    """A claim whose declaration is inconsistent (a rule reads a quantity the claim never declares, an
    unknown derivation, a duplicate id, a setup of the wrong experiment, …): raised at registration."""


class ExternalClaimError(FpcheckError, ImportError):
    """A claim module named by --claims or an entry point that does not import or does not register."""


class LimitExceeded(FpcheckError, ValueError):
    """A valid but too large input (seeds, frequencies, widths × pieces, depth): refused before any
    allocation, naming the limit."""


class InputFileError(FpcheckError, ValueError):
    """An input file (weights, predictions, config, a run-directory record) that is not a readable,
    bounded, well-formed regular file."""


class RunDirError(FpcheckError, ValueError):
    """An output directory that cannot be used: a file, unwritable, holding corrupt results, or locked
    by another fpcheck process."""


class DiskFull(FpcheckError, OSError):
    """The disk (or quota) is full: what was written before is kept."""


class SchedulerError(FpcheckError, ValueError):
    """A Dask scheduler that cannot be reached or was lost during the run."""


class MissingExtra(FpcheckError, ImportError):
    """An optional dependency that the requested feature needs (e.g. `pip install fpcheck[dask]`)."""


class DeviceError(FpcheckError, ValueError):
    """A --device that is not a device, or is not available on this machine."""


def one_line(message: str) -> str:
    """The message on one line: newlines and other control characters become spaces or escapes."""
    text = " ".join(str(message).split())
    return "".join(character if character.isprintable() else repr(character)[1:-1] for character in text)
