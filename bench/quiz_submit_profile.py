"""The quiz submit of bench/quiz_submit.py measured in-process: CPU and statements per submit.

bench/quiz_submit.py needs the whole machine; this one signs in N candidates through the Flask test
client on a throwaway database with the fixture quiz, starts their attempts and submits each once,
measuring process CPU (time.process_time) per submit, then the double-click re-submit, then one
more round (second attempts) under cProfile. It can run while other work goes on.

    .venv/bin/python bench/quiz_submit_profile.py                        # SQLite, 100 candidates
    .venv/bin/python bench/quiz_submit_profile.py --database postgresql --profile --sql

The floor is a signed-in POST that does nothing (CSRF checked, user loaded, a redirect): what any
submit costs before the quiz's own work.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._profile import QueryLog, login, top_costs
from bench._server import CSRF_RE, throwaway_database
from bench.quiz_submit import COURSE, FIXTURE_COURSES, PASSWORD, QUESTIONS, QUIZ, QuizForm, prepare


def add_floor_route(app) -> None:
    """A signed-in, CSRF-checked POST that redirects, on this bench's app only."""
    from flask import redirect

    from lms.core.roles import Role, role_required

    app.add_url_rule(
        "/_bench/post",
        "bench_post",
        role_required(Role.CANDIDATE)(lambda: redirect("/")),
        methods=["POST"],
    )


def start_attempts(clients: list, number: int) -> list[tuple[str, dict[str, str]]]:
    """Start attempt `number` for every client: (submit path, the take page's form filled in)."""
    started = []
    for client in clients:
        page = f"/courses/{COURSE}/quizzes/{QUIZ}"
        token = CSRF_RE.search(client.get(page).get_data(as_text=True)).group(1)
        response = client.post(page + "/start", data={"csrf_token": token})
        if response.status_code != 302 or "/quiz-attempts/" not in response.headers["Location"]:
            raise RuntimeError(f"start of attempt {number} answered {response.status_code}")
        attempt = response.headers["Location"]
        form = QuizForm()
        form.feed(client.get(attempt).get_data(as_text=True))
        if form.questions != QUESTIONS:
            raise RuntimeError(f"take page shows {form.questions} questions")
        started.append((attempt + "/submit", dict(form.fields)))
    return started


