# The image docker-compose.yml builds: one image for migrate, the collector (`run`) and the dashboard.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# the packages first and the install next, so a change to the README does not reinstall
COPY pyproject.toml README.md ./
COPY core ./core
COPY collector ./collector
COPY alerts ./alerts
COPY dashboard ./dashboard
COPY monitor ./monitor
COPY migrations ./migrations
RUN pip install . && rm -rf /app/build

# the service never needs root
RUN useradd --system --uid 10001 --home-dir /app genai
USER genai

# 8050: dashboard; 9108: the collector's /healthz and /metrics
EXPOSE 8050 9108
CMD ["genai-monitor", "--help"]
