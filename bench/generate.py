"""A campaign-sized data set: 3 courses, 85 regions, cohorts, 100,000 candidates and their progress.

Migrates a fresh database (a SQLite file or a PostgreSQL URL), imports a generated course tree
through the real importer, then bulk-loads candidates, enrolments, lesson progress, quiz attempts
and assignment submissions (COPY on PostgreSQL, executemany on SQLite) and rebuilds the rollups.
Prints row counts and timings. bench/dashboards.py and bench/lesson_page.py build on it.

    .venv/bin/python bench/generate.py --database postgresql --path postgresql://postgres@127.0.0.1/lms_big
    .venv/bin/python bench/generate.py --database sqlite --path /tmp/big.sqlite3 --candidates 10000

Without --path the data goes into a throwaway database that is dropped at the end (a timing run).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import HOST, PROJECT_ROOT, throwaway_database
from bench.import_content import lesson_body

PASSWORD = "bench-password-1"
NATIONAL = "bench-national"
INSTRUCTORS = 20
COURSES = (
    ("bench-osnovy", "Основы избирательной кампании"),
    ("bench-izbirateli", "Работа с избирателями"),
    ("bench-finansy", "Финансы и отчётность штаба"),
)
MODULES, ITEMS_PER_MODULE = 4, 10
ITEMS = MODULES * ITEMS_PER_MODULE
QUIZ_SLOTS = (19, 39)  # course-local item positions: the last item of modules 2 and 4
ASSIGNMENT_SLOT = 29  # the last item of module 3
# 85 of the 89 subjects take part; the four least populated have no cohort this campaign.
SKIPPED_REGIONS = ("49", "79", "83", "87")
# Shares of all candidates; the other regions share the rest on a smooth, steep curve.
BIG_REGIONS = {"77": 0.10, "78": 0.05, "50": 0.05}
POPULOUS = ("23", "66", "02", "16", "61", "54", "74", "52", "63", "24", "59", "05", "26", "34", "38", "22")
NEVER_START = 0.15
BATCH = 5000  # candidates simulated and written per round
# Days from a cohort's start to each course's due date: one campaign, the courses in sequence.
DUE_AFTER_DAYS = (45, 80, 115)
SUBMISSION_LIMBO = ("draft", "submitted", "in_review", "returned")

MALE_NAMES = ("Алексей", "Андрей", "Дмитрий", "Иван", "Михаил", "Сергей", "Николай", "Павел", "Олег", "Юрий")
FEMALE_NAMES = ("Анна", "Елена", "Мария", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Юлия", "Дарья")
PATRONYMICS = ("Александров", "Викторов", "Петров", "Сергеев", "Иванов", "Михайлов", "Николаев", "Андреев")
SURNAMES = (
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков",
    "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов",
    "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв",
    "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв", "Сергеев", "Кузьмин", "Фролов",
    "Александров", "Дмитриев", "Королёв", "Гусев", "Киселёв", "Ильин", "Максимов", "Поляков",
    "Сорокин", "Виноградов", "Ковалёв", "Белов", "Медведев", "Антонов", "Тарасов",
)  # fmt: skip


def coordinator_name(region_code: str) -> str:
    return f"bench-coord-{region_code}"


def candidate_name(user_id: int) -> str:
    return f"cand-{user_id:06d}"


# --- the course tree -----------------------------------------------------------------------------

QUIZ_BODY = """Проверка по модулю.

## fond [single]
Где должны находиться средства избирательного фонда?

- [ ] kassa: В кассе штаба наличными
- [x] schet: На специальном избирательном счёте
- [ ] karta: На личной карте кандидата

## dokumenty [multiple]
Какие документы входят в финансовый отчёт?

- [x] itog: Итоговый финансовый отчёт
- [x] vypiska: Выписка по специальному счёту
- [ ] plan: Медиаплан кампании

## anonim [truefalse]
Анонимные пожертвования можно зачислять в избирательный фонд.

= неверно

## organ [short]
Как называется комиссия, которая регистрирует кандидатов на выборах в городскую думу?

= Территориальная избирательная комиссия
= ТИК

## dni [numeric]
Сколько дней длится агитационный период для СМИ, если он начинается за 28 дней до дня голосования
и заканчивается за сутки до него?

= 27 ± 0,5
"""

ASSIGNMENT_BODY = """Составьте **план** дворовой встречи.

