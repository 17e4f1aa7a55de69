# AIVenger: one image for every role (python -m bot | worker | cleanup).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HEALTH_PORT=8080

WORKDIR /app

# Dependencies first, in a layer of their own: code changes do not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir core bot \
    && touch core/__init__.py bot/__init__.py \
    && pip install . \
    && pip uninstall --yes aivenger \
    && rm -rf core bot

COPY core ./core
COPY bot ./bot
COPY migrations ./migrations
COPY alembic.ini ./
RUN pip install --no-deps . \
    && useradd --create-home --uid 10001 aivenger \
    && mkdir -p /app/data \
    && chown aivenger:aivenger /app/data

USER 10001:10001
VOLUME ["/app/data"]
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ['HEALTH_PORT'], timeout=4)"]

CMD ["python", "-m", "bot"]
