"""Amazon SNS: publishes to a topic through the project's client factory."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from alerts.notifiers.base import DeliveryError, Message
from core.aws import AwsError, ClientFactoryFn, Target, translated_errors
from core.registry import NotifierEntry, notifiers
from core.settings import NotifierSettings


class SnsNotifier(NotifierSettings):
    """`{type: sns}`: an SNS topic, published through the AWS client factory."""

    type: Literal["sns"]
    topic_arn: str = Field(pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$")


class SnsChannel:
    """Publishes the message text; FIFO topics get a deduplication id."""

    def __init__(self, name: str, settings: SnsNotifier, clients: ClientFactoryFn) -> None:
        self.name = name
        self.settings = settings
        _arn, _aws, _sns, region, account, _topic = settings.topic_arn.split(":", 5)
        self.target = Target(account, region)
        self.clients = clients
        # only FIFO topics drop a re-published message (by its MessageDeduplicationId)
        self.idempotent = settings.topic_arn.endswith(".fifo")

    def send(self, message: Message) -> None:
        """Publish the message."""
        params = {
            "TopicArn": self.settings.topic_arn,
            "Subject": message.title[:100],
            "Message": message.text,
        }
        if self.idempotent:
            params |= {
                "MessageGroupId": message.rule,
                "MessageDeduplicationId": message.idempotency_key[:128],
            }
        try:
            with translated_errors("sns", "Publish"):
                self.clients("sns", self.target).publish(**params)
        except AwsError as exc:
            raise DeliveryError(
                f"sns notifier {self.name}: {exc.code}", retryable=exc.kind != "fatal"
            ) from None


notifiers.add(NotifierEntry("sns", SnsNotifier, SnsChannel, order=50))