## Критерии оценивания

### structure: Структура плана
- 0: Плана нет
- 2: Основные этапы есть, но нет *сроков*
- 4: Этапы, сроки, ответственные и запасной вариант

### law: Соблюдение закона
- 0: Нарушает правила агитации
- 3: Всё по закону, есть согласование места

### contact: Сбор контактов
- 0: Не предусмотрен
- 2: Есть лист контактов и согласие на обработку данных
"""


def write_courses(root: Path, seed: int = 1) -> None:
    """Three courses of 4 modules × 10 items: 37 lessons (~6 KB), 2 quizzes and 1 assignment each."""
    rng = random.Random(seed)
    for key, title in COURSES:
        course = root / key
        course.mkdir(parents=True)
        modules = [f"m{m}" for m in range(1, MODULES + 1)]
        (course / "course.md").write_text(
            f"---\nid: {key}\ntitle: {title}\nsummary: Сгенерирован для замера\nmodules:\n"
            + "".join(f"  - {name}\n" for name in modules)
            + "completion: all\n---\nВведение.\n",
            encoding="utf-8",
        )
        for m, name in enumerate(modules):
            folder = course / name
            folder.mkdir()
            items = []
            for i in range(ITEMS_PER_MODULE):
                slot = m * ITEMS_PER_MODULE + i
                if slot in QUIZ_SLOTS:
                    items.append(f"q{m + 1}.md")
                    head = f"id: {key}-q{m + 1}\ntitle: Проверка по модулю {m + 1}\ntype: quiz\n"
                    head += "pass_mark: 60\nattempts: 2\ntime_limit: 20\nshow_answers: after_pass\n"
                    body = QUIZ_BODY
                elif slot == ASSIGNMENT_SLOT:
                    items.append("plan.md")
                    head = f"id: {key}-plan\ntitle: План дворовой встречи\ntype: assignment\npass_points: 6\n"
                    body = ASSIGNMENT_BODY
                else:
                    items.append(f"l{i + 1:02d}.md")
                    head = f"id: {key}-m{m + 1}-l{i + 1}\ntitle: Урок {m + 1}.{i + 1}\nminutes: 10\n"
                    body = lesson_body(rng, slot)
                (folder / items[-1]).write_text(f"---\n{head}---\n{body}", encoding="utf-8")
            (folder / "module.md").write_text(
                f"---\nid: {key}-m{m + 1}\ntitle: Модуль {m + 1}\nitems:\n"
                + "".join(f"  - {item}\n" for item in items)
                + "---\n",
                encoding="utf-8",
            )


# --- the people ----------------------------------------------------------------------------------


def region_sizes(codes: list[str], candidates: int, rng: random.Random) -> dict[str, int]:
    """Candidates per region: Moscow, Moscow Oblast and Petersburg large, the long tail small."""
    rest = [code for code in codes if code not in BIG_REGIONS]
    ordered = [code for code in POPULOUS if code in rest]
    tail = [code for code in rest if code not in ordered]
    rng.shuffle(tail)
    ordered += tail
    left = 1 - sum(BIG_REGIONS.values())
    curve = [pow(2.718281828, -rank / 30) for rank in range(len(ordered))]
    shares = {**BIG_REGIONS, **{code: left * w / sum(curve) for code, w in zip(ordered, curve, strict=True)}}
    sizes = {code: int(share * candidates) for code, share in shares.items()}
    for code in list(shares)[: candidates - sum(sizes.values())]:
        sizes[code] += 1
    return sizes


@dataclass
class Plan:
    """What one round writes: rows per table, as tuples in the order of `COLUMNS`."""

    rows: dict[str, list[tuple]] = field(default_factory=lambda: {name: [] for name in COLUMNS})


COLUMNS = {
    "users": (
        "id", "username", "full_name", "email", "password_hash", "role", "region_code", "is_active",
        "created_at", "last_seen_at", "search_text",
    ),
    "cohort_members": ("cohort_id", "user_id", "added_at"),
    "enrolments": (
        "user_id", "course_id", "enrolled_at", "last_lesson_id", "last_activity_at", "lessons_done",
        "completed_at", "cohort_id", "due_on", "due_overridden", "status", "region_code",
    ),
    "lesson_progress": ("user_id", "lesson_id", "first_viewed_at", "completed_at", "completed_version"),
    "quiz_attempts": (
        "user_id", "quiz_id", "number", "quiz_hash", "policy", "layout", "started_at", "deadline_at",
        "submitted_at", "closed_by_deadline", "score", "max_score", "percent", "passed",
    ),
    "submissions": (
        "id", "user_id", "item_id", "snapshot_id", "status", "text_md", "text_html", "created_at",
        "updated_at", "submitted_at", "version", "reviewer_id", "claimed_at", "points",
    ),
    "review_events": (
        "submission_id", "actor_id", "action", "created_at", "comment", "scores", "criterion_comments",
        "points", "text_md",
    ),
}  # fmt: skip


class BulkWriter:
    """Appends rows to tables: COPY on PostgreSQL, SQLAlchemy Core executemany on SQLite."""

    def __init__(self) -> None:
        import sqlalchemy as sa

        from lms.extensions import db

        self.db = db
        self.postgres = db.session.get_bind().dialect.name == "postgresql"
        self.counts: Counter[str] = Counter()
        # Foreign-key triggers fire per COPY row and cost more than the copy itself; the rows are
        # consistent by construction, so a superuser session skips them (replica mode, this
        # transaction only).
        self.skip_triggers = self.postgres and bool(
            db.session.scalar(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
        )

    def json(self, value: object) -> object:
        """JSON column values: text for COPY (the server parses it), objects for SQLAlchemy."""
        return json.dumps(value, ensure_ascii=False) if self.postgres else value

    def write(self, table: str, rows: list[tuple]) -> None:
        import sqlalchemy as sa

        if not rows:
            return
        columns = COLUMNS[table]
        self.counts[table] += len(rows)
        connection = self.db.session.connection()
        if self.postgres:
            if self.skip_triggers:
                connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
            raw = connection.connection.driver_connection
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            model = self.db.metadata.tables[table]
            connection.execute(sa.insert(model), [dict(zip(columns, row, strict=True)) for row in rows])


@dataclass
class Item:
    id: int
    kind: str
    version: int


@dataclass
class CourseInfo:
    id: int
    items: list[Item]
    required: int
    # quiz id → (policy, layout, quiz hash, max score, time limit); assignment → snapshot id
    quizzes: dict[int, tuple] = field(default_factory=dict)
    snapshots: dict[int, int] = field(default_factory=dict)


@dataclass
class CohortInfo:
    id: int
    region_code: str
    starts_on: date
    due: list[date]


def _midday(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 7, 0, tzinfo=UTC)  # 10:00 in Moscow


class Simulation:
    """Turns each candidate's fate (never starts, stalls, keeps going, finishes) into rows."""

    def __init__(self, writer: BulkWriter, courses: list[CourseInfo], now: datetime, rng: random.Random):
        from lms.progress.rollups import classify, school_today

        self.writer = writer
        self.courses = courses
        self.now = now
        self.today = school_today(now)
        self.classify = classify
        self.school_today = school_today
        self.rng = rng
        self.instructors: list[int] = []
        self.next_submission_id = 1
        self.fates: Counter[str] = Counter()

    def candidate(self, plan: Plan, user_id: int, cohort: CohortInfo) -> datetime | None:
        """Rows for one candidate's three enrolments; returns their last activity."""
        rng, now = self.rng, self.now
        enrolled_at = _midday(cohort.starts_on) + timedelta(minutes=rng.randrange(0, 600))
        total = len(self.courses) * ITEMS
        roll = rng.random()
        if roll < NEVER_START:
            fate, position = "never started", 0
        elif roll < NEVER_START + 0.35:
            fate, position = "finished everything", total
        elif roll < NEVER_START + 0.65:
            fate, position = "keeping pace", rng.randrange(ITEMS, total)
        else:
            fate, position = "stalled", rng.randrange(1, int(total * 0.5))
        self.fates[fate] += 1
        began = enrolled_at + timedelta(hours=rng.uniform(1, 120))
        if fate == "keeping pace":
            last = now - timedelta(hours=rng.uniform(1, 24 * 7))
        elif fate == "stalled":
            last = began + (now - timedelta(days=10) - began) * rng.uniform(0.05, 0.8)
        else:
            last = began + (now - began) * rng.uniform(0.5, 0.95)
        # The item after the last one done was opened (but not finished) by most who stopped.
        viewed_next = 0 < position < total and rng.random() < 0.7
        steps = position + (1 if viewed_next else 0)
        step = (last - began) / max(steps, 1)
        last_seen = None
        for course_index, course in enumerate(self.courses):
            start = course_index * ITEMS
            done = min(ITEMS, max(0, position - start))
            touched = min(ITEMS, max(0, steps - start))
            last_item, last_at, completed_at = None, None, None
            rows = plan.rows["lesson_progress"]
            for local in range(touched):
                item = course.items[local]
                at = began + step * (start + local + 1)
                finished = local < done
                rows.append((user_id, item.id, at - timedelta(minutes=12), at if finished else None,
                             item.version if finished else None))  # fmt: skip
                last_item, last_at = item.id, at
                if item.kind == "quiz":
                    self._attempts(plan, user_id, course, item.id, at, passed=finished)
                elif item.kind == "assignment":
                    self._submission(plan, user_id, course, item.id, at, accepted=finished)
            if done >= course.required:
                completed_at = last_at
            due_on = cohort.due[course_index]
            status = self.classify(
                lessons_done=done,
                lesson_count=len(course.items),
                completed=completed_at is not None,
                started=last_at is not None,
                enrolled_on=self.school_today(enrolled_at),
                due_on=due_on,
                today=self.today,
            )
            plan.rows["enrolments"].append(
                (user_id, course.id, enrolled_at, last_item, last_at, done, completed_at, cohort.id, due_on,
                 False, status, cohort.region_code)
            )  # fmt: skip
            last_seen = last_at or last_seen
        return last_seen

    def _attempts(self, plan: Plan, user_id: int, course: CourseInfo, quiz_id: int, at: datetime,
                  *, passed: bool) -> None:  # fmt: skip
        """A passed quiz has a passing attempt (a quarter after a failed one); a stuck one, failures."""
        rng = self.rng
        if passed:
            outcomes = [False, True] if rng.random() < 0.25 else [True]
        else:
            roll = rng.random()
            outcomes = [] if roll < 0.4 else [False] if roll < 0.75 else [False, False]
        policy, layout, quiz_hash, max_score, limit = course.quizzes[quiz_id]
        for number, ok in enumerate(outcomes, start=1):
            submitted = at - timedelta(hours=2 * (len(outcomes) - number))
            started = submitted - timedelta(minutes=rng.uniform(3, 15))
            score = float(rng.choice((3, 4, 5) if ok else (0, 1, 2)))
            plan.rows["quiz_attempts"].append(
                (user_id, quiz_id, number, quiz_hash, policy, layout, started,
                 started + timedelta(minutes=limit) if limit else None, submitted, False, score, max_score,
                 round(100 * score / max_score, 2), ok)
            )  # fmt: skip

    def _submission(self, plan: Plan, user_id: int, course: CourseInfo, item_id: int, at: datetime,
                    *, accepted: bool) -> None:  # fmt: skip
        """Accepted when the item is done; otherwise somewhere between a draft and a return."""
        rng, writer = self.rng, self.writer
        status = "accepted" if accepted else rng.choice(SUBMISSION_LIMBO)
        submission_id = self.next_submission_id
        self.next_submission_id += 1
        reviewer = rng.choice(self.instructors)
        created = at - timedelta(days=rng.uniform(0.5, 3))
        submitted = created + timedelta(hours=rng.uniform(1, 10))
        text = "План встречи: время, место, ответственные, согласование, лист контактов."
        events = []
        if status != "draft":
            events.append((submission_id, user_id, "submitted", submitted, "", None, None, None, text))
        if status in ("in_review", "returned", "accepted"):
            events.append((submission_id, reviewer, "claimed", submitted + timedelta(hours=2), "", None,
                           None, None, None))  # fmt: skip
        points = None
        if status in ("returned", "accepted"):
            points = rng.randrange(6, 10) if status == "accepted" else rng.randrange(0, 6)
            scores = writer.json({"structure": min(4, points), "law": min(3, max(0, points - 4)),
                                  "contact": max(0, points - 7)})  # fmt: skip
            events.append((submission_id, reviewer, status, at, "Спасибо, посмотрите замечания.", scores,
                           writer.json({}), points, None))  # fmt: skip
        claimed = submitted + timedelta(hours=2) if status in ("in_review", "returned", "accepted") else None
        updated = events[-1][3] if events else created
        plan.rows["submissions"].append(
            (submission_id, user_id, item_id, course.snapshots[item_id], status, text, f"<p>{text}</p>",
             created, updated, submitted if status != "draft" else None, 1 + len(events),
             reviewer if claimed else None, claimed, points)
        )  # fmt: skip
        plan.rows["review_events"].extend(events)


