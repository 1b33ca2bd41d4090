"""Mask database passwords by structure (URL userinfo, secret query keys, key=value forms), never by bare substring."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, unquote

from sqlalchemy.engine import URL

from .secrets_text import SECRET_KEY_FRAGMENTS, SECRET_MASK, is_secret_key, mask_key_values, mask_url_passwords
from .secrets_url import has_secret, mask_url, masked_url, parse_or_none, query_elements, render_masked

__all__ = [
    "SECRET_KEY_FRAGMENTS",
    "SECRET_MASK",
    "SafeURL",
    "is_secret_key",
    "mask_text",
    "mask_url",
    "masked_url",
]

# Where a user name may start: the text's start, whitespace, after // or an opening quote or bracket.
_BEFORE_USER = r"(?<![^\s/'\"(\[<,;=])"


def _spellings(value: str) -> set[str]:
    """A value as it may be written: raw, percent-escaped (as SQLAlchemy and urllib do) and form-escaped."""
    return {value, quote(value), quote(value, safe=""), quote(value, safe=" +"), quote_plus(value)} - {""}


def _alternatives(spellings: Iterable[str]) -> str:
    return "|".join(re.escape(spelling) for spelling in sorted(spellings, key=len, reverse=True))


def _url_replacements(url: str | URL, parsed: URL | None) -> dict[str, str]:
    """Every spelling of the URL's full text (as given, as SQLAlchemy renders it, unescaped) -> its masked form."""
    replacements: dict[str, str] = {}
    if isinstance(url, str) and (raw_masked := mask_url(url)) != url:
        replacements[url] = raw_masked
        replacements.setdefault(unquote(url), raw_masked)
    if parsed is not None and has_secret(parsed):
        object_masked = render_masked(parsed)
        for spelling in (parsed.render_as_string(hide_password=False), parsed.render_as_string(hide_password=True)):
            replacements.setdefault(spelling, object_masked)
            replacements.setdefault(unquote(spelling), object_masked)
    return replacements


def _mask_userinfo(text: str, parsed: URL) -> tuple[str, set[str]]:
    """The URL's password (every spelling) masked after `user:` before `@`; returns the password's spellings."""
    if parsed.password is None or not (password := str(parsed.password)):
        return text, set()
    if parsed.host is not None and "@" in parsed.host:
        password = f"{password}@{parsed.host.rpartition('@')[0]}"
    secrets = _spellings(password)
    users = _spellings(parsed.username or "") or {""}
    userinfo = re.compile(f"{_BEFORE_USER}(?P<user>{_alternatives(users)}):(?:{_alternatives(secrets)})@")
    return userinfo.sub(lambda m: f"{m['user']}:{SECRET_MASK}@", text), secrets


def _query_secrets(parsed: URL) -> set[str]:
    return {
        spelling
        for key, value in parsed.query.items()
        if is_secret_key(key)
        for element in query_elements(value)
        for spelling in _spellings(element)
    }


def _mask_known_url(text: str, url: str | URL) -> tuple[str, set[str]]:
    """Rule 3 of mask_text(): this URL's full text, and its password after `user:`; returns its secrets' spellings."""
    parsed = parse_or_none(url)
    replacements = _url_replacements(url, parsed)
    for spelling in sorted(replacements, key=len, reverse=True):
        if spelling and spelling != replacements[spelling]:
            text = text.replace(spelling, replacements[spelling])
    if parsed is None:
        return text, set()
    text, secrets = _mask_userinfo(text, parsed)
    return text, secrets | _query_secrets(parsed)


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
    return mask_key_values(mask_url_passwords(masked), known)


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
        parsed = parse_or_none(self._value)
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
