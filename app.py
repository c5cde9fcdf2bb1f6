"""WSGI entry point: `flask --app app run` or `gunicorn app:app`."""

import gc

from lms import create_app

app = create_app()
# What exists now (modules, templates, translations, mappers) lives as long as the process. Moving
# it out of the collector's generations keeps full collections during requests short: they were
# the 60–80 ms p99 spikes in bench/dashboards.py.
gc.freeze()