def full_name(rng: random.Random) -> str:
    surname = rng.choice(SURNAMES)
    if rng.random() < 0.55:
        return f"{surname}а {rng.choice(FEMALE_NAMES)} {rng.choice(PATRONYMICS)}на"
    return f"{surname} {rng.choice(MALE_NAMES)} {rng.choice(PATRONYMICS)}ич"


# --- the run -------------------------------------------------------------------------------------


@dataclass
class Summary:
    """What a benchmark needs to know about a data set, read back from the database."""

    url: str
    backend: str
    counts: dict[str, int]
    region_sizes: dict[str, int]  # candidates per region, largest first
    timings: dict[str, float] = field(default_factory=dict)
    fates: dict[str, int] = field(default_factory=dict)

    @property
    def candidates(self) -> int:
        return sum(self.region_sizes.values())

    def region_near(self, size: int) -> str:
        return min(self.region_sizes, key=lambda code: (abs(self.region_sizes[code] - size), code))

    @property
    def largest_region(self) -> str:
        return next(iter(self.region_sizes))


TABLES = (
    "users", "regions", "cohorts", "cohort_courses", "courses", "lessons", "enrolments", "lesson_progress",
    "quiz_attempts", "question_versions", "submissions", "review_events", "region_course_stats",
    "cohort_course_stats",
)  # fmt: skip


