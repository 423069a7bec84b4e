"""Errors a user can cause, each rendered as one line naming the file and the problem."""


class PortlensError(Exception):
    """Base class: anything the CLI reports as a one-line error instead of a traceback."""


class CaptureError(PortlensError):
    """A capture file cannot be read, or reading it stopped on damage."""

    def __init__(self, path: str, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem
