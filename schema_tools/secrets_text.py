"""The text rules of secret masking: `scheme://user:password@` and `password=VALUE` forms inside free text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote_plus

__all__ = ["SECRET_KEY_FRAGMENTS", "SECRET_MASK", "is_secret_key", "mask_key_values", "mask_url_passwords"]

SECRET_MASK = "***"

# A query or key=value key is secret when its name contains one of these (psycopg password, pymysql passwd,
# ODBC pwd, sslpassword, sslkey_password, client_secret...), compared case-insensitively.
SECRET_KEY_FRAGMENTS = ("password", "passwd", "pwd", "secret")

# The password of `scheme://user:password@host` runs to the last @ of the authority (users forget to escape @ in
# passwords); the authority ends at the first /, ? or whitespace after an @. Possessive quantifiers (*+), the
# lookbehinds and the scanning loops below keep long tokens (hex blobs in SQL parameters) linear.
_URL_HEAD = re.compile(r"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]*+://[^\s:/]*+:")
_URL_PASSWORD = re.compile(r"[^\s@]*+(?:@[^\s@/?]*+)*?@(?![^\s@/?]*+@)")
_RUN_WITHOUT_AT = re.compile(r"[^\s@]*+")

# password=, passwd = (libpq conninfo, kwargs reprs, URL queries) and "password": / 'password': (JSON, dict
# reprs); a bare key needs = so that "(using password: YES)" stays as it is. Keys are matched whole, then checked
# with is_secret_key(), so a long run of letters is read once.
_KEY_HEAD = re.compile(
    r"(?:(?P<quote>['\"])(?P<quoted_key>[A-Za-z0-9_.%\-]++)(?P=quote)\s*+[:=]"
    r"|(?<![A-Za-z0-9_.%\-])(?P<bare_key>[A-Za-z0-9_.%\-]++)\s*+=)\s*+"
)
_QUOTED_VALUE = {'"': re.compile(r'[bB]?"(?:[^"\\]++|\\.)*+"'), "'": re.compile(r"[bB]?'(?:[^'\\]++|\\.)*+'")}
_BARE_VALUE = re.compile(r"['\"]?[^&\s'\",)]++")  # ends at &, whitespace, a quote, a comma or )
_QUOTED_KEY_BARE_VALUE = re.compile(r"[^\s,}\])]++")  # JSON numbers and null, b'...' reprs
_VALUE_ENDS = frozenset("&'\",);")


def is_secret_key(name: str) -> bool:
    """True for query and key=value names that carry a secret, so their values are never shown."""
    lowered = name.lower()
    return any(fragment in lowered for fragment in SECRET_KEY_FRAGMENTS)


def mask_url_passwords(text: str) -> str:
    """Rule 1 of mask_text(): `scheme://user:password@` becomes `scheme://user:***@`."""
    pieces: list[str] = []
    kept = search_from = 0
    while (head := _URL_HEAD.search(text, search_from)) is not None:
        password = _URL_PASSWORD.match(text, head.end())
        if password is None:
            # No @ ends this run of text, so no later head inside the run can find one either: skip it.
            run = _RUN_WITHOUT_AT.match(text, head.end())
            search_from = max(run.end() if run is not None else 0, head.end())
            continue
        pieces += [text[kept : head.end()], SECRET_MASK, "@"]
        kept = search_from = password.end()
    return "".join(pieces) + text[kept:]


def _known_value_end(text: str, start: int, known: list[str]) -> int | None:
    """The end of a known secret written whole at `start` (so a space or & inside it does not end it), or None."""
    for value in known:
        end = start + len(value)
        if text.startswith(value, start) and (end == len(text) or text[end] in _VALUE_ENDS or text[end].isspace()):
            return end
    return None


def _value_span(text: str, start: int, quoted_key: bool, known: list[str], unclosed: dict[str, int]) -> tuple[int, str]:
    """Where the value starting at `start` ends, and the quotes (with a b prefix) to keep around ***."""
    known_end = _known_value_end(text, start, known)
    if known_end is not None:
        return known_end, ""
    prefix = 1 if text[start : start + 1] in ("b", "B") else 0
    quote_char = text[start + prefix : start + prefix + 1]
    if quote_char in _QUOTED_VALUE and unclosed.get(quote_char, len(text)) > start + prefix:
        # Once a quote has no closing quote, no later quote of that kind has one either: remember, stay linear.
        quoted = _QUOTED_VALUE[quote_char].match(text, start)
        if quoted is not None:
            return quoted.end(), text[start : start + prefix + 1]
        unclosed[quote_char] = start + prefix
    bare = (_QUOTED_KEY_BARE_VALUE if quoted_key else _BARE_VALUE).match(text, start)
    return (bare.end() if bare is not None else start), ""


def mask_key_values(text: str, known: Iterable[str]) -> str:
    """Rule 2 of mask_text(): the value of every secret key (`password=`, `"passwd": `...) becomes ***.

    `known` are the secrets of the URLs mask_text() was given, in every spelling: one of them is masked whole even
    when it holds a space or an & that would otherwise end the value.
    """
    known_longest_first = sorted(set(known) - {""}, key=len, reverse=True)
    unclosed: dict[str, int] = {}
    pieces: list[str] = []
    kept = search_from = 0
    while (head := _KEY_HEAD.search(text, search_from)) is not None:
        search_from = head.end()
        key = unquote_plus(head["quoted_key"] or head["bare_key"])  # a URL query may escape its keys
        if not is_secret_key(key) or head.end() == len(text):
            continue
        end, quotes = _value_span(text, head.end(), head["quoted_key"] is not None, known_longest_first, unclosed)
        if end == head.end():
            continue
        closing = quotes[-1:]
        pieces += [text[kept : head.end()], quotes, SECRET_MASK, closing]
        kept = search_from = end
    return "".join(pieces) + text[kept:]
