"""The one exception type users see: a clear, one-line message with its location."""


class ApproxgenError(Exception):
    """Bad input. ``where`` names the file and/or key (``configs/x.yaml: input.bits``)."""

    def __init__(self, message: str, where: str | None = None):
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class OSFailure(Exception):
    """An OS error reading or writing a file (permission, I/O error, disk full): exit status 1."""

    def __init__(self, message: str, where: str):
        self.message, self.where = message, where
        super().__init__(f"{where}: {message}")


def read_failure(exc: OSError, what: str, where: str) -> Exception:
    """The error to raise for ``exc`` while reading an input: a missing file or a directory is
    bad input (ApproxgenError, exit 2); permission or I/O errors are OS failures (exit 1)."""
    import errno

    message = f"cannot read {what}: {exc.strerror or exc}"
    if exc.errno in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR, errno.ENAMETOOLONG, errno.ELOOP):
        return ApproxgenError(message, where)
    return OSFailure(message, where)
