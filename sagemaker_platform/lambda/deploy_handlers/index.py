"""Entry point of every deploy pipeline function: `DEPLOY_HANDLER` names the module that handles the event.

All functions share this one asset; each imports only its own module, so a cold start loads one handler.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

_module = importlib.import_module(f"deployer.{os.environ.get('DEPLOY_HANDLER', 'missing')}")


def handler(event: Any, context: Any) -> Any:
    return _module.handler(event, context)
