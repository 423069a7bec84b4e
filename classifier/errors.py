"""Errors a user can cause, each rendered as one line naming the file and the problem."""


class PortlensError(Exception):
    """Base class: anything the CLI reports as a one-line error instead of a traceback."""


class CaptureError(PortlensError):
    """A capture file cannot be read, or reading it stopped on damage."""

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
