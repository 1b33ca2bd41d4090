"""Mask database passwords by structure (URL userinfo, secret query keys, key=value forms), never by bare substring."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url

__all__ = [
    "SECRET_KEY_FRAGMENTS",
    "SECRET_MASK",
    "SafeURL",
    "is_secret_key",
    "mask_text",
    "mask_url",
    "masked_url",
]

SECRET_MASK = "***"

# A query or key=value key is secret when its name contains one of these (psycopg password, pymysql passwd,
# ODBC pwd, sslpassword, sslkey_password, client_secret...), compared case-insensitively.
SECRET_KEY_FRAGMENTS = ("password", "passwd", "pwd", "secret")

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

# The password of `scheme://user:password@host` runs to the last @ of the authority (users forget to escape @ in
# passwords); the authority ends at the first /, ? or whitespace after an @. Possessive quantifiers (*+), the
# lookbehinds and the scanning loops below keep long tokens (hex blobs in SQL parameters) linear.
_URL_HEAD = re.compile(r"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]*+://[^\s:/]*+:")
_URL_PASSWORD = re.compile(r"[^\s@]*+(?:@[^\s@/?]*+)*?@(?![^\s@/?]*+@)")
_RUN_WITHOUT_AT = re.compile(r"[^\s@]*+")

# A URL that SQLAlchemy cannot parse is masked more eagerly: any scheme, whitespace allowed, from the start.
_UNPARSEABLE_USERINFO = re.compile(r"\A(?P<head>(?:[^:]*+://)?[^:/]*+:)[^@]*+(?:@[^@/?]*+)*?@(?![^@/?]*+@)")
# `scheme://user:notaport/db`: what sits where the port should be is most likely a password whose @host is missing.
_UNPARSEABLE_PORT = re.compile(r"\A(?P<head>(?:[^:]*+://)?[^:/@?]*+:)(?!\d*+(?:[/?]|\Z))[^/?@]++")

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

# Where a user name may start: the text's start, whitespace, after // or an opening quote or bracket.
_BEFORE_USER = r"(?<![^\s/'\"(\[<,;=])"


def is_secret_key(name: str) -> bool:
    """True for query and key=value names that carry a secret, so their values are never shown."""
    lowered = name.lower()
    return any(fragment in lowered for fragment in SECRET_KEY_FRAGMENTS)


def _parse(url: str | URL) -> URL | None:
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


def _elements(value: str | tuple[str, ...]) -> tuple[str, ...]:
    """A query value as its elements: SQLAlchemy keeps a repeated key as a tuple, a single one as a str."""
    return (value,) if isinstance(value, str) else tuple(value)


def _has_secret(url: URL) -> bool:
    return url.password is not None or (url.host is not None and "@" in url.host) or any(map(is_secret_key, url.query))


def masked_url(url: str | URL) -> URL:
    """The URL with its password and secret query values replaced by ***, for code that keeps a URL to display.

    A host that holds an @ (a password with an unescaped @) loses what comes before its last @, with the password.
    Raises ValueError, without echoing the text, when the URL cannot be parsed.
    """
    parsed = _parse(url)
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


def _render_masked(url: URL) -> str:
    """render_as_string(hide_password=True), with secret query values shown as *** rather than %2A%2A%2A."""
    masked = masked_url(url)
    text = masked.set(query={}).render_as_string(hide_password=True)
    if not masked.query:
        return text
    pairs = [
        f"{quote_plus(key)}={SECRET_MASK if is_secret_key(key) else quote_plus(element)}"
        for key in sorted(masked.query)
        for element in _elements(masked.query[key])
    ]
    return f"{text}?{'&'.join(pairs)}"


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
        position = match.start("query")
        for piece in match["query"].split("&"):
            key, equals, value = piece.partition("=")
            if equals and value and is_secret_key(unquote_plus(key)):
                value_start = position + len(key) + 1
                spans.append((value_start, value_start + len(value)))
            position += len(piece) + 1
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
    return _mask_key_values(_mask_url_passwords(masked), ())


def mask_url(url: str | URL) -> str:
    """The URL as text with the userinfo password and every secret query value (?password=, ?passwd=...) as ***.

    SQLAlchemy's render_as_string(hide_password=True) hides only the userinfo password. A string keeps every other
    byte as written (query order and escapes included); a URL object is rendered the way SQLAlchemy renders it.
    A string SQLAlchemy cannot parse is masked with the text rules of mask_text(), never echoed raw.
    """
    if isinstance(url, URL):
        return _render_masked(url)
    parsed = _parse(url)
    if parsed is None:
        return _mask_unparseable(url)
    spans = _secret_spans(url)
    if spans is not None:
        masked = _replace_spans(url, spans)
        if _parse(masked) == masked_url(parsed):  # the spans matched SQLAlchemy's reading of the URL
            return masked
    return _render_masked(parsed)


def _mask_url_passwords(text: str) -> str:
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


def _value_span(text: str, start: int, quoted_key: bool, known: list[str], unclosed: dict[str, int]) -> tuple[int, str]:
    """Where the value starting at `start` ends, and the quotes (with a b prefix) to keep around ***."""
    for value in known:
        end = start + len(value)
        if text.startswith(value, start) and (end == len(text) or text[end] in _VALUE_ENDS or text[end].isspace()):
            return end, ""
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


def _mask_key_values(text: str, known: Iterable[str]) -> str:
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


def _spellings(value: str) -> set[str]:
    """A value as it may be written: raw, percent-escaped (as SQLAlchemy and urllib do) and form-escaped."""
    return {value, quote(value), quote(value, safe=""), quote(value, safe=" +"), quote_plus(value)} - {""}


def _alternatives(spellings: Iterable[str]) -> str:
    return "|".join(re.escape(spelling) for spelling in sorted(spellings, key=len, reverse=True))


def _mask_known_url(text: str, url: str | URL) -> tuple[str, set[str]]:
    """Rule 3 of mask_text(): this URL's full text, and its password after `user:`; returns its secrets' spellings."""
    parsed = _parse(url)
    replacements: dict[str, str] = {}
    if isinstance(url, str) and (raw_masked := mask_url(url)) != url:
        replacements[url] = raw_masked
        replacements.setdefault(unquote(url), raw_masked)
    if parsed is not None and _has_secret(parsed):
        object_masked = _render_masked(parsed)
        for spelling in (parsed.render_as_string(hide_password=False), parsed.render_as_string(hide_password=True)):
            replacements.setdefault(spelling, object_masked)
            replacements.setdefault(unquote(spelling), object_masked)
    for spelling in sorted(replacements, key=len, reverse=True):
        if spelling and spelling != replacements[spelling]:
            text = text.replace(spelling, replacements[spelling])
    if parsed is None:
        return text, set()

    secrets: set[str] = set()
    if parsed.password is not None and (password := str(parsed.password)):
        if parsed.host is not None and "@" in parsed.host:
            password = f"{password}@{parsed.host.rpartition('@')[0]}"
        secrets |= _spellings(password)
        users = _spellings(parsed.username or "") or {""}
        userinfo = re.compile(f"{_BEFORE_USER}(?P<user>{_alternatives(users)}):(?:{_alternatives(secrets)})@")
        text = userinfo.sub(lambda m: f"{m['user']}:{SECRET_MASK}@", text)
    for key, value in parsed.query.items():
        if is_secret_key(key):
            for element in _elements(value):
                secrets |= _spellings(element)
    return text, secrets


def mask_text(text: str, *urls: str | URL | None) -> str:
    """Mask the secrets inside free text (driver errors, log lines) by where they sit, never by bare substring.

    1. `scheme://user:password@` becomes `scheme://user:***@` (up to the authority's last @, for unescaped @s).
    2. `password=VALUE`, `passwd = 'VALUE'`, `"password": "VALUE"`, `?sslpassword=VALUE&`... (any key whose
       name contains password, passwd, pwd or secret) get *** as their value.
    3. For each URL in `urls`: its full text (as given, as SQLAlchemy renders it, percent-escaped or not) becomes
       mask_url(url), and its password (in any of those spellings) is masked after `user:` before `@` and as the
       value of a secret key, even when it holds characters that end values in rule 2.

    The trade-off: the password alone, elsewhere in the text, is left alone. Replacing every occurrence mangled
    messages ("cannot conn***ct" for password "e") and, worse, told the reader the password ("@***.0.0.1" for
    password "127"); a short password that appears by chance in a message is not the secret in that position.
    """
    masked = text
    known: set[str] = set()
    for url in urls:
        if url is not None:
            masked, secrets = _mask_known_url(masked, url)
            known |= secrets
    return _mask_key_values(_mask_url_passwords(masked), known)


class SafeURL:
    """A database URL that prints as its masked form everywhere (str, repr, f-strings, logs, dataclass reprs).

    Not a str subclass: `+`, join(), json.dumps() and slicing read a str's characters, not its __str__, so a
    masked str would still leak the password; here the real URL comes only from reveal() or to_url().
    Not a dataclass: dataclasses.asdict() of a record holding one copies this object instead of exposing its field.
    """

    __slots__ = ("_value",)
    _value: str | URL

    def __init__(self, url: str | URL | SafeURL) -> None:
        object.__setattr__(self, "_value", url.reveal() if isinstance(url, SafeURL) else url)

    def reveal(self) -> str | URL:
        """The URL exactly as given, for create_engine() and connecting; never print or log it."""
        return self._value

    def to_url(self) -> URL:
        """The real URL parsed into a SQLAlchemy URL; raises ValueError (without the password) if it does not parse."""
        parsed = _parse(self._value)
        if parsed is None:
            raise ValueError(f"cannot parse database URL {self.masked!r}")
        return parsed

    @property
    def masked(self) -> str:
        """The URL for display: mask_url() of it."""
        return mask_url(self._value)

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"SafeURL({self.masked!r})"

    def __format__(self, format_spec: str) -> str:
        return format(self.masked, format_spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SafeURL) and self._value == other._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __reduce__(self) -> tuple[type[SafeURL], tuple[str | URL]]:
        return (type(self), (self._value,))
