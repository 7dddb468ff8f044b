"""An installation as a user meets it: ``qaf`` run as a process of its own
(tests/qaf_process.py) in a folder of its own, with no QAF_ or PREFECT_ settings but
those a test gives, on each shipped partnership (``partnership_file``: ids ``sscp`` and
``example``)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from qaframework.framework import Framework, load_framework
from tests.partnerships.conftest import SHIPPED
from tests.qaf_process import environment, run_qaf

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session", params=list(SHIPPED), ids=list(SHIPPED))
def partnership_file(request: pytest.FixtureRequest) -> Path:
    return SHIPPED[request.param]


@pytest.fixture(scope="session")
def partnership(partnership_file: Path) -> Framework:
    return load_framework(partnership_file)


def qaf(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_qaf(*args, cwd=cwd, env=environment(env, without=("QAF_", "PREFECT_")))


def refused(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Exit 2, nothing on stdout, one line on stderr holding every fragment."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and re.match(r"^qaf( [a-z-]+)*: error: ", lines[0]), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]