def describe(url: str) -> Summary:
    """Row counts and candidates per region of an existing data set (inside an app context)."""
    import sqlalchemy as sa

    from lms.accounts.models import User
    from lms.core.roles import Role
    from lms.extensions import db

    counts = {table: db.session.scalar(sa.text(f"SELECT count(*) FROM {table}")) for table in TABLES}
    sizes = db.session.execute(
        sa.select(User.region_code, sa.func.count())
        .where(User.role == Role.CANDIDATE)
        .group_by(User.region_code)
        .order_by(sa.func.count().desc(), User.region_code)
    ).all()
    backend = db.session.get_bind().dialect.name
    db.session.remove()
    return Summary(url, backend, counts, dict(sizes))


def _phase(timings: dict[str, float], label: str) -> Callable[[], None]:
    started = time.perf_counter()

    def done() -> None:
        timings[label] = time.perf_counter() - started
        print(f"  {label:<42} {timings[label]:7.1f} s", flush=True)

    return done


def populate(url: str, candidates: int, *, seed: int = 1) -> Summary:
    """Fill the empty database at `url`; returns its summary with timings."""
    from flask_migrate import upgrade

    from lms import create_app
    from lms.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with app.app_context(), tempfile.TemporaryDirectory() as tmp:
        try:
            done = _phase(timings, "migrate")
            upgrade(directory=str(PROJECT_ROOT / "migrations"))
            done()
            done = _phase(timings, "course tree written and imported")
            write_courses(Path(tmp) / "courses", seed)
            from lms.content.sync import sync_tree

            sync_tree(Path(tmp) / "courses")
            db.session.commit()
            done()
            fates = _populate_people(candidates, seed, timings)
            summary = describe(url)
        finally:
            db.session.remove()
            db.engine.dispose()
    timings["total"] = time.perf_counter() - started
    summary.timings, summary.fates = timings, fates
    return summary


