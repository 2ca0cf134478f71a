"""The one place that turns a stored recipient into what may be shown (CONTRACT.md's table)."""

import re

PHONE_PATTERN = re.compile(r"[0-9+\- ]{8,}")
EMAIL_PATTERN = re.compile(r"([^@\s])[^@\s]*@([^@\s]+)")
LONG_TOKEN_LENGTH = 12
HIDDEN = "****"


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


def mask_parameter(name, value):
    """A query parameter's value as it may be shown or stored: the `recipient` filter masked, others as given."""
    return mask_recipient(value) if name == "recipient" else value
