"""gunicorn settings shared by the Dockerfile, docker-compose.yml and the end-to-end test."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Two workers per core is gunicorn's usual starting point; the screener is I/O on the DB.
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# Long enough for the slowest results page at 100,000 trials, short enough to shed a stuck one.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# No access log: the request line of a GET search could carry plain filters; answers are
# POSTed, but we keep the logs free of request details altogether.
accesslog = None
errorlog = "-"
