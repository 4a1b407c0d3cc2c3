# Consultrack: one image for web, worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint's system libraries (pango, harfbuzz) and fonts that cover Latin, Arabic and CJK
# scripts, so packs render every organisation's name; libmagic identifies uploads by content.
# postgresql-client: pg_dump and pg_restore for scripts/backup.sh and scripts/restore.sh.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libffi8 libjpeg62-turbo \
        fonts-dejavu-core fonts-noto-core fonts-noto-cjk libmagic1 curl postgresql-client gettext \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 consultrack
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=consultrack:consultrack . .
# compilemessages (the French translation, locale/*.mo) and collectstatic need settings but no secrets or database.
RUN DEBUG=true python manage.py compilemessages \
    && DEBUG=true python manage.py collectstatic --no-input \
    && mkdir -p /app/var/media && chown -R consultrack:consultrack /app/var

USER consultrack
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
