"""The single error handler: QcaError -> one line per problem on stderr, exit 1."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from qca.errors import Problem, QcaError

P = ParamSpec("P")
R = TypeVar("R")


def stderr() -> Console:
    """A console on the current stderr (looked up at call time, so CliRunner captures it)."""
    return Console(stderr=True, soft_wrap=True, highlight=False)


def print_problems(problems: Iterable[Problem]) -> None:
    """Print each problem on its own line on stderr, warnings prefixed ``warning:``."""
    console = stderr()
    for problem in problems:
        prefix = "" if problem.is_error else "warning: "
        console.print(escape(prefix + str(problem)))


def fail(message: str) -> typer.Exit:
    """Print *message* on stderr and return the exit to raise (code 1)."""
    stderr().print(escape(message))
    return typer.Exit(code=1)


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Decorate a command so that a :class:`QcaError` prints its lines and exits 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except QcaError as exc:
            console = stderr()
            for line in exc.lines():
                console.print(escape(line))
            raise typer.Exit(code=1) from None
        except KeyboardInterrupt:
            stderr().print("interrupted; earlier outputs are left as they were")
            raise typer.Exit(code=130) from None

    return wrapper
