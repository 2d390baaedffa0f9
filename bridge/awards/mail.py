"""An e-mail to the learner when a credential is issued; off unless ``LEADS_AWARDS_SMTP_HOST`` is set.

Sent by a worker as its own job after issuance (never in a request). Delivery is at-least-once: a worker killed
between sending and marking the job done sends the message again — better than a lost notification.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from pydantic import SecretStr


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


@dataclass
class SmtpMailer:
    host: str
    port: int = 587
    user: str | None = None
    password: SecretStr | None = None
    starttls: bool = True
    timeout: float = 30.0

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user and self.password is not None:
                smtp.login(self.user, self.password.get_secret_value())
            smtp.send_message(message)


def award_message(*, sender: str, to: str, name: str | None, label: str, credential_id: str,
                  base_url: str, notice: str | None = None) -> EmailMessage:
    """The learner's e-mail; ``notice`` (a replacement, e.g. after a retired signing key) opens the message."""
    cid = credential_id.removeprefix("urn:uuid:")
    page = f"{base_url.rstrip('/')}/credentials/{cid}/certificate"
    message = EmailMessage()
    message["From"], message["To"] = sender, to
    message["Subject"] = f"Your certificate: {label}"
    message.set_content(
        f"Hello{' ' + name if name else ''},\n\n"
        + (f"{notice}\n\n" if notice else "") +
        f"congratulations: LEADS has issued your signed certificate “{label}”.\n\n"
        f"See it, download the PDF and the Open Badge, or add it to your LinkedIn profile:\n{page}\n\n"
        "Anyone can check that it is genuine by scanning the QR code on the PDF.\n")
    return message
