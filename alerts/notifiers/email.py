"""E-mail over SMTP (STARTTLS, SMTPS and login optional)."""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.message import EmailMessage
from typing import Literal

from pydantic import Field, SecretStr

from alerts.notifiers.base import Channel, DeliveryError, Message, add_channel
from core.settings import NotifierSettings


class EmailNotifier(NotifierSettings):
    """`{type: email}`: SMTP, with STARTTLS or SMTPS."""

    type: Literal["email"]
    to: list[str] = Field(min_length=1)
    smtp_host: str
    smtp_port: int = Field(default=587, gt=0, lt=65536)
    starttls: bool = True
    ssl: bool = False  # SMTPS (usually port 465) instead of STARTTLS
    username: str | None = None
    password: SecretStr | None = None
    sender: str = "genai-monitor@localhost"


def email_message(message: Message, settings: EmailNotifier) -> EmailMessage:
    """The e-mail; its Message-ID derives from the idempotency key, so a resend is recognisable."""
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = settings.sender
    mail["To"] = ", ".join(settings.to)
    digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:32]
    mail["Message-ID"] = f"<{digest}@genai-cost-monitor>"
    mail.set_content(message.text + "\n")
    return mail


class OutcomeUnknown(Exception):
    """The message went out but the server's answer to it never came."""


class EmailChannel(Channel[EmailNotifier]):
    """Sends each message as one plain-text e-mail.

    SMTP has no idempotency key: a mail sent without an answer in time is not sent again; its
    Message-ID, derived from the idempotency key, lets mail clients fold any copy all the same.
    """

    def send(self, message: Message) -> None:
        """Send the e-mail."""
        try:
            smtp_send(self.settings, email_message(message, self.settings))
        except OutcomeUnknown:
            raise DeliveryError(
                f"email notifier {self.name}: sent, no answer within {self.settings.timeout_seconds:g} s",
                unknown=True,
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"email notifier {self.name}: SMTP {exc.smtp_code}",
                retryable=400 <= exc.smtp_code < 500,
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"email notifier {self.name}: {type(exc).__name__}") from None


def smtp_send(settings: EmailNotifier, mail: EmailMessage) -> None:
    """Send one e-mail over SMTP: SMTPS or STARTTLS, with a login when a username is set."""
    if settings.ssl:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.smtp_host,
            settings.smtp_port,
            timeout=settings.timeout_seconds,
            context=ssl.create_default_context(),
        )
    else:
        smtp = smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds
        )
    with smtp:
        if settings.starttls and not settings.ssl:
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            password = settings.password.get_secret_value() if settings.password else ""
            smtp.login(settings.username, password)
        transmit(smtp, mail, settings.sender, settings.to)


def transmit(smtp: smtplib.SMTP, mail: EmailMessage, sender: str, recipients: list[str]) -> None:
    """MAIL, RCPT and DATA; a timeout or lost connection during DATA raises OutcomeUnknown.

    A server that answers the end of the message late has usually queued it: DATA is the one
    step after which a failure may still mean the mail went out.
    """
    smtp.ehlo_or_helo_if_needed()
    code, reply = smtp.mail(sender)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    for recipient in recipients:
        code, reply = smtp.rcpt(recipient)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
    try:
        code, reply = smtp.data(mail.as_bytes(policy=mail.policy.clone(linesep="\r\n")))
    except (smtplib.SMTPServerDisconnected, OSError) as exc:
        raise OutcomeUnknown from exc
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)


add_channel("email", EmailNotifier, EmailChannel, order=30)