def _course_infos(writer: BulkWriter) -> list[CourseInfo]:
    import sqlalchemy as sa

    from lms.content.models import Course, Lesson, Module
    from lms.exercises.services import snapshot_for
    from lms.quizzes.grading import layout
    from lms.quizzes.models import QuestionVersion
    from lms.quizzes.services import policy_of

    db = writer.db
    infos = []
    for key, _ in COURSES:
        course = db.session.scalar(sa.select(Course).where(Course.key == key))
        lessons = db.session.scalars(
            sa.select(Lesson)
            .join(Module, Module.id == Lesson.module_id)
            .where(Lesson.course_id == course.id)
            .order_by(Module.position, Lesson.position)
        ).all()
        info = CourseInfo(
            course.id, [Item(row.id, row.kind, row.version) for row in lessons], course.lessons_required
        )
        for lesson in lessons:
            if lesson.kind == "quiz":
                versions = {
                    row.question_key: row.id
                    for row in db.session.scalars(
                        sa.select(QuestionVersion).where(QuestionVersion.quiz_id == lesson.id)
                    )
                }
                policy = policy_of(lesson)
                questions = sorted(lesson.payload["questions"], key=lambda q: q.get("line", 0))
                served = [
                    {"key": entry["key"], "version_id": versions[entry["key"]], "options": entry["options"]}
                    for entry in layout(questions, policy, 1)
                ]
                max_score = sum(float(q.get("points", 1)) for q in questions)
                info.quizzes[lesson.id] = (
                    writer.json(policy), writer.json(served), lesson.source_hash, max_score,
                    policy.get("time_limit"),
                )  # fmt: skip
            elif lesson.kind == "assignment":
                info.snapshots[lesson.id] = snapshot_for(lesson).id
        infos.append(info)
    db.session.commit()
    return infos


