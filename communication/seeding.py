"""Realistic synthetic logs, fast: for the demo, load checks and benchmarks (COPY on PostgreSQL)."""

import json
import random
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from django.db import connections, transaction

from communication.models import CONTRACT_FIELDS, Channel, CommunicationLog, Status

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


# Distinct contents and provider answers drawn per template and per (provider, status).
VARIANTS = 256


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
    """Realistic logs from a seeded random source, so a seed always gives the same data, drawn a batch at a time
    from pools of contents and provider answers.

    Given `planned_rows`, the rows of the whole load come out oldest first, each at a random moment of
    its own equal share of the span, as a send log is written; otherwise each row's time is drawn
    anywhere in the span. Time order matters to what reads cost: a heap in `created_at` order keeps
    an index range's rows, and their visibility-map entries, together (docs/performance.md).
    """

    def __init__(self, seed, users, now, days, planned_rows=None):
        self.rng = random.Random(seed)
        self.users = [self.make_user(number) for number in range(users)]
        self.now_epoch = now.timestamp()
        self.span_seconds = max(1, int(days * 86400))
        self.planned_rows = planned_rows
        self.drawn_rows = 0
        self.channels = list(CHANNEL_WEIGHTS)
        self.channel_cum_weights = list(accumulate(CHANNEL_WEIGHTS.values()))
        self.statuses = list(STATUS_WEIGHTS)
        self.status_cum_weights = list(accumulate(STATUS_WEIGHTS.values()))
        self.recipients = {channel: [user.recipient_for(channel) for user in self.users] for channel in self.channels}
        self.templates = {
            channel: [
                (template_id, [self.content_for(template) for _ in range(VARIANTS)])
                for template_id, template in TEMPLATES[channel].items()
            ]
            for channel in self.channels
        }
        self.responses = {
            (provider, status): [self.provider_response(provider, status) for _ in range(VARIANTS)]
            for providers in PROVIDERS.values()
            for provider in providers
            for status in self.statuses
        }

    def rows(self, count):
        """`count` rows as tuples in CONTRACT_FIELDS order."""
        rng = self.rng
        users = self.users
        user_numbers = [int(rng.random() * len(users)) for _ in range(count)]
        channels = rng.choices(self.channels, cum_weights=self.channel_cum_weights, k=count)
        statuses = rng.choices(self.statuses, cum_weights=self.status_cum_weights, k=count)
        moments = self.moments(count)
        batch = []
        for user_number, channel, status, moment in zip(user_numbers, channels, statuses, moments, strict=True):
            user = users[user_number]
            provider = user.push_provider if channel == Channel.PUSH else rng.choice(PROVIDERS[channel])
            template_id, contents = rng.choice(self.templates[channel])
            created_at = datetime.fromtimestamp(int(moment), UTC)
            if status == Status.PENDING:
                sent_at = None
                updated_at = created_at
            else:
                sent_at = created_at + timedelta(seconds=int(rng.random() * 90))
                updated_at = sent_at + timedelta(seconds=int(rng.random() * 300))
            batch.append(
                (
                    f"log_{rng.getrandbits(80):020x}",
                    user.tenant_id,
                    user.user_id,
                    channel.value,
                    provider,
                    template_id,
                    self.recipients[channel][user_number],
                    rng.choice(contents),
                    status.value,
                    rng.choice(ERRORS[channel]) if status == Status.FAILED else "",
                    rng.choice(self.responses[provider, status]),
                    sent_at,
                    created_at,
                    updated_at,
                )
            )
        return batch

    def moments(self, count):
        """The next `count` creation times as epoch seconds: in order for a planned load, else anywhere."""
        rng = self.rng
        if not self.planned_rows:
            return [self.now_epoch - rng.random() * self.span_seconds for _ in range(count)]
        share = self.span_seconds / self.planned_rows
        start = self.now_epoch - self.span_seconds
        first, self.drawn_rows = self.drawn_rows, self.drawn_rows + count
        return [
            start + min(position + rng.random(), self.planned_rows) * share for position in range(first, first + count)
        ]

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


@contextmanager
def indexes_rebuilt_after(using="default"):
    """Drop the log table's secondary indexes for a bulk load and build them again afterwards.

    Building an index once over the loaded table is several times cheaper than updating eight
    indexes row by row, which is what bounds COPY speed. The primary key stays.
    """
    connection = connections[using]
    table = CommunicationLog._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i JOIN pg_index x ON x.indexrelid = i.indexname::regclass "
            "WHERE i.tablename = %s AND i.schemaname = current_schema() AND NOT x.indisprimary",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem TO '1GB'")
            for _, definition in indexes:
                # A partitioned table's index is listed `ON ONLY` the parent, which would build none on its partitions.
                cursor.execute(definition.replace(" ON ONLY ", " ON ", 1))
            cursor.execute(f"ANALYZE {table}")


def write_rows(rows, using="default"):
    """Append rows (tuples in CONTRACT_FIELDS order) in one statement: COPY on PostgreSQL, bulk_create elsewhere."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        CommunicationLog.objects.using(using).bulk_create(
            [CommunicationLog(**dict(zip(CONTRACT_FIELDS, row, strict=True))) for row in rows], batch_size=500
        )
        return
    table = CommunicationLog._meta.db_table
    with transaction.atomic(using=using), connection.cursor() as cursor:
        # Losing the last batches of synthetic data in a crash costs nothing; waiting for fsync does.
        cursor.execute("SET LOCAL synchronous_commit TO off")
        with cursor.copy(f"COPY {table} ({', '.join(CONTRACT_FIELDS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
