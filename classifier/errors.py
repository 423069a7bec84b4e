"""Errors a user can cause, each rendered as one line naming the file and the problem.

Each kind has its own exit code in the command line (classifier/cli.py, README "Exit
codes and bad input"): the CLI maps them by type, never by the text of the message.

    UsageError      2   an option value or a file of settings that cannot be used
    CaptureError    3   a capture (or an interface) cannot be read
    OutputError     4   the output cannot be written
    ModelError      5   the model cannot be used (classifier/ml/model.py)
"""


class PortlensError(Exception):
    """Base class: anything the CLI reports as a one-line error instead of a traceback."""


class UsageError(PortlensError):
    """An option value, a filter or a settings file that cannot be used (exit 2)."""


class CaptureError(PortlensError):
    """A capture file cannot be read, or reading it stopped on damage (exit 3)."""

    def __init__(self, path: str, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class OutputError(PortlensError):
    """The output cannot be written: it exists (without --force), the disk is full, no
    permission, it is a directory (exit 4)."""

    def __init__(self, path: str, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class InputError(PortlensError, ValueError):
    """An argument the library API cannot use (classifier.api): a frame that is not
    bytes, a packet index of the wrong layout, an unknown transport, a Classifier used
    after close(). Also a ValueError, so code that catches that keeps working."""


class MissingDependencyError(PortlensError, ImportError):
    """An optional package a helper needs is not installed (pandas for
    `to_dataframe`, pyarrow for `to_arrow`, pcapy-ng for live capture)."""
