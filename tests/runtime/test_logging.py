"""Secret redaction in logs: secret-named keys, registered values, stdlib log records, tracebacks."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from pydantic import SecretStr

from controller.runtime.logging import (
    REDACTED,
    configure_logging,
    forget_secrets,
    is_secret_key,
    redact_secrets,
    register_secret,
)

SECRET = "pA55-w0rd-x9Q2-zz"


@pytest.fixture(autouse=True)
def clean_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    forget_secrets()
    yield
    forget_secrets()
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize("key", ["password", "admin_password", "PASSWORD", "token", "bearer-token", "secret"])
def test_secret_keys(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key", ["secret_name", "secret_namespace", "username", "event", "tokens_used", "passwords_x"]
)
def test_ordinary_keys(key: str) -> None:
    assert not is_secret_key(key)


def test_processor_blanks_secret_keys_whatever_they_hold() -> None:
    event = redact_secrets(
        None, "info", {"event": "x", "password": "short", "api_key": 123, "secret_name": "s"}
    )
    assert event == {"event": "x", "password": REDACTED, "api_key": REDACTED, "secret_name": "s"}


def test_processor_cuts_registered_secrets_out_of_every_value() -> None:
    register_secret(SECRET)
    event = redact_secrets(
        None,
        "info",
        {
            "event": f"login as vsadmin with {SECRET} failed",
            "nested": {"body": {"password": SECRET, "note": f"pw={SECRET}"}, "list": [SECRET, ("t", SECRET)]},
            "error": RuntimeError(f"rejected {SECRET}"),
            "model": SecretStr("x"),
        },
    )
    text = repr(event)
    assert SECRET not in text
    assert event["event"] == f"login as vsadmin with {REDACTED} failed"
    assert event["nested"]["body"]["password"] == REDACTED
    assert event["error"] == f"RuntimeError: rejected {REDACTED}"
    assert event["model"] == REDACTED


def test_short_values_are_not_registered() -> None:
    register_secret("abc")
    assert redact_secrets(None, "info", {"event": "abc def"})["event"] == "abc def"


def test_secretstr_and_none_can_be_registered() -> None:
    register_secret(SecretStr(SECRET))
    register_secret(None)
    assert redact_secrets(None, "info", {"event": SECRET})["event"] == REDACTED


def test_json_logs_of_structlog_and_stdlib_never_contain_a_registered_secret(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("debug", json=True)
    register_secret(SECRET)
    log = structlog.get_logger("test").bind(shoot="shoot--p1--a", step="account")
    log.info("created account", password=SECRET, detail=f"used {SECRET}")
    try:
        raise ValueError(f"ONTAP rejected {SECRET}")
    except ValueError:
        log.exception("step failed")
    logging.getLogger("netapp_ontap.host_connection").warning("request body %s", {"password": SECRET})
    err = capsys.readouterr().err
    assert SECRET not in err
    lines = [json.loads(line) for line in err.strip().splitlines()]
    assert lines[0]["event"] == "created account"
    assert lines[0]["shoot"] == "shoot--p1--a"
    assert lines[0]["password"] == REDACTED
    assert "ValueError" in lines[1]["exception"]
    assert lines[2]["logger"] == "netapp_ontap.host_connection"


def test_console_logs_are_redacted_too(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", json=False)
    register_secret(SECRET)
    structlog.get_logger("test").info(f"hello {SECRET}", token=SECRET)
    err = capsys.readouterr().err
    assert "hello" in err
    assert SECRET not in err


def test_levels_filter(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("warning", json=True)
    structlog.get_logger("test").info("hidden")
    structlog.get_logger("test").warning("shown")
    err = capsys.readouterr().err
    assert "shown" in err and "hidden" not in err


def test_unknown_level_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown log level"):
        configure_logging("loud", json=True)


def test_library_debug_output_stays_off_even_at_debug(capsys: pytest.CaptureFixture[str]) -> None:
    # netapp-ontap, urllib3 and the Kubernetes client log request bodies at DEBUG: never emitted.
    configure_logging("debug", json=True)
    for name in ("netapp_ontap", "urllib3", "kubernetes_asyncio", "aiohttp.access"):
        logging.getLogger(name).debug("request body %s", {"password": "library-debug-line"})
        assert logging.getLogger(name).getEffectiveLevel() == logging.INFO
    structlog.get_logger("controller.test").debug("own debug line")
    err = capsys.readouterr().err
    assert "library-debug-line" not in err and "own debug line" in err


def test_redaction_finds_every_secret_among_a_seed_full_of_them(monkeypatch: pytest.MonkeyPatch) -> None:
    from controller.runtime import logging as redaction

    monkeypatch.setattr(redaction, "MAX_REGISTERED_SECRETS", 1000)
    redaction.forget_secrets()
    try:
        for index in range(1200):
            redaction.register_secret(f"pw-{index:05d}-Xq9")
        # Kept: the newest 1000, wherever they stand in a text, longest first when one contains another.
        redaction.register_secret("pw-01199-Xq9-longer")
        text = "login pw-01199-Xq9-longer failed; old=pw-00250-Xq9,new=xpw-01100-Xq9y"
        assert redaction.redact_text(text) == "login [REDACTED] failed; old=[REDACTED],new=x[REDACTED]y"
        # Evicted secrets are no longer looked for, and the index forgets them too.
        assert redaction.redact_text("pw-00100-Xq9") == "pw-00100-Xq9"
        assert all(len(group) > 0 for group in redaction._by_prefix.values())
        assert sum(len(group) for group in redaction._by_prefix.values()) == 1000
    finally:
        redaction.forget_secrets()


def test_a_text_seen_clean_is_searched_again_once_a_new_secret_is_registered() -> None:
    from controller.runtime import logging as redaction

    line = f"pass done for account with password {SECRET} in it"
    assert redaction.redact_text(line) == line  # nothing registered yet: the line is remembered as clean
    assert line in redaction._clean
    register_secret(SECRET)
    assert redaction.redact_text(line) == "pass done for account with password [REDACTED] in it"
    # A text that held a secret is never remembered (the memo holds no secret).
    assert all(SECRET not in text for text in redaction._clean)
    # Registering a known secret again keeps what is known to be clean.
    redaction.redact_text("an ordinary line")
    register_secret(SECRET)
    assert "an ordinary line" in redaction._clean
