"""The single error handler: QcaError -> one line per problem on stderr, exit 1."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import typer

from qca.errors import Problem, QcaError

if TYPE_CHECKING:  # rich costs ~18 ms of `qca --help`: import it when printing
    from rich.console import Console

P = ParamSpec("P")
R = TypeVar("R")


def stderr() -> Console:
    """A console on the current stderr (looked up at call time, so CliRunner captures it)."""
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True, highlight=False)


def print_problems(problems: Iterable[Problem]) -> None:
    """Print each problem on its own line on stderr, warnings prefixed ``warning:``."""
    from rich.markup import escape

    console = stderr()
    for problem in problems:
        prefix = "" if problem.is_error else "warning: "
        console.print(escape(prefix + str(problem)))


def fail(message: str) -> typer.Exit:
    """Print *message* on stderr and return the exit to raise (code 1)."""
    from rich.markup import escape

    stderr().print(escape(message))
    return typer.Exit(code=1)


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Decorate a command so that a :class:`QcaError` prints its lines and exits 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except QcaError as exc:
            from rich.markup import escape

            console = stderr()
            for line in exc.lines():
                console.print(escape(line))
            raise typer.Exit(code=1) from None
        except KeyboardInterrupt:
            stderr().print("interrupted; earlier outputs are left as they were")
            raise typer.Exit(code=130) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - the one place nothing may escape
            if type(exc).__module__.split(".")[0] in ("typer", "click", "_typer_click"):
                raise  # usage errors: Typer prints them and exits 2
            raise unexpected(exc) from None

    return wrapper


def unexpected(exc: Exception) -> typer.Exit:
    """Print one line for *exc* (and write a crash report for a bug); return exit 1.

    With ``QCA_DEBUG=1`` the exception is raised again, stack and all.
    """
    import os

    from rich.markup import escape

    from qca.crash import DEBUG_VARIABLE, crash_line, describe_failure, write_crash_report

    if os.environ.get(DEBUG_VARIABLE) == "1":
        raise exc
    line = describe_failure(exc)
    if line is None:
        line = crash_line(exc, write_crash_report(exc))
    stderr().print(escape(line))
    return typer.Exit(code=1)
