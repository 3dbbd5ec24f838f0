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
ACTION_FEEDBACK_PERSONA = "feedback_persona"  # the modal's persona select (dispatches on change)
ACTION_FEEDBACK_ROLE = "feedback_role"
ACTION_FEEDBACK_FIT = "feedback_fit"
ACTION_FEEDBACK_VERDICT = "feedback_verdict"  # one per attribute; the block id carries persona, revision, position
ACTION_FEEDBACK_MISSING = "feedback_missing"
ACTION_FEEDBACK_OBJECTIONS = "feedback_objections"
ACTION_FEEDBACK_QUOTE = "feedback_quote"
ACTION_FEEDBACK_EVIDENCE = "feedback_evidence"
ACTION_FEEDBACK_JOURNEY = "feedback_journey"
ACTION_FEEDBACK_EDIT = "feedback_edit"  # on the confirmation; value = feedback id
ACTION_FEEDBACK_DELETE = "feedback_delete"  # on the confirmation; value = feedback id
BLOCK_FEEDBACK_PERSONA = "feedback_persona"
BLOCK_FEEDBACK_ROLE = "feedback_role"
BLOCK_FEEDBACK_FIT = "feedback_fit"
BLOCK_FEEDBACK_ATTRIBUTE = "feedback_attr"  # + ".{persona_id}.{revision}.{position}"
BLOCK_FEEDBACK_MISSING = "feedback_missing"
BLOCK_FEEDBACK_OBJECTIONS = "feedback_objections"
BLOCK_FEEDBACK_QUOTE = "feedback_quote"
BLOCK_FEEDBACK_EVIDENCE = "feedback_evidence"
BLOCK_FEEDBACK_JOURNEY = "feedback_journey"
BLOCK_FEEDBACK_CONFIRMATION = "feedback_confirmation"

# Check-ins (issue: quarterly validation)
VIEW_CHECKIN = "persona_checkin"
ACTION_CHECKIN_START = "checkin_start"  # DM button; value = round id (also "Revise my answers")
ACTION_CHECKIN_SNOOZE = "checkin_snooze"  # "Remind me tomorrow"; value = round id
ACTION_CHECKIN_SKIP = "checkin_skip"  # select of skip reasons; option value = "<round id>:<reason>"
BLOCK_CHECKIN_ACTIONS = "checkin_actions"

# Editing and reviews
VIEW_EDIT_PERSONA = "persona_edit"
ACTION_EDIT_PICK = "persona_edit_pick"  # "Edit" on a pick list; value = persona id
EDIT_BLOCK_PREFIX = "edit_"  # edit modal inputs: block_id "edit_<field>[_<part>]", action_id the same + "_input"
ACTION_REVIEW_ACCURATE = "review_accurate"  # review DM buttons; value = "<persona id>:<review cycle>"
ACTION_REVIEW_EDIT = "review_edit"
ACTION_REVIEW_RETIRE = "review_retire"
BLOCK_REVIEW_ACTIONS = "review_actions"
ACTION_DRAFT_ACCEPT = "draft_accept"  # a revision draft (review DM, Home); value = "<persona id>:<statement key>"
ACTION_DRAFT_DISMISS = "draft_dismiss"
BLOCK_DRAFT_ACTIONS = "draft_actions"  # + ".<n>": one per draft in a message

# App Home
EVENT_APP_HOME_OPENED = "app_home_opened"
ACTION_HOME_START_CHECKIN = "home_checkin_start"  # value = round id; opens the same modal as the DM's Start
ACTION_HOME_DOWNLOAD_REPORT = "home_report_download"  # value = quarter, e.g. "2026-Q4"
BLOCK_HOME_CHECKIN = "home_checkin"
BLOCK_HOME_MANAGER_ACTIONS = "home_manager_actions"

# Roster and workspace settings in Slack (issue 12: week one)
VIEW_ROSTER = "persona_roster"
VIEW_SETTINGS = "persona_settings"
ROSTER_BLOCK_PEOPLE = "roster_people"
ROSTER_ACTION_PEOPLE = "roster_people_input"  # multi_users_select
ROSTER_BLOCK_EMAILS = "roster_emails"
ROSTER_ACTION_EMAILS = "roster_emails_input"
ROSTER_BLOCK_GROUP = "roster_group"
ROSTER_ACTION_GROUP = "roster_group_input"  # a user group: @handle or S… id
ROSTER_BLOCK_CHANNEL = "roster_channel"
ROSTER_ACTION_CHANNEL = "roster_channel_input"  # conversations_select
ROSTER_BLOCK_ROLE = "roster_role"
ROSTER_ACTION_ROLE = "roster_role_input"
ROSTER_BLOCK_FLAGS = "roster_flags"
ROSTER_ACTION_FLAGS = "roster_flags_input"  # radio: keep, rep, manager, observer, remove
SETTINGS_BLOCK_PREFIX = "settings_"  # block_id "settings_<field>", action_id the same + "_input"
ACTION_HOME_ROSTER = "home_roster_manage"  # an admin's Home: opens the `/persona roster` modal
ACTION_HOME_SETTINGS = "home_settings_open"  # an admin's Home: opens the `/persona settings` modal
BLOCK_HOME_ROSTER_ACTIONS = "home_roster_actions"

# Results in Slack (issue 13): `/persona results`, the owner's Home, the round summary
ACTION_RESULTS_OPEN = "results_open"  # value = persona id; shows that persona's results privately
ACTION_RESULTS_HISTORY = "results_history"  # value = persona id; the persona's history, privately
ACTION_HOME_STILL_ACCURATE = "home_still_accurate"  # value = persona id; the review's Still accurate, from Home
BLOCK_RESULTS_ACTIONS = "results_actions"
BLOCK_HOME_OWNED = "home_owned"  # + ".{persona id}"
BLOCK_SUMMARY_ACTIONS = "summary_actions"
