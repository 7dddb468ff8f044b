"""``qaf`` run as a process of its own, without paying Python's imports each time.

A new ``qaf`` process spends about 0.7 s of its 0.8-1 s importing SQLAlchemy, pydantic
and the framework's models before it reads its arguments. Here each command is a child
forked from a server process (multiprocessing's ``forkserver``) that has imported
``qaframework.cli`` once and done nothing else: the child is a process of its own (its
own environment, working folder, exit code, and standard output and error as files),
and runs the installed ``qaf`` console script's entry point, then the exit handlers a
real interpreter runs. A command takes 0.1-0.15 s instead of 0.9 s.

What it does not check, a cold start (the console script found on the path, the imports
done in a new interpreter), the tests that start ``qaf`` with ``subprocess`` check:
``tests/cli/test_cli.py``'s two plans at once and cold start, and ``tests/system``.

The module imports only the standard library at its top: each child imports it by name
to find :func:`_command`.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import subprocess
import sys
import tempfile
from importlib.metadata import entry_points
from pathlib import Path

QAF = str(Path(sys.executable).parent / "qaf")
_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(["qaframework.cli", "qaframework.cli_tasks"])


def _command(args: list[str], cwd: str, env: dict[str, str], out: str, err: str) -> None:
    """In the child: become ``qaf *args`` run in ``cwd`` with exactly ``env``."""
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    for fd, path in ((1, out), (2, err)):
        opened = os.open(path, os.O_WRONLY | os.O_TRUNC)
        os.dup2(opened, fd)
        os.close(opened)
    sys.argv = [QAF, *args]
    (script,) = entry_points(group="console_scripts", name="qaf")
    try:
        sys.exit(script.load()())
    finally:
        atexit._run_exitfuncs()  # as a real interpreter does at exit (multiprocessing's child does not)


def environment(given: dict[str, str] | None, without: tuple[str, ...]) -> dict[str, str]:
    """This process's environment without the settings named by the prefixes in
    ``without``, and with ``given``: what a test's ``qaf`` runs with."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(without)}
    return {**kept, **(given or {})}


def run_qaf(*args: str, cwd: Path, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``qaf *args`` as ``subprocess.run(..., capture_output=True, text=True)`` gives it."""
    with tempfile.TemporaryDirectory(prefix="qaf-run-") as folder:
        out, err = os.path.join(folder, "stdout"), os.path.join(folder, "stderr")
        for path in (out, err):
            Path(path).touch()
        child = _context.Process(target=_command, args=(list(args), str(cwd), dict(env), out, err))
        child.start()
        child.join(timeout)
        if child.exitcode is None:
            child.kill()
            child.join()
            raise subprocess.TimeoutExpired([QAF, *args], timeout)
        return subprocess.CompletedProcess([QAF, *args], child.exitcode, _text(out), _text(err))


def _text(path: str) -> str:
    """What ``text=True`` makes of a stream: decoded, its line endings made ``\\n``."""
    return Path(path).read_text(encoding="utf-8", errors="replace")
