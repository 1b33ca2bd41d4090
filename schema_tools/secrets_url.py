"""Secret masking of one database URL: its userinfo password and secret query values, every other byte kept."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url

from .secrets_text import SECRET_MASK, is_secret_key, mask_key_values, mask_url_passwords

__all__ = ["has_secret", "mask_url", "masked_url", "parse_or_none", "query_elements", "render_masked"]

# SQLAlchemy's own URL grammar (sqlalchemy.engine.url._parse_url), repeated here only to find where each part of
# the text sits, so mask_url() can keep every byte that is not a secret; make_url() still decides what parses.
_SQLALCHEMY_URL = re.compile(
    r"""
        (?P<name>[\w\+]+)://
        (?:
            (?P<username>[^:/]*)
            (?::(?P<password>[^@]*))?
        @)?
        (?:
            (?:
                \[(?P<ipv6host>[^/\?]+)\] |
                (?P<ipv4host>[^/:\?]+)
            )?
            (?::(?P<port>[^/\?]*))?
        )?
        (?:/(?P<database>[^\?]*))?
        (?:\?(?P<query>.*))?
    """,
    re.X,
)

# A URL that SQLAlchemy cannot parse is masked more eagerly: any scheme, whitespace allowed, from the start.
_UNPARSEABLE_USERINFO = re.compile(r"\A(?P<head>(?:[^:]*+://)?[^:/]*+:)[^@]*+(?:@[^@/?]*+)*?@(?![^@/?]*+@)")
# `scheme://user:notaport/db`: what sits where the port should be is most likely a password whose @host is missing.
_UNPARSEABLE_PORT = re.compile(r"\A(?P<head>(?:[^:]*+://)?[^:/@?]*+:)(?!\d*+(?:[/?]|\Z))[^/?@]++")


def parse_or_none(url: str | URL) -> URL | None:
    """make_url, or None when SQLAlchemy cannot parse it (its errors may quote the text, so they are dropped)."""
    if isinstance(url, URL):
        return url
    try:
        return make_url(url)
    except (sa_exc.ArgumentError, ValueError, TypeError):
        return None


def _masked_query(query: Mapping[str, str | tuple[str, ...]]) -> dict[str, str | tuple[str, ...]]:
    masked = dict(query)
    for key, value in query.items():
        if is_secret_key(key):
            masked[key] = SECRET_MASK if isinstance(value, str) else (SECRET_MASK,) * len(value)
    return masked


def query_elements(value: str | tuple[str, ...]) -> tuple[str, ...]:
    """A query value as its elements: SQLAlchemy keeps a repeated key as a tuple, a single one as a str."""
    return (value,) if isinstance(value, str) else tuple(value)


def has_secret(url: URL) -> bool:
    """Whether the URL holds anything mask_url() would hide."""
    return url.password is not None or (url.host is not None and "@" in url.host) or any(map(is_secret_key, url.query))


def masked_url(url: str | URL) -> URL:
    """The URL with its password and secret query values replaced by ***, for code that keeps a URL to display.

    A host that holds an @ (a password with an unescaped @) loses what comes before its last @, with the password.
    Raises ValueError, without echoing the text, when the URL cannot be parsed.
    """
    parsed = parse_or_none(url)
    if parsed is None:
        raise ValueError(f"cannot parse database URL {mask_url(url)!r}")
    changes: dict[str, Any] = {}
    if parsed.host is not None and "@" in parsed.host:
        changes["host"] = parsed.host.rpartition("@")[2]
        changes["password"] = SECRET_MASK
    elif parsed.password is not None:
        changes["password"] = SECRET_MASK
    if any(map(is_secret_key, parsed.query)):
        changes["query"] = _masked_query(parsed.query)
    return parsed.set(**changes) if changes else parsed


def render_masked(url: URL) -> str:
    """render_as_string(hide_password=True), with secret query values shown as *** rather than %2A%2A%2A."""
    masked = masked_url(url)
    text = masked.set(query={}).render_as_string(hide_password=True)
    if not masked.query:
        return text
    pairs = [
        f"{quote_plus(key)}={SECRET_MASK if is_secret_key(key) else quote_plus(element)}"
        for key in sorted(masked.query)
        for element in query_elements(masked.query[key])
    ]
    return f"{text}?{'&'.join(pairs)}"


def _query_spans(query: str, position: int) -> list[tuple[int, int]]:
    """Where the secret values of a URL query starting at `position` sit."""
    spans = []
    for piece in query.split("&"):
        key, equals, value = piece.partition("=")
        if equals and value and is_secret_key(unquote_plus(key)):
            value_start = position + len(key) + 1
            spans.append((value_start, value_start + len(value)))
        position += len(piece) + 1
    return spans


def _secret_spans(text: str) -> list[tuple[int, int]] | None:
    """Where the userinfo password and the secret query values sit in `text`, per SQLAlchemy's grammar."""
    match = _SQLALCHEMY_URL.match(text)
    if match is None:
        return None
    spans: list[tuple[int, int]] = []
    if match["password"] is not None:
        start, end = match.span("password")
        if match["ipv4host"] is not None and "@" in match["ipv4host"]:
            end = match.start("ipv4host") + match["ipv4host"].rindex("@")
        spans.append((start, end))
    if match["query"] is not None:
        spans += _query_spans(match["query"], match.start("query"))
    return spans


def _replace_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + SECRET_MASK + text[end:]
    return text


def _mask_unparseable(text: str) -> str:
    """A URL SQLAlchemy rejects: mask its userinfo (or a non-numeric port) eagerly, then the text rules."""
    masked = _UNPARSEABLE_USERINFO.sub(lambda m: f"{m['head']}{SECRET_MASK}@", text, count=1)
    if masked == text:
        masked = _UNPARSEABLE_PORT.sub(lambda m: f"{m['head']}{SECRET_MASK}", text, count=1)
    return mask_key_values(mask_url_passwords(masked), ())


def mask_url(url: str | URL) -> str:
    """The URL as text with the userinfo password and every secret query value (?password=, ?passwd=...) as ***.

    SQLAlchemy's render_as_string(hide_password=True) hides only the userinfo password. A string keeps every other
    byte as written (query order and escapes included); a URL object is rendered the way SQLAlchemy renders it.
    A string SQLAlchemy cannot parse is masked with the text rules of mask_text(), never echoed raw.
    """
    if isinstance(url, URL):
        return render_masked(url)
    parsed = parse_or_none(url)
    if parsed is None:
        return _mask_unparseable(url)
    spans = _secret_spans(url)
    if spans is not None:
        masked = _replace_spans(url, spans)
        if parse_or_none(masked) == masked_url(parsed):  # the spans matched SQLAlchemy's reading of the URL
            return masked
    return render_masked(parsed)
