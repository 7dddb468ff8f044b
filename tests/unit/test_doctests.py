"""The examples in the core's docstrings are tests too."""

import doctest
import importlib
import pkgutil

import pytest

import qaframework

MODULES = sorted(m.name for m in pkgutil.walk_packages(qaframework.__path__, "qaframework.") if ".migrations" not in m.name)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_the_core_does_not_import_prefect() -> None:
    import subprocess
    import sys

    code = (
        "import sys, importlib, pkgutil, qaframework\n"
        "for m in pkgutil.walk_packages(qaframework.__path__, 'qaframework.'):\n"
        "    if '.migrations' not in m.name: importlib.import_module(m.name)\n"
        "print('prefect' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"
