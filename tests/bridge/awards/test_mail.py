"""E-mail on award through a real SMTP server on loopback (aiosmtpd); off by default."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from bridge.awards import service
from bridge.awards.config import AwardSettings
from bridge.awards.mail import SmtpMailer
from bridge.awards.service import GradeInput
from bridge.awards.worker import Worker
from bridge.dataspace import service as dataspace
from bridge.db import Database
from tests.bridge.awards import fakes

STACK = "glam-archive-to-commons-certificate"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_learner_gets_one_mail_per_issued_credential(db: Database, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    dataspace.store(db, dataspace.read_design_set_file(dataspace.SAMPLE_DESIGN_SET))
    fakes.reset(db)
    with db.session() as session:
        rules = service.load_rules(session)
        for who, email in (("ada", "ada@example.org"), ("bob", None)):
            service.record(session, rules, GradeInput(source="t", learner=who, learner_name=who.title(),
                                                      learner_email=email, design=STACK,
                                                      assessment="glam-as-rights-quiz", score=9, maximum=10))
    worker = Worker(db, fakes.TableIssuer(db), mailer=SmtpMailer("127.0.0.1", port, starttls=False),
                    base_url="https://leads.example.org")
    assert worker.run_once() == 2  # two issue jobs
    assert worker.run_once() == 1  # one e-mail job: bob has no address
    [mail] = inbox.messages
    assert mail["To"] == "ada@example.org"
    assert str(mail["Subject"]).strip() == "Your certificate: Micro-credential: Rights and licensing for GLAM uploads"
    assert "https://leads.example.org/credentials/" in mail.get_content()


def test_mail_is_off_by_default() -> None:
    assert AwardSettings().smtp_host is None
