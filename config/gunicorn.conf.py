"""gunicorn's settings for the platform's web server, the same on two cores and on many.

Used by the Dockerfile, docker-compose.yml and tests/bench/bench_http.py:

    gunicorn --config config/gunicorn.conf.py            # serves config.wsgi:application on 0.0.0.0:8000

Per deployment, without editing this file: `WEB_CONCURRENCY` sets the number of worker processes;
any other setting can be overridden with `GUNICORN_CMD_ARGS` (e.g. "--threads 4 --keep-alive 75")
or on the command line, both of which take precedence over this file.
"""

import os

wsgi_app = "config.wsgi:application"
# Inside the container; the HTTPS proxy in front of it terminates TLS (README, docker-compose).
bind = ["0.0.0.0:8000"]


def cores() -> int:
    """The CPUs this process may run on: a container's cpuset, not the host's count.

    A CPU quota (`docker run --cpus`, compose `cpus:`) is not visible here: set WEB_CONCURRENCY then.
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def worker_count(environ=os.environ) -> int:
    """WEB_CONCURRENCY if set, else gunicorn's rule of thumb 2 × cores + 1: while one worker of a core
    waits on the database, another computes."""
    value = environ.get("WEB_CONCURRENCY", "").strip()
    count = int(value) if value else 2 * cores() + 1
    if count < 1:
        raise ValueError(f"WEB_CONCURRENCY must be a positive number of workers, not {value!r}")
    return count


workers = worker_count()
# One thread per worker (gunicorn's `sync` worker): the platform's pages spend their time in Python
# and in PostgreSQL, and the interpreter lock lets one thread of a process compute at a time, so
# requests/s come from processes; the proxy in front buffers slow clients. In two short A/Bs with
# tests/bench/bench_http.py's clients on the demo (on a busy machine), neither sync nor `gthread` with
# one or two threads was consistently faster, and threads add database connections (below).
# `--threads N` (N > 1) switches to `gthread`, which keeps connections alive (see keepalive) and serves
# a request while another waits, e.g. on a database across a network. Each thread holds its own
# database connection (CONN_MAX_AGE): count web replicas × workers × threads, plus the Celery workers'
# processes, against PostgreSQL's max_connections (or PgBouncer's pool).
worker_class = "sync"
threads = 1

# A request still running after `timeout` seconds has its worker killed and restarted. The slowest page
# at district size, the map, still answered 3.8 requests/s on five workers (BENCHMARKS.md) and big
# ledgers are built by a Celery job, so 30 s means something is stuck.
timeout = 30
# On a restart or SIGTERM, running requests get this long to finish (compose's stop_grace_period is longer).
graceful_timeout = 30
# Seconds an idle keep-alive connection is kept, with threads > 1 (a sync worker closes every
# connection after its response). Behind a proxy that reuses its upstream connections, make it longer
# than the proxy's idle timeout, so that gunicorn never closes a connection the proxy is about to use.
keepalive = 5

# Each worker is replaced after about this many requests, so that slow memory growth never adds up;
# the jitter spreads the replacements so that workers started together do not all restart together.
max_requests = 5000
max_requests_jitter = 500

# Load Django once in the master and fork the workers from it: a worker (also one replacing another
# after max_requests) starts without importing Django again, shares some of the loaded code's memory,
# and a broken deploy fails at start-up instead of in every worker. The price: `kill -HUP` does not
# load new code (deploys replace the container), and nothing may open a connection while loading:
# Django, Redis and the broker all connect lazily (tests/test_deployment.py checks the database), and
# pre_fork closes any database connection all the same.
preload_app = True

# Access log on stdout with the time each request took (%(M)s, milliseconds) and the client as the
# proxy saw it (X-Forwarded-For; %(h)s is the proxy itself).
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s %({x-forwarded-for}i)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'

# The workers' heartbeat files on a memory filesystem: on a disk-backed one (a container's overlay
# filesystem) updating a heartbeat may block a worker (gunicorn's documentation, worker_tmp_dir).
# gunicorn creates each file with mkstemp and unlinks it at once, so a shared directory is safe here.
_MEMORY_FS = "/dev/shm"  # noqa: S108
if os.path.isdir(_MEMORY_FS):
    worker_tmp_dir = _MEMORY_FS

proc_name = "yuecheng-web"


def pre_fork(server, worker):
    """Never hand a worker a database connection the master opened (a shared socket corrupts both)."""
    from django.db import connections

    connections.close_all()
