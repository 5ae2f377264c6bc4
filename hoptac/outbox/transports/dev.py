"""Transports that need no contract: files and the console for development, Django's
email backend, and the in-app notice board."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from . import Outcome, Transport


def _outbox_dir(channel: str) -> Path:
    day = timezone.localdate().isoformat()
    path = Path(settings.OUTBOX["FILE_DIR"]) / channel / day
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write_once(channel: str, message, payload: dict) -> Outcome:
    """One file per request id, created with O_EXCL: a second attempt finds it and is a
    duplicate, exactly like a gateway that remembers request ids."""
    path = _outbox_dir(channel) / f"{message.request_id}.json"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    except FileExistsError:
        return Outcome.duplicate(provider_id=f"file:{message.request_id}")
    except OSError as exc:
        return Outcome.transient("io", str(exc))
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())
    return Outcome.sent(provider_id=f"file:{message.request_id}")


class FileSms(Transport):
    """Writes each SMS to ``<data dir>/outbox/sms/<date>/<request id>.json``."""

    name = "file"
    channel = "sms"
    idempotent = True
    development = True

    def can_send(self, *, kind, phone, email, has_account):
        return bool(phone)

    def send(self, message) -> Outcome:
        return _write_once(
            "sms",
            message,
            {
                "request_id": message.request_id,
                "phone": message.to_phone,
                "text": message.body,
                "segments": message.segments,
                "cooperative": message.cooperative_id,
            },
        )


class ConsoleSms(Transport):
    name = "console"
    channel = "sms"
    idempotent = True
    development = True

    def can_send(self, *, kind, phone, email, has_account):
        return bool(phone)

    def send(self, message) -> Outcome:
        sys.stdout.write(f"[SMS {message.request_id}] → {message.to_phone}: {message.body}\n")
        sys.stdout.flush()
        return Outcome.sent(provider_id=f"console:{message.request_id}")


class FileZalo(Transport):
    """Writes each Zalo ZNS request to files, for development without an Official Account."""

    name = "file"
    channel = "zalo"
    idempotent = True
    development = True

    def can_send(self, *, kind, phone, email, has_account):
        return bool(phone) and bool(settings.OUTBOX["ZALO"]["TEMPLATES"].get(kind))

    def send(self, message) -> Outcome:
        return _write_once(
            "zalo",
            message,
            {
                "phone": message.to_phone,
                "template_id": message.zalo_template,
                "template_data": message.zalo_data,
                "tracking_id": message.request_id,
            },
        )


class EmailTransport(Transport):
    """Django's configured email backend (console by default, SMTP in production)."""

    name = "email"
    channel = "email"
    idempotent = False  # SMTP has no request ids; an interrupted send is left for staff

    def can_send(self, *, kind, phone, email, has_account):
        return bool(email)

    def send(self, message) -> Outcome:
        mail = EmailMessage(
            subject=message.subject or message.body[:60],
            body=message.body,
            to=[message.to_email],
            headers={"Message-ID": f"<{message.request_id}@hoptac>"},
        )
        try:
            mail.send(fail_silently=False)
        except (OSError, TimeoutError) as exc:
            return Outcome.transient("smtp", str(exc))
        except Exception as exc:  # noqa: BLE001 - smtplib's refusals (bad address…)
            return Outcome.permanent("smtp", str(exc))
        return Outcome.sent(provider_id=f"<{message.request_id}@hoptac>")


class AppTransport(Transport):
    """The in-app notice board: the row itself is the notice, shown to the member's account."""

    name = "app"
    channel = "app"
    idempotent = True

    def can_send(self, *, kind, phone, email, has_account):
        return has_account

    def send(self, message) -> Outcome:
        return Outcome.sent(provider_id=f"app:{message.pk}")
