"""Realistic synthetic communication logs, for the demo and for load and benchmark data."""

import json
import random
from dataclasses import dataclass
from datetime import timedelta

from communication.models import Channel, Status

TENANTS = ["tnt_xyz789", "tnt_acme01", "tnt_globex", "tnt_initech", "tnt_umbrella"]
PROVIDERS = {
    Channel.SMS: ["aliyun", "twilio", "tencent"],
    Channel.EMAIL: ["sendgrid", "ses", "mailgun"],
    Channel.PUSH: ["fcm", "apns"],
}
TEMPLATES = {
    Channel.SMS: {
        "tpl_login_code": "Your verification code is {code}. It expires in 5 minutes.",
        "tpl_order_shipped": "Your order {order} has shipped and arrives in 2-3 days.",
        "tpl_payment_due": "Reminder: your payment of {amount} is due tomorrow.",
    },
    Channel.EMAIL: {
        "tpl_welcome": "Welcome aboard! Confirm your address to finish signing up.",
        "tpl_password_reset": "Someone asked to reset your password. Use code {code} within 15 minutes.",
        "tpl_invoice": "Your invoice {order} for {amount} is attached.",
        "tpl_newsletter": "This month: new features, tips and a look at what is coming next.",
    },
    Channel.PUSH: {
        "tpl_new_message": "You have a new message waiting.",
        "tpl_order_update": "Order {order} is out for delivery.",
        "tpl_security_alert": "New sign-in to your account from a new device.",
    },
}
ERRORS = {
    Channel.SMS: ["Send timeout", "isv.MOBILE_NUMBER_ILLEGAL", "Carrier rejected the message"],
    Channel.EMAIL: ["550 5.1.1 Mailbox does not exist", "Send timeout", "Message rejected as spam"],
    Channel.PUSH: ["Unregistered device token", "InvalidProviderToken", "Send timeout"],
}
EMAIL_DOMAINS = ["example.com", "mail.example.org", "corp.example.net", "example.co.uk"]
FIRST_NAMES = ["alice", "bob", "chen.wei", "dana", "emeka", "fatima", "giulia", "hiro", "ines", "jonas"]
# Prefix and how many digits follow it: Chinese mobiles, then US, UK and German numbers.
PHONE_FORMATS = {"138": 8, "139": 8, "186": 8, "+1415": 7, "+4479": 8, "+4915": 9}
STATUS_WEIGHTS = {Status.DELIVERED: 70, Status.SENT: 15, Status.FAILED: 10, Status.PENDING: 5}
CHANNEL_WEIGHTS = {Channel.SMS: 45, Channel.EMAIL: 40, Channel.PUSH: 15}
TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


@dataclass(frozen=True)
class SyntheticUser:
    user_id: str
    tenant_id: str
    phone: str
    email: str
    device_token: str

    @property
    def push_provider(self):
        """The provider that delivers to the user's device: `fcm` for an Android token, `apns` for an iOS one."""
        return self.device_token.split(":", 1)[0]

    def recipient_for(self, channel):
        return {Channel.SMS: self.phone, Channel.EMAIL: self.email, Channel.PUSH: self.device_token}[channel]


class LogGenerator:
    """Draws users and log rows from a seeded random source, so a seed always gives the same data."""

    def __init__(self, seed, users, now, days):
        self.rng = random.Random(seed)
        self.now = now
        self.span_seconds = max(1, int(days * 86400))
        self.users = [self.make_user(number) for number in range(users)]
        self.channels = list(CHANNEL_WEIGHTS)
        self.channel_weights = list(CHANNEL_WEIGHTS.values())
        self.statuses = list(STATUS_WEIGHTS)
        self.status_weights = list(STATUS_WEIGHTS.values())

    def make_user(self, number):
        rng = self.rng
        prefix, digits = rng.choice(list(PHONE_FORMATS.items()))
        phone = prefix + "".join(rng.choices("0123456789", k=digits))
        name = rng.choice(FIRST_NAMES)
        email = f"{name}{number}@{rng.choice(EMAIL_DOMAINS)}"
        if rng.random() < 0.5:
            # An FCM registration token: an instance id, a colon, and a long base64url string.
            token = (
                "fcm:"
                + "".join(rng.choices(TOKEN_ALPHABET, k=22))
                + ":APA91b"
                + "".join(rng.choices(TOKEN_ALPHABET, k=134))
            )
        else:
            # An APNs device token: 32 bytes in hexadecimal.
            token = f"apns:{rng.getrandbits(256):064x}"
        return SyntheticUser(f"usr_{number:06d}", rng.choice(TENANTS), phone, email, token)

    def log_id(self):
        return f"log_{self.rng.getrandbits(80):020x}"

    def content_for(self, template):
        rng = self.rng
        return template.format(
            code=f"{rng.randint(0, 999999):06d}",
            order=f"#{rng.randint(100000, 999999)}",
            amount=f"${rng.randint(5, 500)}.{rng.randint(0, 99):02d}",
        )

    def provider_response(self, provider, status):
        """The provider's raw answer, shaped like the real one; pending messages have none yet."""
        if status == Status.PENDING:
            return ""
        rng = self.rng
        ok = status != Status.FAILED
        answers = {
            "aliyun": {"BizId": f"{rng.getrandbits(60)}^0", "Code": "OK" if ok else "isv.BUSINESS_LIMIT_CONTROL"},
            "twilio": {"sid": f"SM{rng.getrandbits(128):032x}", "status": "delivered" if ok else "undelivered"},
            "tencent": {"SerialNo": f"{rng.getrandbits(64):x}", "Code": "Ok" if ok else "LimitExceeded"},
            "fcm": {"name": f"projects/commlogs-demo/messages/{rng.getrandbits(63)}"},
            "apns": {"apns-id": f"{rng.getrandbits(128):032x}", "status": 200 if ok else 410},
        }
        answer = answers.get(provider, {"message_id": f"<{rng.getrandbits(64):x}@{provider}.example>"})
        return json.dumps(answer, separators=(",", ":"))

    def row(self):
        """One log as a dict of model field values."""
        rng = self.rng
        user = rng.choice(self.users)
        channel = rng.choices(self.channels, self.channel_weights)[0]
        status = rng.choices(self.statuses, self.status_weights)[0]
        provider = user.push_provider if channel == Channel.PUSH else rng.choice(PROVIDERS[channel])
        template_id, template = rng.choice(list(TEMPLATES[channel].items()))
        created_at = (self.now - timedelta(seconds=rng.randrange(self.span_seconds))).replace(microsecond=0)
        sent_at = None if status == Status.PENDING else created_at + timedelta(seconds=rng.randint(0, 90))
        updated_at = created_at if sent_at is None else sent_at + timedelta(seconds=rng.randint(0, 300))
        return {
            "id": self.log_id(),
            "tenant_id": user.tenant_id,
            "user_id": user.user_id,
            "channel": channel.value,
            "provider": provider,
            "template_id": template_id,
            "recipient": user.recipient_for(channel),
            "content": self.content_for(template),
            "status": status.value,
            "error": rng.choice(ERRORS[channel]) if status == Status.FAILED else "",
            "response": self.provider_response(provider, status),
            "sent_at": sent_at,
            "created_at": created_at,
            "updated_at": updated_at,
        }
