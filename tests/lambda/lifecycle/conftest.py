"""The lifecycle handler tests load each asset as the Lambda runtime does (tests/handler_loading.py)."""

from tests.handler_loading import load_handler

__all__ = ["load_handler"]
