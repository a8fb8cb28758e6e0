"""Daily rollups of bedrock_usage_hourly and endpoint_hourly (#16), filled from the hourly rows.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-25 23:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(precision=18, scale=6)
HOURS = sa.Numeric(precision=18, scale=6)

BEDROCK_FILL = """
INSERT INTO rollup_daily_bedrock_usage (day, account_id, region, model_id, base_model_id, team,
    endpoint, price_source, price_as_of, priced, hours, invocations, input_tokens, output_tokens,
    cache_read_tokens, cache_write_tokens, client_errors, server_errors, throttles,
    estimated_cost_usd)
SELECT {day}, account_id, region, model_id, base_model_id, team, endpoint,
    coalesce(price_source, ''), coalesce(price_as_of, ''), priced, count(*), sum(invocations),
    sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens),
    sum(client_errors), sum(server_errors), sum(throttles), sum(estimated_cost_usd)
FROM bedrock_usage_hourly
GROUP BY {day}, account_id, region, model_id, base_model_id, team, endpoint,
    coalesce(price_source, ''), coalesce(price_as_of, ''), priced
"""

ENDPOINT_FILL = """
INSERT INTO rollup_daily_endpoint (endpoint_id, day, price_source, price_as_of, priced, hours,
    service_hours, instance_hours, invocations, estimated_cost_usd)
SELECT endpoint_id, {day}, coalesce(price_source, ''), coalesce(price_as_of, ''), priced,
    count(*), sum(service_hours), sum(service_hours * instance_count),
    sum(CASE WHEN invocations >= component_invocations THEN invocations
        ELSE component_invocations END),
    sum(estimated_cost_usd)
FROM endpoint_hourly
GROUP BY endpoint_id, {day}, coalesce(price_source, ''), coalesce(price_as_of, ''), priced
"""


def _key(name: str, length: int) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=length), nullable=False)


def _count(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "rollup_daily_bedrock_usage",
        sa.Column("day", sa.Date(), nullable=False),
        _key("account_id", 12),
        _key("region", 32),
        _key("model_id", 512),
        _key("base_model_id", 512),
        _key("team", 64),
        _key("endpoint", 32),
        _key("price_source", 256),
        _key("price_as_of", 32),
        sa.Column("priced", sa.Boolean(), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        *(
            _count(name)
            for name in (
                "invocations",
                "input_tokens",
                "output_tokens",
                "cache_read_tokens",
                "cache_write_tokens",
                "client_errors",
                "server_errors",
                "throttles",
            )
        ),
        sa.Column("estimated_cost_usd", MONEY, nullable=True),
        sa.PrimaryKeyConstraint(
            "day",
            "account_id",
            "region",
            "model_id",
            "base_model_id",
            "team",
            "endpoint",
            "price_source",
            "price_as_of",
            "priced",
            name=op.f("pk_rollup_daily_bedrock_usage"),
        ),
    )
    op.create_index(
        "ix_rollup_daily_bedrock_usage_day_team", "rollup_daily_bedrock_usage", ["day", "team"]
    )
    op.create_table(
        "rollup_daily_endpoint",
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        _key("price_source", 256),
        _key("price_as_of", 32),
        sa.Column("priced", sa.Boolean(), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("service_hours", HOURS, nullable=False),
        sa.Column("instance_hours", HOURS, nullable=False),
        _count("invocations"),
        sa.Column("estimated_cost_usd", MONEY, nullable=True),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["endpoints.id"],
            name=op.f("fk_rollup_daily_endpoint_endpoint_id_endpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "endpoint_id",
            "day",
            "price_source",
            "price_as_of",
            "priced",
            name=op.f("pk_rollup_daily_endpoint"),
        ),
    )
    op.create_index("ix_rollup_daily_endpoint_day", "rollup_daily_endpoint", ["day"])
    # the UTC day of an hour (Postgres: whatever the session's time zone)
    postgres = op.get_bind().dialect.name == "postgresql"
    day = "date(timezone('UTC', hour))" if postgres else "date(hour)"
    op.execute(BEDROCK_FILL.format(day=day))
    op.execute(ENDPOINT_FILL.format(day=day))


def downgrade() -> None:
    op.drop_index("ix_rollup_daily_endpoint_day", table_name="rollup_daily_endpoint")
    op.drop_table("rollup_daily_endpoint")
    op.drop_index("ix_rollup_daily_bedrock_usage_day_team", table_name="rollup_daily_bedrock_usage")
    op.drop_table("rollup_daily_bedrock_usage")
