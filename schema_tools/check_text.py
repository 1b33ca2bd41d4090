"""CHECK constraint SQL as text: one spelling per backend's rendering, split into its AND/OR parts and literals."""

from __future__ import annotations

import re

__all__ = ["conjuncts", "literal", "literals", "normalize_check", "split_top", "strip_parentheses"]

_CAST = re.compile(
    r"::\s*(?:\"[^\"]+\"|[a-z_][a-z0-9_]*(?:\s+(?:varying|precision|without\s+time\s+zone|with\s+time\s+zone))?)"
    r"(?:\(\d+(?:\s*,\s*\d+)?\))?(?:\[\])?",
    re.IGNORECASE,
)
_LITERALS = re.compile(r"'(?:[^']|'')*'|[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?|true|false", re.IGNORECASE)
_BETWEEN = re.compile(r"\sbetween\s", re.IGNORECASE)
_BETWEEN_AND = re.compile(r"\sbetween\s.+\sand\s", re.IGNORECASE)


def normalize_check(text: str) -> str:
    """A CHECK's SQL without casts, identifier quotes, outer parentheses and spacing differences."""
    value = _CAST.sub("", text)
    value = re.sub(r'"([^"]+)"', r"\1", value)
    value = re.sub(r"`([^`]+)`", r"\1", value)
    value = " ".join(value.split())
    return strip_parentheses(value)


def strip_parentheses(text: str) -> str:
    """`text` without the parentheses that wrap all of it."""
    value = text.strip()
    while value.startswith("(") and _closing(value, 0) == len(value) - 1:
        value = value[1:-1].strip()
    return value


def _closing(text: str, start: int) -> int:
    """Index of the parenthesis closing the one at `start` (quotes respected), or -1."""
    depth = 0
    quoted = False
    for index in range(start, len(text)):
        char = text[index]
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
            if depth == 0:
                return index
    return -1


def _depth_change(char: str, quoted: bool) -> int:
    return 0 if quoted else {"(": 1, ")": -1}.get(char, 0)


def split_top(text: str, word: str) -> list[str]:
    """`text` split on the keyword `word` where it is outside parentheses and quotes."""
    parts: list[str] = []
    depth, quoted, start, index = 0, False, 0, 0
    pattern = re.compile(rf"\s{word}\s", re.IGNORECASE)
    while index < len(text):
        char = text[index]
        if char == "'":
            quoted = not quoted
        elif not quoted and depth == 0 and char not in "()" and pattern.match(text, index):
            parts.append(text[start:index].strip())
            index += len(word) + 1
            start = index
            continue
        depth += _depth_change(char, quoted)
        index += 1
    parts.append(text[start:].strip())
    return [part for part in parts if part]


def conjuncts(text: str) -> list[str]:
    """The AND-ed parts of a CHECK, a BETWEEN's own AND kept inside its part."""
    merged: list[str] = []
    for part in split_top(strip_parentheses(text), "and"):
        if merged and _BETWEEN.search(merged[-1]) and not _BETWEEN_AND.search(merged[-1]):
            merged[-1] = f"{merged[-1]} AND {part}"
        else:
            merged.append(part)
    return [strip_parentheses(part) for part in merged]


def literal(text: str) -> str | bool | int | float:
    """A SQL literal as its Python value: a quoted string, true/false, or a number."""
    value = text.strip()
    if value.startswith("'"):
        return value[1:-1].replace("''", "'")
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    number = value.replace(" ", "")
    return float(number) if any(c in number for c in ".eE") else int(number)


def literals(listing: str) -> tuple[str | bool | int | float, ...]:
    """The literals of an IN (...) or ARRAY[...] list."""
    return tuple(literal(item) for item in _LITERALS.findall(listing))
