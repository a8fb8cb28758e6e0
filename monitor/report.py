"""The managers' weekly digest: rendered from the Weekly view, written to a file or e-mailed over SMTP."""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy.orm import Session, sessionmaker

from alerts.notifiers.email import EmailNotifier, smtp_send
from core.queries.waste import UnderUse
from core.settings import MonitorConfig
from core.timeutil import EARLIEST_DAY
from dashboard.digest import render_weekly_html, render_weekly_text
from dashboard.views.weekly import WeeklyData, week_monday, weekly_data


class ReportError(Exception):
    """The digest could not be sent; the message names the notifier and never holds a secret."""


def report_week(week: str | None, now: datetime) -> date:
    """The Monday of ``week`` (``YYYY-Www``), or of the last complete week."""
    if week:
        monday = week_monday(week)
        if monday < EARLIEST_DAY:
            raise ValueError(
                f"week {week} is before {EARLIEST_DAY.year}: there is nothing to report"
            )
        if monday > now.date():
            raise ValueError(f"week {week} has not begun yet")
        return monday
    today = now.date()
    return today - timedelta(days=today.weekday() + 7)


def weekly_digest(
    sessions: sessionmaker[Session],
    monday: date,
    now: datetime,
    min_idle: Mapping[str, timedelta] | None = None,
    under: UnderUse | None = None,
) -> tuple[WeeklyData, str, str]:
    """The week's data and its digest as HTML and as plain text (``min_idle``: each waste kind's
    idle threshold; ``under``: what makes a busy resource under-used)."""
    with sessions() as session:
        data = weekly_data(session, monday, now, min_idle=min_idle, under=under)
    return data, render_weekly_html(data, now), render_weekly_text(data)


def email_notifiers(config: MonitorConfig) -> dict[str, EmailNotifier]:
    """The config's e-mail notifiers by name: the digest goes where the alerts' e-mail goes."""
    return {
        name: notifier
        for name, notifier in config.notifiers.items()
        if isinstance(notifier, EmailNotifier)
    }


def digest_email(settings: EmailNotifier, subject: str, html: str, text: str) -> EmailMessage:
    """A multipart e-mail: the plain-text summary, and the HTML digest as the preferred part."""
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["From"] = settings.sender
    mail["To"] = ", ".join(settings.to)
    mail.set_content(text)
    mail.add_alternative(html, subtype="html")
    return mail


def send_email(name: str, settings: EmailNotifier, mail: EmailMessage) -> None:
    """Send over SMTP with the alerts' e-mail settings (SMTPS or STARTTLS, login optional)."""
    try:
        smtp_send(settings, mail)
    except smtplib.SMTPResponseException as exc:
        raise ReportError(f"email notifier {name}: SMTP {exc.smtp_code}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise ReportError(f"email notifier {name}: {type(exc).__name__}") from None


def email_digest(
    targets: Mapping[str, EmailNotifier], week: str, html: str, text: str
) -> tuple[list[str], list[str]]:
    """E-mail the digest through each notifier: who got it (``to, ... (name)``) and what failed."""
    return email_report(targets, f"GenAI spend, week {week}", html, text)


def email_report(
    targets: Mapping[str, EmailNotifier],
    subject: str,
    html: str,
    text: str,
    attachment: tuple[str, str] | None = None,
) -> tuple[list[str], list[str]]:
    """E-mail a report through each notifier, with an optional (file name, CSV text) attachment:
    who got it (``to, ... (name)``) and what failed."""
    sent, failed = [], []
    for name, settings in targets.items():
        mail = digest_email(settings, subject, html, text)
        if attachment is not None:
            filename, content = attachment
            mail.add_attachment(
                content.encode("utf-8"), maintype="text", subtype="csv", filename=filename
            )
        try:
            send_email(name, settings, mail)
            sent.append(f"{', '.join(settings.to)} ({name})")
        except ReportError as exc:
            failed.append(str(exc))
    return sent, failed
