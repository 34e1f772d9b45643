FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ACTLAB_HOST=0.0.0.0 ACTLAB_PORT=8000 ACTLAB_WORKERS=2

RUN useradd --create-home --uid 10001 actlab
WORKDIR /srv/actlab
COPY pyproject.toml README.md ./
COPY app ./app
COPY static ./static
COPY templates ./templates
RUN pip install -e . && chown -R actlab:actlab /srv/actlab

USER actlab
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('ACTLAB_PORT', '8000'), timeout=2)" || exit 1
# Worker count comes from ACTLAB_WORKERS (docker run -e ACTLAB_WORKERS=4 ...).
CMD ["actlab", "serve"]