def _populate_people(candidates: int, seed: int, timings: dict[str, float]) -> dict[str, int]:
    import sqlalchemy as sa
    from werkzeug.security import generate_password_hash

    from lms.accounts.models import Region, user_search_text
    from lms.core.time import utcnow
    from lms.progress import rollups
    from lms.progress.models import Cohort, CohortCourse

    rng = random.Random(seed)
    writer = BulkWriter()
    db = writer.db
    now = utcnow()
    today = rollups.school_today(now)
    done = _phase(timings, "regions and cohorts")
    courses = _course_infos(writer)
    codes = [code for code in db.session.scalars(sa.select(Region.code).order_by(Region.code))]
    codes = [code for code in codes if code not in SKIPPED_REGIONS]
    sizes = region_sizes(codes, candidates, rng)
    cohorts: dict[str, list[CohortInfo]] = {}
    names = dict(db.session.execute(sa.select(Region.code, Region.name_ru)).all())
    for code in sorted(sizes):
        count = 2 if sizes[code] < 700 else 3 if sizes[code] < 2500 else 4
        for number in range(1, count + 1):
            # Cohorts started 11 to 16 weeks ago, so today falls inside the campaign: the first
            # course is past due, the second due around now, the third still ahead.
            starts = today - timedelta(days=rng.randrange(75, 111))
            due = [starts + timedelta(days=days + rng.randrange(-3, 4)) for days in DUE_AFTER_DAYS]
            cohort = Cohort(
                name=f"{names[code]} · поток {number}",
                region_code=code,
                campaign="Кампания 2026",
                starts_on=starts,
                ends_on=due[-1],
                created_at=_midday(starts) - timedelta(days=7),
            )
            cohort.courses = [
                CohortCourse(course_id=course.id, due_on=day)
                for course, day in zip(courses, due, strict=True)
            ]
            db.session.add(cohort)
            db.session.flush()
            cohorts.setdefault(code, []).append(CohortInfo(cohort.id, code, starts, due))
    db.session.commit()
    done()

    done = _phase(timings, f"{candidates:,} candidates and their progress")
    # One cheap shared hash: logins are benchmark setup, and a real scrypt hash per user would
    # take hours to compute (and ~0.1 s per login).
    password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    created = _midday(today - timedelta(days=130))
    staff = [(NATIONAL, "Федеральный координатор", "COORDINATOR", None)]
    staff += [
        (f"bench-instructor-{n}", f"Преподаватель {n}", "INSTRUCTOR", None) for n in range(1, INSTRUCTORS + 1)
    ]
    staff += [(coordinator_name(code), f"Координатор {code}", "COORDINATOR", code) for code in sorted(sizes)]
    plan = Plan()
    for user_id, (username, name, role, region) in enumerate(staff, start=1):
        plan.rows["users"].append(
            (user_id, username, name, None, password_hash, role, region, True, created, None,
             user_search_text(name, username, None))
        )  # fmt: skip
    simulation = Simulation(writer, courses, now, rng)
    simulation.instructors = list(range(2, 2 + INSTRUCTORS))
    regions = [code for code, size in sizes.items() for _ in range(size)]
    rng.shuffle(regions)  # imports arrive mixed: ids carry no region order
    first_id = len(staff) + 1
    for index, code in enumerate(regions):
        user_id = first_id + index
        cohort = rng.choice(cohorts[code])
        last_seen = simulation.candidate(plan, user_id, cohort)
        name, username = full_name(rng), candidate_name(user_id)
        email = f"{username}@example.org"
        plan.rows["users"].append(
            (user_id, username, name, email, password_hash, "CANDIDATE", code, True, created, last_seen,
             user_search_text(name, username, email))
        )  # fmt: skip
        plan.rows["cohort_members"].append((cohort.id, user_id, created))
        if (index + 1) % BATCH == 0 or index + 1 == len(regions):
            _flush(writer, plan)
            plan = Plan()
    done()

    done = _phase(timings, "rollups rebuilt")
    rollups.rebuild_stats()
    from lms.quizzes.services import refresh_stuck_on_quiz

    refresh_stuck_on_quiz()
    db.session.commit()
    done()
    done = _phase(timings, "sequences, statistics")
    _finish(writer)
    done()
    counts = ", ".join(f"{table} {count:,}" for table, count in writer.counts.items())
    print(f"  bulk-loaded: {counts}")
    return dict(simulation.fates)


