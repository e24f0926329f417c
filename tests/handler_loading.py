"""Load a handler folder the way the Lambda runtime does: the folder on sys.path, `index` imported.

The `load_handler` fixture, shared by the conftests of the handler test folders that load a whole asset
(tuning, lifecycle).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from sagemaker_platform.assets import handler_dir


@pytest.fixture
def load_handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], ModuleType]]:
    """`load_handler("tuning_launcher")` -> that folder's `index` module, freshly imported.

    Handler folders share module names (`index`, `errors`), as separate Lambda functions do;
    each load imports them from its own folder and takes them out of the import cache afterwards.
    """
    loaded: list[str] = []

    def load(name: str) -> ModuleType:
        folder: Path = handler_dir(name)
        names = [path.stem for path in folder.glob("*.py")]
        for module in names:
            monkeypatch.delitem(sys.modules, module, raising=False)
        monkeypatch.syspath_prepend(str(folder))
        module = importlib.import_module("index")
        loaded.extend(names)
        return module

    yield load
    for module in loaded:
        sys.modules.pop(module, None)