def submit_all(clients: list, started: list[tuple[str, dict[str, str]]]) -> float:
    """Submit every attempt once; returns CPU ms per submit."""
    began = time.process_time()
    for client, (path, fields) in zip(clients, started, strict=True):
        response = client.post(path, data=fields)
        if response.status_code != 302 or not response.headers["Location"].endswith("/result"):
            raise RuntimeError(f"{path} answered {response.status_code} {response.headers.get('Location')}")
    return 1000 * (time.process_time() - began) / len(clients)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--candidates", type=int, default=100)
    parser.add_argument("--postgres-url", help="server for the throwaway database (default: local test)")
    parser.add_argument("--profile", action="store_true", help="cProfile the second attempts' submits")
    parser.add_argument("--profile-floor", action="store_true", help="cProfile the floor's POSTs")
    parser.add_argument("--sql", action="store_true", help="print one submit's statements")
    parser.add_argument(
        "--pass", dest="passing", action="store_true", help="second attempts answer right (each completes)"
    )
    parser.add_argument("--no-request-log", action="store_true", help="as tests (gunicorn logs)")
    options = parser.parse_args()

    from lms import create_app
    from lms.extensions import db

    with (
        tempfile.TemporaryDirectory() as tmp,
        throwaway_database(options.database, Path(tmp), options.postgres_url) as url,
    ):
        root = Path(tmp) / "courses"
        shutil.copytree(FIXTURE_COURSES, root)
        config = {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": os.urandom(16).hex(),
            "COURSES_DIR": str(root),
            "REQUEST_LOG": not options.no_request_log,
        }
        app = create_app(config)
        add_floor_route(app)
        logging_off(app, options.no_request_log)
        with app.app_context():
            user_ids = prepare(root, 1, options.candidates)
            engine = db.engine
        gc.freeze()  # as app.py does
        clients = []
        for username in sorted(user_ids):
            client = app.test_client()
            login(client, username, PASSWORD)
            clients.append(client)

        first = start_attempts(clients, 1)
        tokens = [{"csrf_token": fields["csrf_token"]} for _, fields in first]
        began = time.process_time()
        for client, fields in zip(clients, tokens, strict=True):
            assert client.post("/_bench/post", data=fields).status_code == 302
        floor = 1000 * (time.process_time() - began) / len(clients)
        if options.profile_floor:
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            for client, fields in zip(clients, tokens, strict=True):
                client.post("/_bench/post", data=fields)
            profiler.disable()
            print("\n".join(top_costs(profiler, len(clients), "floor", own=25, ours=30)))

        log = QueryLog(engine)
        log.active = True
        submit_ms = submit_all(clients, first)
        log.active = False
        statements = [s for s, _ in log.statements if not s.startswith("BEGIN")]
        per_submit = len(statements) / len(clients)
        log.reset()
        log.active = True
        again_ms = submit_all(clients, first)  # the double click: already submitted
        log.active = False
        again_statements = sum(1 for s, _ in log.statements if not s.startswith("BEGIN")) / len(clients)
        print(
            f"{options.database}, {len(clients)} candidates: floor (signed-in POST) {floor:.2f} ms CPU; "
            f"submit {submit_ms:.2f} ms CPU, {per_submit:.1f} statements; "
            f"re-submit {again_ms:.2f} ms CPU, {again_statements:.1f} statements"
        )

        second = start_attempts(clients, 2)
        if options.passing:
            with app.app_context():
                second = [(path, right_answers(path, fields)) for path, fields in second]
        # CPU time, not wall time: waiting for the database server costs the worker nothing.
        profiler = cProfile.Profile(time.process_time) if options.profile else None
        log.reset()
        log.active = True
        if profiler:
            profiler.enable()
        second_ms = submit_all(clients, second)
        if profiler:
            profiler.disable()
        log.active = False
        print(
            f"second attempts: submit {second_ms:.2f} ms CPU"
            + (" (under cProfile)" if profiler else "")
            + f", {len(log.statements) / len(clients):.1f} statements"
            + (" (each passes: the quiz completes)" if options.passing else "")
        )
        if options.sql:
            spent: dict[str, float] = {}
            for (statement, _), seconds in zip(log.statements, log.durations, strict=True):
                key = " ".join(statement.split())[:60]
                spent[key] = spent.get(key, 0.0) + seconds
            for key, seconds in sorted(spent.items(), key=lambda item: -item[1]):
                print(f"    {1000 * seconds / len(clients):6.3f} ms  {key}")
        if options.sql:
            per_client = len(log.statements) // len(clients)
            for statement, _ in log.statements[:per_client]:
                print("    " + " ".join(statement.split())[:300])
        if profiler:
            print("\n".join(top_costs(profiler, len(clients), "submit", own=25, ours=30)))
        log.close()
        engine.dispose()


def right_answers(path: str, fields: dict[str, str]) -> dict[str, list[str]]:
    """The take page's form with every question answered right (as the quiz tests answer)."""
    from lms.content.models import Lesson
    from lms.extensions import db
    from lms.quizzes.models import Attempt
    from tests.quizzes.conftest import full_form

    attempt = db.session.get(Attempt, int(path.rsplit("/", 2)[-2]))
    quiz = db.session.get(Lesson, attempt.quiz_id)
    kept = {name: [value] for name, value in fields.items() if not name.startswith("q-")}
    db.session.remove()
    return kept | full_form(quiz, attempt, right=True)


def logging_off(app, already: bool) -> None:
    """The request log's lines go to /dev/null: their cost is counted, as in gunicorn."""
    import logging

    if not already:
        for handler in logging.getLogger("lms.requests").handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 - for the whole run


if __name__ == "__main__":
    main()
