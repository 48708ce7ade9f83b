"""The one exception type users see: a clear, one-line message with its location."""


class ApproxgenError(Exception):
    """Bad input. ``where`` names the file and/or key (``configs/x.yaml: input.bits``)."""

    def __init__(self, message: str, where: str | None = None):
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)