def _flush(writer: BulkWriter, plan: Plan) -> None:
    # Users first: every other table points at them.
    for table in COLUMNS:
        writer.write(table, plan.rows[table])
    writer.db.session.commit()


def _finish(writer: BulkWriter) -> None:
    """Sequences past the explicit ids; fresh planner statistics as autovacuum would give them.

    SQLite gets no ANALYZE: nothing in the app runs it, so its planner works without statistics.
    """
    import sqlalchemy as sa

    if not writer.postgres:
        return
    db = writer.db
    for table in ("users", "submissions"):
        db.session.execute(
            sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        )
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))


@contextmanager
def target_database(kind: str, path: str | None, folder: Path) -> Iterator[str]:
    """The database to fill: the given one (which must be new or empty) or a throwaway one."""
    if path is None:
        with throwaway_database(kind, folder) as url:
            yield url
        return
    if kind == "sqlite":
        if "://" in path:
            raise SystemExit("--path for SQLite is a file name")
        if Path(path).exists():
            raise SystemExit(f"{path} exists: give a new file")
        yield f"sqlite:///{Path(path).resolve()}"
        return
    yield ensure_postgres_database(path)


def ensure_postgres_database(url: str) -> str:
    """Create the database named in `url` if it is missing; refuse one that already has tables."""
    import sqlalchemy as sa

    parsed = sa.make_url(url).set(drivername="postgresql+psycopg")
    if parsed.host not in (HOST, "localhost"):
        raise SystemExit(f"benchmarks only run against a local server, not {parsed.host!r}")
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
            )
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        admin.dispose()
    engine = sa.create_engine(parsed)
    try:
        with engine.connect() as connection:
            tables = connection.scalar(
                sa.text("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
            )
    finally:
        engine.dispose()
    if tables:
        raise SystemExit(f"{parsed.database} already has {tables} tables: give a new or empty database")
    return parsed.render_as_string(hide_password=False)


def print_summary(summary: Summary) -> None:
    print("  rows: " + ", ".join(f"{table} {count:,}" for table, count in summary.counts.items()))
    fates = ", ".join(f"{fate} {count:,}" for fate, count in summary.fates.items())
    if fates:
        print(f"  candidates: {fates}")
    sizes = list(summary.region_sizes.items())
    print(
        f"  {len(sizes)} regions: largest "
        + ", ".join(f"{code} {size:,}" for code, size in sizes[:4])
        + "; smallest "
        + ", ".join(f"{code} {size:,}" for code, size in sizes[-3:])
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--path", help="SQLite file or PostgreSQL URL to fill (default: throwaway)")
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    print(
        f"generating {options.candidates:,} candidates on {options.database} "
        f"({options.path or 'throwaway database, dropped at the end'}); {os.cpu_count()} cores"
    )
    with (
        tempfile.TemporaryDirectory() as tmp,
        target_database(options.database, options.path, Path(tmp)) as url,
    ):
        summary = populate(url, options.candidates, seed=options.seed)
        print_summary(summary)
        print(f"done in {summary.timings['total']:.1f} s")


if __name__ == "__main__":
    main()
