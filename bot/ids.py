"""Every action_id, callback_id and block_id the app uses, shared by builders, registration and parsers."""

from __future__ import annotations

COMMAND = "/persona"

# Persona card and lookup
ACTION_SHARE_CARD = "persona_card_share"
ACTION_GIVE_FEEDBACK = "persona_card_feedback"
ACTION_PICK_PERSONA = "persona_pick"  # one button per candidate; value = persona id
ACTION_DISMISS = "persona_dismiss"
BLOCK_CARD_ACTIONS = "persona_card_actions"
BLOCK_PICK_LIST = "persona_pick_list"

# Feedback (issue: structured feedback)
SHORTCUT_LOG_FEEDBACK = "log_persona_feedback"
VIEW_FEEDBACK = "persona_feedback"

# Check-ins (issue: quarterly validation)
VIEW_CHECKIN = "persona_checkin"

# Editing and reviews
VIEW_EDIT_PERSONA = "persona_edit"

# App Home
EVENT_APP_HOME_OPENED = "app_home_opened"
ACTION_HOME_START_CHECKIN = "home_checkin_start"  # value = participation id
ACTION_HOME_DOWNLOAD_REPORT = "home_report_download"  # value = quarter, e.g. "2026-Q4"
BLOCK_HOME_CHECKIN = "home_checkin"
BLOCK_HOME_MANAGER_ACTIONS = "home_manager_actions"
