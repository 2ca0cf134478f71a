"""The one place that turns a stored recipient into what may be shown (CONTRACT.md's table), and text from a
request into what may be stored.

`mask_recipient` masks a value known to be a recipient; `mask_personal_data` masks whatever looks like
a phone number or an email address inside any other text that came from a request or reaches a log.
"""

import json
import re
import unicodedata

PHONE_PATTERN = re.compile(r"[0-9+\- ]{8,}")
EMAIL_PATTERN = re.compile(r"([^@\s])[^@\s]*@([^@\s]+)")
LONG_TOKEN_LENGTH = 12
HIDDEN = "****"

# Inside other text: an address, a push token by its platform's prefix, 32 or more hexadecimal digits (an APNs
# device token, an API token's key) and 8 or more digits, spaces and dashes; but not the platform's ids
# (`usr_000123`, `log_8f3a...`), whatever digits they hold.
EMAIL_INSIDE_TEXT = re.compile(r"[^\s@\"'<>()/=&?,;:]+@[^\s@\"'<>()/&?,;]+")
PUSH_TOKEN_INSIDE_TEXT = re.compile(r"(?i)\b(?:fcm|apns|gcm|hms|wns|expo):[A-Za-z0-9:_\-.]{8,}")
NUMBERS_INSIDE_TEXT = re.compile(
    r"(?P<id>(?<![A-Za-z0-9])[a-z][a-z0-9]{1,15}_[A-Za-z0-9_-]+)"
    r"|(?P<hex>[0-9A-Fa-f]{32,})"
    r"|(?P<phone>\+?[0-9][0-9 \-]{6,}[0-9])"
)
# `2026-04-15` and `2026-04-15 10` are dates, not phone numbers.
DATE_SHAPED = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2})?")


def mask_recipient(recipient):
    """Mask a phone number, email address or device token so it cannot be read back."""
    if not recipient:
        return ""
    if PHONE_PATTERN.fullmatch(recipient) and any(ch.isdigit() for ch in recipient):
        return f"{recipient[:3]}{HIDDEN}{recipient[-4:]}"
    email = EMAIL_PATTERN.fullmatch(recipient)
    if email:
        first_character, domain = email.groups()
        return f"{first_character}***@{domain}"
    if len(recipient) >= LONG_TOKEN_LENGTH:
        return f"{recipient[:4]}{HIDDEN}{recipient[-4:]}"
    return HIDDEN


def masked_number(match):
    kept = match["id"] or (match["phone"] and DATE_SHAPED.fullmatch(match["phone"]))
    return match[0] if kept else mask_recipient(match[0])


def mask_personal_data(text):
    """The text with every email address, phone number and device token in it masked as a recipient is."""
    for pattern in (EMAIL_INSIDE_TEXT, PUSH_TOKEN_INSIDE_TEXT):
        text = pattern.sub(lambda match: mask_recipient(match[0]), text)
    return NUMBERS_INSIDE_TEXT.sub(masked_number, text)


def hide_recipient_in(text, recipient):
    """`text` with its log's own recipient, wherever it stands in it, masked: a provider's answer often names it,
    as it is or escaped in a JSON string."""
    if not text or not recipient:
        return text
    spellings = sorted({recipient, json.dumps(recipient)[1:-1]}, key=len, reverse=True)
    masked = mask_recipient(recipient)
    # A function, not a template: a backslash in the masked recipient is text, not a group reference.
    return re.sub("|".join(map(re.escape, spellings)), lambda _: masked, text, flags=re.IGNORECASE)


def mask_parameter(name, value):
    """A query parameter's value as it may be shown or stored: the `recipient` filter masked whole, any other
    value with the phone numbers and addresses in it masked."""
    return mask_recipient(value) if name == "recipient" else mask_personal_data(value)


def is_control_character(character):
    """NUL, newline, escape, DEL and the rest of Unicode's Cc category: never valid in a filter value."""
    return unicodedata.category(character) == "Cc"


def has_control_characters(text):
    return any(is_control_character(character) for character in text)


def printable(text):
    """The text with control characters replaced: PostgreSQL refuses NUL in text and JSON."""
    return "".join("\ufffd" if is_control_character(character) else character for character in text)
