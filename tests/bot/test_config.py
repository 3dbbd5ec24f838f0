from pathlib import Path

import pytest

from bot.config import DEFAULT_DATABASE_URL, Settings, SettingsError, normalise_database_url


def test_defaults_need_nothing() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.default_timezone == "UTC"
    assert settings.admins == frozenset()
    assert settings.report_channel is None


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db:5432/x", "postgresql+psycopg://u:p@db:5432/x"),
        ("postgresql://u@db/x", "postgresql+psycopg://u@db/x"),
        ("postgresql+psycopg://u@db/x", "postgresql+psycopg://u@db/x"),
        ("sqlite:///here.db", "sqlite:///here.db"),
    ],
)
def test_database_urls_are_normalised(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected
    assert Settings.from_env({"DATABASE_URL": given}).database_url == expected


def test_secrets_never_appear_in_repr() -> None:
    settings = Settings.from_env(
        {"SLACK_BOT_TOKEN": "xoxb-secret-1", "SLACK_SIGNING_SECRET": "sig-secret-2", "SLACK_APP_TOKEN": "xapp-3"}
    )
    shown = repr(settings)
    assert "xoxb-secret-1" not in shown and "sig-secret-2" not in shown and "xapp-3" not in shown


def test_admins_are_a_comma_separated_list() -> None:
    settings = Settings.from_env({"PERSONA_BOT_ADMINS": " U1, U2 ,,U3 "})
    assert settings.admins == {"U1", "U2", "U3"}
    assert settings.is_admin("U2") and not settings.is_admin("U4")


def test_api_url_gets_a_trailing_slash() -> None:
    assert Settings.from_env({"SLACK_API_URL": "http://127.0.0.1:9/api"}).slack_api_url == "http://127.0.0.1:9/api/"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PERSONA_BOT_TIMEZONE": "Mars/Olympus"}, "PERSONA_BOT_TIMEZONE must be an IANA time zone"),
        ({"ANONYMOUS_RATINGS": "maybe"}, "ANONYMOUS_RATINGS must be true or false"),
        ({"REVIEW_AFTER_DAYS": "soon"}, "REVIEW_AFTER_DAYS must be a whole number"),
        ({"CHECKIN_REMINDER_DAYS": "3,20"}, "must all come before CHECKIN_CLOSE_DAY"),
        ({"CHECKIN_OPEN_HOUR": "25"}, "CHECKIN_OPEN_HOUR must be an hour"),
        ({"SCHEDULER_JOIN_SECONDS": "-1"}, "SCHEDULER_JOIN_SECONDS must be positive"),
    ],
)
def test_bad_settings_fail_in_one_line(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_require_names_the_missing_setting_and_command() -> None:
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET is not set; `persona-bot serve` needs it"):
        Settings.from_env({}).require("SLACK_SIGNING_SECRET", command="serve")
    Settings.from_env({"SLACK_SIGNING_SECRET": "s"}).require("SLACK_SIGNING_SECRET", command="serve")


def test_dotenv_fills_in_but_the_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text('# local\nSLACK_BOT_TOKEN="xoxb-from-file"\nexport REPORT_CHANNEL=C0FILE\nLOG_LEVEL=debug\n')
    settings = Settings.from_env({"REPORT_CHANNEL": "C0ENV"}, dotenv=dotenv)
    assert settings.slack_bot_token == "xoxb-from-file"
    assert settings.report_channel == "C0ENV"
    assert settings.log_level == "DEBUG"


def test_min_group_size_applies_only_with_anonymous_ratings() -> None:
    assert Settings.from_env({}).min_group_size == 3
    assert Settings.from_env({}).evidence_rules.min_group == 1, "named ratings: every group is shown"
    anonymous = Settings.from_env({"ANONYMOUS_RATINGS": "true", "MIN_GROUP_SIZE": "5"})
    assert anonymous.evidence_rules.min_group == 5
    with pytest.raises(SettingsError):
        Settings.from_env({"MIN_GROUP_SIZE": "0"})


def test_the_clocks_join_window_is_a_setting() -> None:
    assert Settings.from_env({}).scheduler_join_seconds == 1.5
    assert Settings.from_env({"SCHEDULER_JOIN_SECONDS": "4"}).scheduler_join_seconds == 4.0
