"""Every page a candidate or a coordinator opens, against the floor page of the same server.

One gunicorn (2 sync workers, 127.0.0.1) serves the LMS over a bench/generate.py data set (10,000
candidates by default) plus the exercises fixture course for the scenario pages; the same load
generator as bench/lesson_page.py (8 client threads, one signed-in person each, GET for a fixed
time after a warm-up, non-2xx responses counted) hits, in turn, the floor page (signed in, the
site layout rendered around nothing) and each page below. Each page's rate is given as a ratio to
the floor's, with the CPU per request of the workers and of PostgreSQL, and the target marked met
or missed: candidate pages ≥ 0.75, the lesson page ≥ 0.80, coordinator pages of a
1,000-candidate region ≥ 0.35. Rounds are interleaved (floor, every page, floor, ...) and the
median round counts.

    .venv/bin/python bench/pages.py                      # both databases, 10,000 candidates
    .venv/bin/python bench/pages.py --database sqlite --seconds 3 --rounds 1
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench.lesson_page as lesson_bench
from bench._report import write_section
from bench._server import Client, gunicorn, throwaway_database
from bench.generate import COURSES, PASSWORD, coordinator_name, populate, write_courses
from bench.lesson_page import LMS_APP, Load, database_version, errors_in_log, hammer

THREADS = 8
REGION = "77"  # 10 % of all candidates: 1,000 of 10,000
EXERCISES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "courses" / "exercises"
CANDIDATE_TARGET, LESSON_TARGET, COORDINATOR_TARGET = 0.75, 0.80, 0.35
FLOOR = "floor: signed-in empty layout"
ONLY: list[str] = []  # --page: measure these pages alone (with --no-write: a partial table)


@dataclass
class Page:
    label: str
    viewer: str  # "candidate" or "coordinator"
    paths: list[list[str]]  # per thread

    @property
    def target(self) -> float:
        if self.label == "lesson page":
            return LESSON_TARGET
        return CANDIDATE_TARGET if self.viewer == "candidate" else COORDINATOR_TARGET


@dataclass
class Measured:
    page: Page
    loads: list[Load] = field(default_factory=list)
    floors: list[Load] = field(default_factory=list)  # the floor measured right before each round

    def ratios(self) -> list[float]:
        return [
            load.rate / floor.rate for load, floor in zip(self.loads, self.floors, strict=True) if floor.rate
        ]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios()) if self.ratios() else 0.0

    @property
    def median_load(self) -> Load:
        return sorted(self.loads, key=lambda load: load.rate)[len(self.loads) // 2]


def prepare(url: str) -> tuple[list[str], list[str], list[Page]]:
    """The exercises course imported beside the bench's courses; eight candidates of the big
    region, each with an open quiz attempt, a submitted one, a scenario under way and a finished
    one; the paths each page is measured on."""
    import sqlalchemy as sa

    from lms import create_app
    from lms.accounts.models import User
    from lms.content.models import Course, Lesson, Module
    from lms.content.sync import sync_tree
    from lms.exercises import services as exercises
    from lms.extensions import db
    from lms.progress.models import Enrolment
    from lms.quizzes import services as quizzes
    from lms.quizzes.models import Attempt

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context(), tempfile.TemporaryDirectory() as tmp:
        try:
            tree = Path(tmp) / "courses"
            write_courses(
                tree
            )  # the same tree populate() imported: unchanged, so only the new course is added
            shutil.copytree(EXERCISES / "ex-course", tree / "ex-course")
            sync_tree(tree)
            db.session.commit()
            course = db.session.scalar(sa.select(Course).where(Course.key == COURSES[0][0]))
            items = db.session.execute(
                sa.select(Lesson)
                .join(Module, Module.id == Lesson.module_id)
                .where(Lesson.course_id == course.id, Lesson.archived_at.is_(None))
                .order_by(Module.position, Lesson.position)
            ).scalars()
            items = list(items)
            lessons = [item for item in items if item.kind == "lesson"]
            quizzes_ = [item for item in items if item.kind == "quiz"]
            assignment = next(item for item in items if item.kind == "assignment")
            scenario = db.session.scalar(sa.select(Lesson).where(Lesson.key == "sc-door"))
            Later = sa.orm.aliased(Attempt)  # an alias reads as the model it aliases
            candidates = db.session.scalars(
                sa.select(User)
                .join(Enrolment, Enrolment.user_id == User.id)
                .join(Attempt, (Attempt.user_id == User.id) & (Attempt.quiz_id == quizzes_[0].id))
                .where(
                    User.region_code == REGION,
                    Enrolment.course_id == course.id,
                    Attempt.submitted_at.is_not(None),
                    ~sa.exists().where(Later.user_id == User.id, Later.quiz_id == quizzes_[1].id),
                )
                .distinct()
                .order_by(User.id)
                .limit(THREADS)
            ).all()
            if len(candidates) < THREADS:
                raise RuntimeError(f"only {len(candidates)} candidates of region {REGION} fit the bench")
            rows: dict[str, list[str]] = {name: [] for name in ("open", "result", "step", "debrief")}
            for candidate in candidates:
                submitted = db.session.scalar(
                    sa.select(Attempt.id)
                    .where(
                        Attempt.user_id == candidate.id,
                        Attempt.quiz_id == quizzes_[0].id,
                        Attempt.submitted_at.is_not(None),
                    )
                    .limit(1)
                )
                rows["result"].append(f"/quiz-attempts/{submitted}/result")
                attempt = quizzes.start_attempt(candidate, quizzes_[1])
                attempt.deadline_at = None  # open for the whole run, whatever the quiz's time limit
                rows["open"].append(f"/quiz-attempts/{attempt.id}")
                finished = exercises.start_playthrough(candidate, scenario)
                for reply in (0, 0, 1):  # dver → vopros → problema → uspeh
                    exercises.choose_reply(finished, len(finished.state.get("path", [])), reply)
                db.session.flush()
                rows["debrief"].append(f"/playthroughs/{finished.id}/debrief")
                under_way = exercises.start_playthrough(candidate, scenario)
                rows["step"].append(f"/playthroughs/{under_way.id}")
                db.session.commit()
            usernames = [candidate.username for candidate in candidates]
            key = course.key
            lesson_keys = [lesson.key for lesson in lessons]
            quiz_key, assignment_key = quizzes_[1].key, assignment.key
        finally:
            db.session.remove()
            db.engine.dispose()

    def each(paths: list[str]) -> list[list[str]]:
        return [[path] for path in paths]

    def same(path: str) -> list[list[str]]:
        return [[path]] * THREADS

    lesson_paths = [f"/courses/{key}/lessons/{lesson_key}" for lesson_key in lesson_keys]
    pages = [
        Page("home", "candidate", same("/")),
        Page("course page", "candidate", same(f"/courses/{key}")),
        Page(
            "lesson page",
            "candidate",
            [lesson_paths[index * 3 :] + lesson_paths[: index * 3] for index in range(THREADS)],
        ),
        Page("quiz start page", "candidate", same(f"/courses/{key}/quizzes/{quiz_key}")),
        Page("quiz in progress", "candidate", each(rows["open"])),
        Page("quiz result", "candidate", each(rows["result"])),
        Page("scenario step", "candidate", each(rows["step"])),
        Page("scenario debrief", "candidate", each(rows["debrief"])),
        Page("assignment page", "candidate", same(f"/courses/{key}/assignments/{assignment_key}")),
        Page("coordinator: overview", "coordinator", same("/dashboard/")),
        Page("coordinator: region page", "coordinator", same(f"/dashboard/regions/{REGION}")),
        Page("coordinator: heatmap", "coordinator", same(f"/dashboard/courses/{key}?region={REGION}")),
        Page("coordinator: at-risk lists", "coordinator", same(f"/dashboard/at-risk?region={REGION}")),
    ]
    return usernames, [coordinator_name(REGION)] * THREADS, pages


def cookies_for(base, usernames: list[str]) -> list[str]:
    cookies = []
    for username in usernames:
        client = Client(base)
        client.login(username, PASSWORD)
        client.get("/")  # as a browser would: the first page adds the CSRF token to the session
        cookies.append("; ".join(f"{name}={value}" for name, value in client.cookies.items()))
    return cookies


def bench_database(
    kind: str, candidates: int, rounds: int, tmp: Path
) -> tuple[str, Measured, list[Measured], dict]:
    log = tmp / f"gunicorn-{kind}.log"
    with throwaway_database(kind, tmp) as url:
        summary = populate(url, candidates)
        print(f"  data set: {summary.candidates:,} candidates", flush=True)
        candidate_names, coordinator_names, pages = prepare(url)
        if ONLY:
            pages = [page for page in pages if page.label in ONLY]
        env = {"DATABASE_URL": url, "SECRET_KEY": os.urandom(16).hex()}
        lms_dir = tmp / "lms"
        lms_dir.mkdir(exist_ok=True)
        (lms_dir / "lms_app.py").write_text(LMS_APP, encoding="utf-8")
        floor = Measured(Page(FLOOR, "candidate", [["/_bench/layout"]] * THREADS))
        measured = [Measured(page) for page in pages]
        with gunicorn(env, workers=2, app="lms_app:app", cwd=lms_dir, log=log) as base:
            cookies = {
                "candidate": cookies_for(base, candidate_names),
                "coordinator": cookies_for(base, coordinator_names),
            }
            for number in range(1, rounds + 1):
                print(f"  round {number}", flush=True)
                for entry in measured:
                    before = hammer(base, FLOOR, floor.page.paths, cookies["candidate"], database=kind)
                    floor.loads.append(before)
                    entry.floors.append(before)
                    entry.loads.append(
                        hammer(
                            base,
                            entry.page.label,
                            entry.page.paths,
                            cookies[entry.page.viewer],
                            database=kind,
                        )
                    )
        return database_version(url), floor, measured, dict(errors_in_log(log))


def table(database: str, floor: Measured, measured: list[Measured]) -> str:
    lines = [
        f"**{database}**\n",
        "| page | req/s | p50 | p99 | not 2xx | CPU ms per request: workers / PostgreSQL | ratio to floor"
        " | target |",
        "|---|---|---|---|---|---|---|---|",
    ]
    floor_load = floor.median_load
    rows = [(floor.page.label, floor_load, None, None)] + [
        (entry.page.label, entry.median_load, entry.ratio, entry.page.target) for entry in measured
    ]
    for label, load, ratio, target in rows:
        other = sum(load.other.values())
        cpu = " / ".join(
            f"{load.cpu[name]:.2f}" if name in load.cpu else "–"
            for name in ("gunicorn workers", "PostgreSQL")
        )
        verdict = "" if target is None else f"≥ {target:.2f}: **{'met' if ratio >= target else 'MISSED'}**"
        lines.append(
            f"| {label} | {load.rate:.0f} | {1000 * load.percentile(0.5):.1f} ms | "
            f"{1000 * load.percentile(0.99):.1f} ms | {other} | {cpu} | "
            f"{'' if ratio is None else f'{ratio:.2f}'} | {verdict} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0, help="measured seconds per page per round")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--page", action="append", default=[], help="only this page (repeatable)")
    options = parser.parse_args()
    if options.page and not options.no_write:
        parser.error("--page measures part of the table: give --no-write too")
    ONLY[:] = options.page
    lesson_bench.SECONDS, lesson_bench.WARMUP = options.seconds, 1.0
    kinds = ["sqlite", "postgresql"] if options.database == "both" else [options.database]
    loads = []
    sections = []
    missed: list[str] = []
    for kind in kinds:
        loads.append(f"{os.getloadavg()[0]:.1f} before {kind}")
        print(f"{kind}:", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            database, floor, measured, errors = bench_database(
                kind, options.candidates, options.rounds, Path(tmp)
            )
        text = table(database, floor, measured)
        print(text)
        if errors:
            text += (
                "\nServer errors logged: "
                + "; ".join(f"{count} × `{msg}`" for msg, count in errors.items())
                + "\n"
            )
        sections.append(text)
        missed += [
            f"{entry.page.label} ({database})" for entry in measured if entry.ratio < entry.page.target
        ]
    loads.append(f"{os.getloadavg()[0]:.1f} at the end")
    summary = (
        "Targets missed: " + ", ".join(missed) + "." if missed else "Every target met on every database."
    )
    print(summary)
    if options.no_write:
        return
    body = (
        f"gunicorn with 2 sync workers on 127.0.0.1; {THREADS} client threads (one signed-in person each: "
        f"candidates of region {REGION}, or that region's coordinator) send GET requests for "
        f"{options.seconds:g} s after a 1 s warm-up; {options.rounds} interleaved rounds, each page measured "
        "right after a floor measurement (the signed-in empty layout page of the same server, "
        "/_bench/layout), "
        "the median round's ratio counts. Data: bench/generate.py with "
        f"{options.candidates:,} candidates ({REGION}: 10 % of them), plus the exercises fixture course for "
        "the scenario pages. CPU per request: what gunicorn's workers (and PostgreSQL's processes) used "
        "while measuring, divided by the 2xx responses. Machine: "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; 1-minute load "
        f"average {', '.join(loads)}.\n\n" + "\n".join(sections) + "\n" + summary + "\n"
    )
    write_section("Candidate and coordinator pages against the floor (bench/pages.py)", body)


if __name__ == "__main__":
    main()
