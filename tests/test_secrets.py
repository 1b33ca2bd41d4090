"""Passwords are masked by where they sit in URLs and messages, and nothing else in them changes."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import random
import string
import time
from urllib.parse import quote, quote_plus

import pytest
from sqlalchemy.engine import URL, make_url

from schema_tools.secrets import SECRET_MASK, SafeURL, is_secret_key, mask_text, mask_url, masked_url

PSYCOPG_LOGIN_FAILED = (
    'connection to server at "127.0.0.1", port 5432 failed: FATAL:  password authentication failed for user "root"'
)
PYMYSQL_ACCESS_DENIED = "(1045, \"Access denied for user 'root'@'localhost' (using password: YES)\")"


def test_the_mask_is_three_stars() -> None:
    assert SECRET_MASK == "***"


@pytest.mark.parametrize(
    "name",
    ["password", "PASSWORD", "PassWord", "passwd", "pwd", "PWD", "sslpassword", "sslkey_password", "client_secret"],
)
def test_names_that_carry_a_password_are_secret_keys(name: str) -> None:
    assert is_secret_key(name)


@pytest.mark.parametrize("name", ["user", "host", "sslmode", "application_name", "pass", "charset", ""])
def test_other_names_are_not_secret_keys(name: str) -> None:
    assert not is_secret_key(name)


def test_mask_url_hides_the_userinfo_password() -> None:
    assert mask_url("postgresql+psycopg://root:hunter2@db:5432/app") == "postgresql+psycopg://root:***@db:5432/app"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+psycopg://u@h/db?password=hunter2", "postgresql+psycopg://u@h/db?password=***"),
        ("mysql+pymysql://u@h/db?passwd=hunter2&charset=utf8mb4", "mysql+pymysql://u@h/db?passwd=***&charset=utf8mb4"),
        ("mssql+pyodbc://u@h/db?pwd=hunter2", "mssql+pyodbc://u@h/db?pwd=***"),
        (
            "postgresql://u@h/db?sslpassword=hunter2&sslmode=verify-full",
            "postgresql://u@h/db?sslpassword=***&sslmode=verify-full",
        ),
        ("postgresql+asyncpg://u@h/db?sslkey_password=hunter2", "postgresql+asyncpg://u@h/db?sslkey_password=***"),
        ("postgresql://u@h/db?PassWord=hunter2", "postgresql://u@h/db?PassWord=***"),
        ("postgresql://u@h/db?client_secret=hunter2", "postgresql://u@h/db?client_secret=***"),
        ("postgresql://u@h/db?pass%77ord=hunter2", "postgresql://u@h/db?pass%77ord=***"),
        ("postgresql://u@h/db?password=a&password=b", "postgresql://u@h/db?password=***&password=***"),
        ("postgresql://u@h/db?password=hunter%262&x=1", "postgresql://u@h/db?password=***&x=1"),
    ],
)
def test_mask_url_hides_every_secret_query_value(url: str, expected: str) -> None:
    assert mask_url(url) == expected


def test_mask_url_keeps_the_other_query_parameters_byte_for_byte() -> None:
    url = (
        "postgresql+psycopg://u:pw@h:5432/db?sslmode=require&options=-c%20search_path%3Dapp"
        "&application_name=schema+tools&target_session_attrs=read-write"
    )
    expected = url.replace("u:pw@", "u:***@")
    assert mask_url(url) == expected


def test_mask_url_hides_both_the_userinfo_and_the_query_password() -> None:
    url = "postgresql+psycopg://root:hunter2@db/app?sslmode=require&password=hunter3"
    assert mask_url(url) == "postgresql+psycopg://root:***@db/app?sslmode=require&password=***"


@pytest.mark.parametrize(
    "password_in_url",
    [
        "p%40ss",  # an escaped @
        "p%3Ass",  # :
        "p%2Fss",  # /
        "p%23ss",  # #
        "p%3Fss",  # ?
        "p%25ss",  # %
        "p%C3%A4ss%E2%82%AC",  # ä and €, escaped
        "pässwörd€",  # unicode, raw
        "p:ss",  # a raw : in the password
        "p/ss",  # a raw / before the @
        "p?ss",  # a raw ? before the @
        "p#ss",  # a raw #
        "p@ss",  # a raw @, forgotten to escape
        "p@ss@w0rd",  # several
        "@",
    ],
)
def test_mask_url_hides_passwords_with_url_special_characters(password_in_url: str) -> None:
    url = f"postgresql+psycopg://root:{password_in_url}@db.example.com:5432/app?sslmode=require"
    assert mask_url(url) == "postgresql+psycopg://root:***@db.example.com:5432/app?sslmode=require"


def test_an_unescaped_at_in_the_password_stays_hidden_and_the_host_is_kept() -> None:
    masked = mask_url("mysql+pymysql://root:my@pass@localhost:3306/shop")
    assert masked == "mysql+pymysql://root:***@localhost:3306/shop"
    assert masked_url("mysql+pymysql://root:my@pass@localhost:3306/shop").host == "localhost"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://root:hunter2/app",  # the @host was forgotten: the password sits where the port goes
        "postgresql://root:hun@ter2:x@db/app",  # an unescaped @ and : make the port unreadable
        "postgres ql://root:hunter2@db/app",  # a space in the scheme
        " postgresql://root:hunter2@db/app",  # a leading space
        "root:hunter2@db/app",  # no scheme at all
        "postgresql-psycopg://root:hunter2@db/app",  # - is not allowed in SQLAlchemy's scheme
        "postgresql://root@db:notaport/app?password=hunter2",
    ],
)
def test_an_unparseable_url_is_masked_never_echoed_raw(url: str) -> None:
    masked = mask_url(url)
    assert "hunter2" not in masked and "ter2" not in masked
    assert SECRET_MASK in masked
    with pytest.raises(ValueError) as raised:
        masked_url(url)
    assert "hunter2" not in str(raised.value)


def test_mask_url_renders_a_url_object_the_way_sqlalchemy_does_with_its_secrets_hidden() -> None:
    url = URL.create(
        "postgresql+psycopg",
        username="root",
        password="p@ss:w/rd",
        host="db",
        port=5432,
        database="app",
        query={"sslmode": "require", "password": "hunter2"},
    )
    assert mask_url(url) == "postgresql+psycopg://root:***@db:5432/app?password=***&sslmode=require"


def test_masked_url_keeps_a_url_object_with_the_secrets_replaced() -> None:
    masked = masked_url("postgresql+psycopg://root:hunter2@db:5432/app?sslmode=require&sslpassword=hunter3")
    assert isinstance(masked, URL)
    assert (masked.username, masked.password, masked.host, masked.port, masked.database) == (
        "root",
        SECRET_MASK,
        "db",
        5432,
        "app",
    )
    assert dict(masked.query) == {"sslmode": "require", "sslpassword": SECRET_MASK}
    assert "hunter" not in repr(masked)


def test_a_url_without_secrets_comes_back_unchanged() -> None:
    assert mask_url("sqlite:///var/data/app.db?mode=ro&uri=true") == "sqlite:///var/data/app.db?mode=ro&uri=true"
    assert mask_url("postgresql://root@db/app") == "postgresql://root@db/app"


@pytest.mark.parametrize(
    "message",
    [
        PSYCOPG_LOGIN_FAILED,
        PYMYSQL_ACCESS_DENIED,
        'FATAL:  database "app" does not exist',
        "(2003, \"Can't connect to MySQL server on 'localhost' ([Errno 111] Connection refused)\")",
        "(Background on this error at: https://sqlalche.me/e/20/e3q8)",
    ],
)
def test_driver_messages_without_a_secret_are_left_exactly_as_they_are(message: str) -> None:
    assert mask_text(message, "postgresql+psycopg://root:hunter2@127.0.0.1:5432/app") == message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("host=127.0.0.1 user=root password=hunter2 dbname=x", "host=127.0.0.1 user=root password=*** dbname=x"),
        ("host=db password = 'hunter 2' dbname=x", "host=db password = '***' dbname=x"),
        ("{'password': 'hunter2', 'user': 'root'}", "{'password': '***', 'user': 'root'}"),
        ("{'password': b'hunter 2', 'user': 'root'}", "{'password': b'***', 'user': 'root'}"),
        ('{"password": "hun\\"ter2", "port": 5432}', '{"password": "***", "port": 5432}'),
        ("connect(host='db', passwd='hunter2', db='shop')", "connect(host='db', passwd='***', db='shop')"),
        ("DRIVER={ODBC};SERVER=db;UID=root;PWD=hunter2", "DRIVER={ODBC};SERVER=db;UID=root;PWD=***"),
        ("PGPASSWORD=hunter2 psql -h db", "PGPASSWORD=*** psql -h db"),
        ("dsn='host=db password=hunter2' failed", "dsn='host=db password=***' failed"),
        (
            "url postgresql://u@h/db?sslmode=require&password=hunter2",
            "url postgresql://u@h/db?sslmode=require&password=***",
        ),
        ("password='hunter2", "password=***"),
        ("url postgresql://u@h/db?pass%77ord=hunter2&x=1", "url postgresql://u@h/db?pass%77ord=***&x=1"),
        ("password=&sslmode=require", "password=&sslmode=require"),
    ],
)
def test_mask_text_hides_secret_key_values(text: str, expected: str) -> None:
    assert mask_text(text) == expected


def test_mask_text_hides_the_password_of_a_url_sqlalchemy_put_in_its_error() -> None:
    message = (
        "(psycopg.OperationalError) cannot connect to postgresql+psycopg://root:hunter2@db:5432/app?sslmode=require\n"
        "(Background on this error at: https://sqlalche.me/e/20/e3q8)"
    )
    assert mask_text(message) == message.replace("root:hunter2@", "root:***@")


def test_mask_text_stops_at_the_last_at_sign_of_the_authority() -> None:
    text = "url postgresql://u:p@ss@db/app?contact=a@b and mail admin@example.com"
    assert mask_text(text) == "url postgresql://u:***@db/app?contact=a@b and mail admin@example.com"
    pip_url = "git+https://user:token@github.com/org/repo.git@v1.0#egg=x"
    assert mask_text(pip_url) == "git+https://user:***@github.com/org/repo.git@v1.0#egg=x"


def test_a_one_letter_password_does_not_mangle_the_message() -> None:
    url = "postgresql+psycopg://root:e@localhost/app"
    assert mask_text("cannot connect", url) == "cannot connect"
    assert mask_text(f"cannot connect to {url}", url) == "cannot connect to postgresql+psycopg://root:***@localhost/app"


def test_a_password_that_looks_like_the_host_is_masked_only_where_it_is_the_password() -> None:
    url = "postgresql+psycopg://root:127@127.0.0.1/app"
    text = f"login root:127@127.0.0.1 failed for {url}; peer @127.0.0.1"
    assert mask_text(text, url) == (
        "login root:***@127.0.0.1 failed for postgresql+psycopg://root:***@127.0.0.1/app; peer @127.0.0.1"
    )
    assert mask_text("connection to server at 127.0.0.1 failed", url) == "connection to server at 127.0.0.1 failed"


def test_a_password_equal_to_the_user_name_keeps_the_user_name() -> None:
    url = "mysql+pymysql://root:root@localhost/shop"
    assert mask_text(PYMYSQL_ACCESS_DENIED, url) == PYMYSQL_ACCESS_DENIED
    assert mask_text(f"tried root:root@localhost via {url}", url) == (
        "tried root:***@localhost via mysql+pymysql://root:***@localhost/shop"
    )


def test_a_known_password_with_a_space_is_masked_whole_in_a_conninfo_string() -> None:
    url = "postgresql://root:hunter%202@db/app"
    assert mask_text("host=db password=hunter 2 dbname=app", url) == "host=db password=*** dbname=app"


def test_a_url_objects_own_str_with_its_query_password_is_masked_when_the_url_is_given() -> None:
    url = make_url("postgresql+psycopg://root:hunter2@db/app?sslpassword=hunter3")
    text = f"engine for {url} failed"  # str(URL) hides only the userinfo password
    assert "hunter3" in text
    assert mask_text(text, url) == "engine for postgresql+psycopg://root:***@db/app?sslpassword=*** failed"


def test_mask_text_ignores_missing_urls() -> None:
    assert mask_text("cannot connect", None) == "cannot connect"


@pytest.mark.parametrize(
    "text",
    [
        "a" * 200_000,
        "password" * 25_000,
        "x://" * 50_000,
        "password='" * 20_000,
        "'password':\"" * 20_000,
        "x://u:" + "@a" * 50_000,
    ],
    ids=["letters", "keys", "schemes", "unclosed-quotes", "json-keys", "at-signs"],
)
def test_masking_a_long_adversarial_text_takes_linear_time(text: str) -> None:
    started = time.perf_counter()
    mask_text(text, "postgresql://root:127@localhost/app?sslpassword=x")
    mask_url(text)
    assert time.perf_counter() - started < 5


def _random_passwords(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = string.ascii_letters + string.digits + string.punctuation + " äß€日本🔑"
    special = "@:/#?%&=+ "
    passwords = [special, "@", "%", "%40", "+", " "]
    while len(passwords) < count:
        password = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 24)))
        passwords.append(password + rng.choice(special) if rng.random() < 0.5 else password)
    return passwords


GENERATED_PASSWORDS = _random_passwords(400, seed=20240611)


def _url_with(password_in_userinfo: str, password_in_query: str) -> str:
    return (
        f"postgresql+psycopg://app_user:{password_in_userinfo}@db.example.com:5432/app_db"
        f"?sslmode=require&password={password_in_query}&application_name=schema-tools"
    )


MASKED = _url_with(SECRET_MASK, SECRET_MASK)


def test_generated_percent_escaped_passwords_never_survive_and_the_rest_is_unchanged() -> None:
    for password in GENERATED_PASSWORDS:
        url = _url_with(quote(password, safe=""), quote_plus(password))
        parsed = make_url(url)
        assert (parsed.password, parsed.query["password"]) == (password, password)
        assert mask_url(url) == MASKED, password
        assert mask_text(f"cannot connect to {url}") == f"cannot connect to {MASKED}", password
        assert mask_text(f"cannot connect to {url}", url) == f"cannot connect to {MASKED}", password
        rendered = mask_url(parsed)
        back = make_url(rendered)
        assert (back.password, back.query["password"]) == (SECRET_MASK, SECRET_MASK), password
        assert (back.username, back.host, back.port, back.database) == ("app_user", "db.example.com", 5432, "app_db")
        assert (back.query["sslmode"], back.query["application_name"]) == ("require", "schema-tools")


def test_generated_passwords_with_unescaped_at_signs_never_survive() -> None:
    for password in GENERATED_PASSWORDS:
        url = _url_with(quote(password, safe="@"), quote_plus(password))
        assert mask_url(url) == MASKED, password
        assert mask_text(f"cannot connect to {url}") == f"cannot connect to {MASKED}", password
        assert masked_url(url).host == "db.example.com", password


def test_generated_passwords_given_as_url_objects_are_masked_in_their_rendered_text() -> None:
    for password in GENERATED_PASSWORDS:
        url = URL.create("postgresql+psycopg", "app_user", password, "db.example.com", 5432, "app_db")
        text = f"failed: {url.render_as_string(hide_password=False)} (user app_user)"
        assert (
            mask_text(text, url)
            == "failed: postgresql+psycopg://app_user:***@db.example.com:5432/app_db (user app_user)"
        )


def test_safe_url_prints_masked_everywhere() -> None:
    safe = SafeURL("postgresql+psycopg://root:hunter2@db/app?password=hunter3")
    shown = "postgresql+psycopg://root:***@db/app?password=***"
    assert str(safe) == shown
    assert repr(safe) == f"SafeURL({shown!r})"
    assert f"{safe}" == shown and f"{safe:>60}" == shown.rjust(60)
    assert "%s" % safe == shown  # noqa: UP031 - logging formats this way
    assert safe.masked == shown


def test_safe_url_gives_the_real_url_for_connecting() -> None:
    real = "postgresql+psycopg://root:hunter2@db/app?password=hunter3"
    safe = SafeURL(real)
    assert safe.reveal() == real
    assert safe.to_url().password == "hunter2"
    assert SafeURL(safe).reveal() == real
    assert SafeURL(make_url(real)).to_url() == make_url(real)


def test_safe_url_does_not_parse_into_an_error_that_echoes_the_password() -> None:
    with pytest.raises(ValueError) as raised:
        SafeURL("postgresql://root:hunter2/app").to_url()
    assert "hunter2" not in str(raised.value)


@dataclasses.dataclass(frozen=True)
class Target:
    name: str
    url: SafeURL


def test_safe_url_stays_masked_inside_dataclasses_and_survives_copies() -> None:
    target = Target("prod", SafeURL("postgresql://root:hunter2@db/app"))
    assert "hunter2" not in repr(target)
    assert "hunter2" not in repr(dataclasses.asdict(target))
    assert pickle.loads(pickle.dumps(target)) == target
    assert copy.deepcopy(target).url.reveal() == "postgresql://root:hunter2@db/app"
    assert len({target.url, SafeURL("postgresql://root:hunter2@db/app")}) == 1


def test_safe_url_cannot_be_changed() -> None:
    safe = SafeURL("postgresql://root:hunter2@db/app")
    with pytest.raises(AttributeError):
        safe._value = "postgresql://other"
