"""Find codebook regexes that can take exponential time (catastrophic backtracking).

Python's ``re`` backtracks: ``(a+)+$`` on 31 ``a`` and a ``b`` tries 2^31 ways. The
shape behind nearly every such case is a repeat inside an unbounded repeat, where
the inner part can match text of different lengths (``(a+)+``, ``(\\w+\\s?)*``,
``(?:a|ab)*c`` is not caught). :func:`backtracking_risk` finds that shape so that
``codebook check`` (and ``qca code``) refuse the regex before it runs.
"""

from __future__ import annotations

from typing import Any

_REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")


def _variable_repeat(items: Any, constants: Any) -> str | None:
    """Return the op name of a repeat inside *items* that matches varying lengths."""
    for op, value in items:
        name = str(op)
        if name in _REPEATS:
            low, high, body = value
            if high != low:
                return name
            found = _variable_repeat(body, constants)
            if found:
                return found
        elif name == "SUBPATTERN":
            found = _variable_repeat(value[-1], constants)
            if found:
                return found
        elif name == "BRANCH":
            for branch in value[1]:
                found = _variable_repeat(branch, constants)
                if found:
                    return found
        elif name in ("ASSERT", "ASSERT_NOT"):
            found = _variable_repeat(value[1], constants)
            if found:
                return found
    return None


def _nested(items: Any, constants: Any) -> bool:
    for op, value in items:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT"):
            low, high, body = value
            if high == constants.MAXREPEAT and _variable_repeat(body, constants):
                return True
            if _nested(body, constants):
                return True
        elif name == "SUBPATTERN":
            if _nested(value[-1], constants):
                return True
        elif name == "BRANCH":
            if any(_nested(branch, constants) for branch in value[1]):
                return True
        elif name in ("ASSERT", "ASSERT_NOT") and _nested(value[1], constants):
            return True
    return False


def backtracking_risk(regex: str) -> bool:
    """Whether *regex* repeats, without bound, a part that itself repeats: ``(a+)+``.

    Examples:
        >>> backtracking_risk("(a+)+$"), backtracking_risk(r"(\\w+\\s?)*x")
        (True, True)
        >>> backtracking_risk(r"\\bfired up\\b"), backtracking_risk(r"(?:ab)+c")
        (False, False)
    """
    from re import _constants, _parser  # type: ignore[attr-defined]

    try:
        items = _parser.parse(regex)
    except Exception:  # noqa: BLE001 - a regex that does not compile is reported elsewhere
        return False
    return _nested(items, _constants)
