"""The version of approxgen (every artifact and emitted file records it)."""

__version__ = "0.1.0"
