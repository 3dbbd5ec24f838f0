"""Slack's limits, in one place: what Block Kit, views and the Web API accept (characters, not bytes)."""

from __future__ import annotations

MAX_BLOCKS: dict[str, int] = {"message": 50, "modal": 100, "home": 100}
SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
SECTION_FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
URL_MAX = 3000
ID_MAX = 255  # action_id, block_id, callback_id, external_id
VIEW_TEXT_MAX = 24  # modal title, submit, close
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
OPTION_DESCRIPTION_MAX = 75
SELECT_OPTIONS_MAX = 100
OPTION_GROUPS_MAX = 100
OPTION_GROUP_LABEL_MAX = 75
CHOICE_OPTIONS_MAX = 10  # radio_buttons, checkboxes
OVERFLOW_OPTIONS_MIN = 2
OVERFLOW_OPTIONS_MAX = 5
PLACEHOLDER_MAX = 150
TEXT_INPUT_MAX = 3000  # plain_text_input max_length, min_length and initial_value
PRIVATE_METADATA_MAX = 3000
CONTEXT_ELEMENTS_MAX = 10
ACTIONS_ELEMENTS_MAX = 25
INPUT_LABEL_MAX = 2000
INPUT_HINT_MAX = 2000
IMAGE_TITLE_MAX = 2000
CONFIRM_TITLE_MAX = 100
CONFIRM_TEXT_MAX = 300
CONFIRM_BUTTON_MAX = 30
VIEW_MAX_BYTES = 250_000  # "250 kB"; Slack answers view_too_large above it
MESSAGE_TEXT_MAX = 3000  # the top-level `text` is a notification fallback; keep it short
CONTEXT_TEXT_MAX = 2000  # one text element of a context block
ALT_TEXT_MAX = 2000  # an image block's alt_text
