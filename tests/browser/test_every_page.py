"""Every page of every role's journey, walked in a browser: in Russian, in English and in the
low-vision version; no sideways scrolling at 320 and 390 px, and no axe-core violation of any
impact (colour contrast included) at 1280 and 320 px.

The walk is built from `app.url_map`: a GET page that is neither walked nor deliberately left out
(with its reason) fails `test_the_walk_covers_every_get_page`, so a new page cannot be forgotten.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from datetime import time as dt_time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from playwright.sync_api import Browser, Page, expect

from lms.accounts.services import send_invitation
from lms.accounts.tokens import Purpose, make_token
from lms.audit.models import AuditEvent
from lms.authoring import history
from lms.authoring.drafts import open_for_edit, save_draft
from lms.authoring.publish import publish_course
from lms.certificates import services as certificates
from lms.certificates.models import CourseCompletion
from lms.content.models import Course, Lesson
from lms.core.time import utcnow
from lms.exercises import services as exercises
from lms.exercises import team
from lms.extensions import db
from lms.mail.models import OutboxMessage
from lms.onboarding import services as onboarding
from lms.progress import cohorts
from lms.progress import services as progress
from lms.quizzes import services as quizzes
from lms.seminars import attendance
from lms.seminars import links as seminar_links
from lms.seminars import manage as seminar_manage
from lms.seminars import materials as seminar_materials
from lms.seminars.models import Seminar, SeminarInvite, SeminarSession, SessionLink
from lms.surveys import services as surveys
from tests.browser.conftest import AXE_SOURCE
from tests.conftest import DEFAULT_PASSWORD
from tests.exercises.files import pdf
from tests.onboarding.files import csv_bytes
from tests.quizzes.conftest import full_form
from tests.teaching import teach

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "courses"
SURVEY_ANSWERS = {
    "q-obshchee": ["4"],
    "q-format": ["praktika"],
    "q-temy": ["finansy", "cifra"],
    "q-kommentariy": [
        "Больше практики и разборов реальных случаев, пожалуйста: https://example.org/a/very/long/address"
    ],
}
AXE_WIDTHS = (1280, 320)
FIT_WIDTHS = (320, 390)
MODES = ("ru", "en", "low-vision")
SHOTS = Path(os.environ["WALK_SCREENSHOTS"]) if os.environ.get("WALK_SCREENSHOTS") else None

# GET endpoints the walk leaves out on purpose, with the reason.
EXCLUDED = {
    "static": "files (CSS, JS, images), not pages",
    "content.asset": "a course's image or file, not a page",
    "content.go": "redirects to the lesson a course-relative link names; that lesson is walked",
    "progress.resume": "redirects to the next lesson; lessons are walked",
    "exercises.attachment": "a file download",
    "audit.export": "a CSV download",
    "dashboards.export": "a CSV/XLSX download",
    "dashboards.export_at_risk": "a CSV/XLSX download",
    "certificates.download": "a PDF download (its text and image are checked in tests/certificates)",
    "certificates.export": "a CSV download",
    "health.healthz": "the load balancer's liveness probe (JSON), tested in tests/core/test_health.py",
    "health.readyz": "the load balancer's readiness probe (JSON), tested in tests/core/test_health.py",
    "metrics.metrics": "Prometheus text for the metrics scraper, tested in tests/core/test_metrics.py",
    "surveys.export": "a CSV/XLSX download",
    "attendance.export": "a CSV/XLSX download",
    "attendance.service_worker": "the attendance list's service worker script, not a page",
    "seminars.calendar": "an .ics download (its format is checked in tests/seminars)",
    "seminars.material": "a file download",
}


@dataclass
class Site:
    """Ids of what the pages show: one of each thing, so that no page is empty."""

    candidate_id: int
    open_attempt: int
    done_attempt: int
    open_playthrough: int
    done_playthrough: int
    returned_submission: int
    waiting_submission: int
    cohort: int
    user_import: int
    audit_event: int
    message: int
    token: str
    certificate_id: int
    certificate_code: str
    team_submission: int
    history_version: int = 0
    checkin_token: str = ""  # the QR code of the seminar session running now (attendance)


Args = Callable[[Site], dict]
NO_ARGS: Args = lambda site: {}  # noqa: E731

# role -> [(endpoint, url arguments)], in the order a person of that role would go.
WALK: dict[str, list[tuple[str, Args]]] = {
    "anonymous": [
        ("accounts.login", NO_ARGS),
        ("accounts.forgot_password", NO_ARGS),
        ("accounts.set_password", lambda s: {"token": s.token}),
        ("certificates.verify", NO_ARGS),
        ("certificates.verify_code", lambda s: {"code": s.certificate_code}),
    ],
    "candidate": [
        # First: the QR code's token is valid for a minute or two.
        ("attendance.checkin", lambda s: {"key": "walk", "session_key": "now", "token": s.checkin_token}),
        ("progress.home", NO_ARGS),
        ("content.course", lambda s: {"course_key": "ex-course"}),
        ("content.lesson", lambda s: {"course_key": "ex-course", "lesson_key": "ex-urok"}),
        ("exercises.scenario", lambda s: {"course_key": "ex-course", "item_key": "sc-door"}),
        ("exercises.play", lambda s: {"playthrough_id": s.open_playthrough}),
        ("exercises.debrief", lambda s: {"playthrough_id": s.done_playthrough}),
        ("exercises.assignment", lambda s: {"course_key": "ex-course", "item_key": "as-plan"}),
        ("exercises.team_assignment", lambda s: {"course_key": "team-course", "item_key": "tm-plan"}),
        ("content.course", lambda s: {"course_key": "quiz-course"}),
        ("content.lesson", lambda s: {"course_key": "quiz-course", "lesson_key": "quiz-lesson"}),
        ("quizzes.overview", lambda s: {"course_key": "quiz-course", "quiz_key": "q-all"}),
        ("quizzes.take", lambda s: {"attempt_id": s.open_attempt}),
        ("quizzes.confirm", lambda s: {"attempt_id": s.open_attempt}),
        ("quizzes.result", lambda s: {"attempt_id": s.done_attempt}),
        ("surveys.overview", lambda s: {"course_key": "survey-course", "survey_key": "s-anon"}),  # the form
        ("surveys.overview", lambda s: {"course_key": "survey-course", "survey_key": "s-named"}),  # thanks
        ("seminars.index", NO_ARGS),
        ("seminars.show", lambda s: {"key": "vybory"}),
        ("notifications.index", NO_ARGS),
        ("accounts.profile", NO_ARGS),
        ("accounts.change_password", NO_ARGS),
        ("accounts.own_sessions", NO_ARGS),
    ],
    "instructor": [
        ("progress.home", NO_ARGS),
        ("exercises.review_queue", NO_ARGS),
        ("exercises.grade", lambda s: {"submission_id": s.waiting_submission}),
        ("exercises.review_playthrough", lambda s: {"playthrough_id": s.done_playthrough}),
        ("exercises.team_projects", NO_ARGS),
        ("exercises.team_project", lambda s: {"submission_id": s.team_submission}),
        ("dashboards.teaching", NO_ARGS),
        ("dashboards.teaching_course", lambda s: {"course_key": "ex-course"}),
        ("quizzes.analysis", lambda s: {"course_key": "quiz-course", "quiz_key": "q-all"}),
        ("surveys.overview", lambda s: {"course_key": "survey-course", "survey_key": "s-named"}),  # preview
        ("surveys.results", lambda s: {"course_key": "survey-course", "survey_key": "s-named"}),
        ("attendance.report", lambda s: {"key": "walk"}),
        ("attendance.take", lambda s: {"key": "walk", "session_key": "now"}),
        ("attendance.qr", lambda s: {"key": "walk", "session_key": "now"}),
        ("seminars.index", NO_ARGS),
        ("seminars.show", lambda s: {"key": "vybory"}),
        ("authoring_structure.structure", lambda s: {"course_dir": "ex-course"}),
        ("authoring_structure.image", lambda s: {"rel": "ex-course/01-praktika/01-urok.md"}),
    ],
    "regional": [
        ("dashboards.overview", NO_ARGS),
        ("dashboards.region", lambda s: {"code": "77"}),
        ("dashboards.at_risk", NO_ARGS),
        ("dashboards.cohorts", NO_ARGS),
        ("dashboards.cohort", lambda s: {"cohort_id": s.cohort}),
        # an anonymous survey with too few answers: the results are withheld
        ("surveys.results", lambda s: {"course_key": "survey-course", "survey_key": "s-anon"}),
        ("dashboards.candidate", lambda s: {"user_id": s.candidate_id}),
        (
            "dashboards.playthrough",
            lambda s: {"user_id": s.candidate_id, "playthrough_id": s.done_playthrough},
        ),
        (
            "dashboards.submission",
            lambda s: {"user_id": s.candidate_id, "submission_id": s.returned_submission},
        ),
        ("exercises.team_projects", NO_ARGS),
        ("exercises.team_project", lambda s: {"submission_id": s.team_submission}),
        ("attendance.report", lambda s: {"key": "walk"}),
        ("attendance.take", lambda s: {"key": "walk", "session_key": "now"}),
        ("seminars.show", lambda s: {"key": "vybory"}),
    ],
    "national": [
        ("dashboards.overview", NO_ARGS),
        ("dashboards.course_heatmap", lambda s: {"course_key": "ex-course"}),
        ("dashboards.region", lambda s: {"code": "77"}),
        ("dashboards.region", lambda s: {"code": "69"}),  # nobody has completed anything there
        ("dashboards.at_risk", NO_ARGS),
        ("dashboards.cohorts", NO_ARGS),
        ("dashboards.candidate", lambda s: {"user_id": s.candidate_id}),
        ("certificates.issued", NO_ARGS),
        ("exercises.team_projects", NO_ARGS),  # every region, with the region filter
        ("surveys.results", lambda s: {"course_key": "survey-course", "survey_key": "s-named"}),
        ("attendance.report", lambda s: {"key": "walk"}),
        ("seminars.index", NO_ARGS),
        ("seminars.manage_page", lambda s: {"key": "vybory"}),
        ("seminars.session_edit", lambda s: {"key": "vybory", "session_key": "otkrytie"}),
    ],
    # Course staff in the course editor (igor teaches every course): the tree, files of each kind,
    # and each kind previewed as a candidate.
    "author": [
        ("authoring.index", NO_ARGS),
        ("authoring.edit", lambda s: {"rel": "ex-course/01-praktika/01-urok.md"}),
        ("authoring.edit", lambda s: {"rel": "quiz-course/01-osnovy/02-proverka.md"}),
        ("authoring.edit", lambda s: {"rel": "ex-course/01-praktika/02-dver.md"}),
        ("authoring.edit", lambda s: {"rel": "ex-course/01-praktika/03-plan.md"}),
        ("authoring.candidate", lambda s: {"rel": "ex-course/01-praktika/01-urok.md"}),
        ("authoring.candidate", lambda s: {"rel": "quiz-course/01-osnovy/02-proverka.md"}),
        ("authoring.candidate", lambda s: {"rel": "ex-course/01-praktika/02-dver.md"}),
        ("authoring.candidate", lambda s: {"rel": "ex-course/01-praktika/03-plan.md"}),
        ("authoring.edit", lambda s: {"rel": "survey-course/01-otzyv/03-anonimny.md"}),
        ("authoring.candidate", lambda s: {"rel": "survey-course/01-otzyv/03-anonimny.md"}),
    ],
    "admin": [
        ("admin.index", NO_ARGS),
        ("admin.users", NO_ARGS),
        ("admin.user", lambda s: {"user_id": s.candidate_id}),
        ("admin.new_user", NO_ARGS),
        ("admin.invitations", NO_ARGS),
        ("course_staff.index", NO_ARGS),
        ("onboarding.upload", NO_ARGS),
        ("onboarding.show", lambda s: {"import_id": s.user_import}),
        ("audit.index", NO_ARGS),
        ("audit.event", lambda s: {"event_id": s.audit_event}),
        ("outbox.index", NO_ARGS),
        ("outbox.message", lambda s: {"message_id": s.message}),
        ("certificates.revoke", lambda s: {"certificate_id": s.certificate_id}),
        ("authoring_structure.new_course", NO_ARGS),
        ("authoring_history.file_history", lambda s: {"rel": HISTORY_FILE}),
        ("authoring_history.version_diff", lambda s: {"file_id": s.history_version}),
        ("seminars.new", NO_ARGS),
        ("seminars.edit", lambda s: {"key": "vybory"}),
        ("seminars.session_new", lambda s: {"key": "vybory"}),
    ],
}
HISTORY_FILE = "quiz-course/01-osnovy/02-proverka.md"
USERNAMES = {
    "candidate": "anna",
    "instructor": "igor",
    "author": "igor",
    "regional": "pavel",
    "national": "olga",
    "admin": "root",
}


def get_endpoints(app: Flask) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())}


def test_the_walk_covers_every_get_page(app):
    walked = {endpoint for pages in WALK.values() for endpoint, _ in pages}
    missing = get_endpoints(app) - walked - EXCLUDED.keys()
    assert missing == set(), f"GET pages neither walked nor excluded (add them to WALK): {sorted(missing)}"
    assert get_endpoints(app) >= walked | EXCLUDED.keys(), "WALK or EXCLUDED names a page that is gone"
    assert walked.isdisjoint(EXCLUDED)


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    """The exercise course (a lesson, a scenario, an assignment; its completion asks for the
    "vybory" seminar's attendance, shown on its page) and the quiz course (every question type)."""
    target = tmp_path / "courses"
    shutil.copytree(FIXTURES / "exercises" / "ex-course", target / "ex-course")
    course_md = target / "ex-course" / "course.md"
    text = course_md.read_text(encoding="utf-8")
    course_md.write_text(
        text.replace("modules:\n", "completion: {attendance: {seminar: vybory}}\nmodules:\n", 1),
        encoding="utf-8",
    )
    shutil.copytree(FIXTURES / "quiz" / "quiz-course", target / "quiz-course")
    shutil.copytree(FIXTURES / "team" / "team-course", target / "team-course")
    shutil.copytree(FIXTURES / "survey" / "survey-course", target / "survey-course")
    return target


@pytest.fixture
def app(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    # The walk makes its "vybory" seminar as the browser does (`_seminar`), after the courses are
    # imported; at import, a programme file of that name is what lets ex-course's rule name it (E214).
    seminars = tmp_path / "seminars"
    seminars.mkdir()
    (seminars / "vybory.md").write_text("---\ntitle: Семинар\n---\n", encoding="utf-8")
    app.config["SEMINARS_DIR"] = str(seminars)
    return app


def _lesson(key: str) -> Lesson:
    return db.session.scalar(sa.select(Lesson).where(Lesson.key == key))


@pytest.fixture
def site(app, live_server, imported, make_user) -> Site:
    """Anna has done one of everything and left one of each open; staff of every kind."""
    anna = make_user("anna", region="77", full_name="Анна Петрова", email="anna@example.org")
    boris = make_user("boris", region="77", full_name="Борис Иванов")
    vera = make_user("vera", region="69", full_name="Вера Тверская")
    igor = make_user("igor", role="instructor", full_name="Игорь Петров")
    make_user("pavel", role="coordinator", region="77", full_name="Павел Смирнов")
    make_user("olga", role="coordinator", full_name="Ольга Кузнецова")
    root = make_user("root", role="admin", full_name="Главный Администратор")
    teach("igor")

    cohort = cohorts.create_cohort("Москва-весна", region_code="77", campaign="Весна")
    for key in ("ex-course", "quiz-course"):
        course = db.session.scalar(sa.select(Course).where(Course.key == key))
        cohorts.set_course(cohort, course, date.today() + timedelta(days=30))
    cohorts.add_members(cohort, [anna, boris])
    progress.enrol(vera, course)

    quiz = _lesson("q-all")
    done_attempt = quizzes.start_attempt(anna, quiz)
    quizzes.submit_attempt(done_attempt, full_form(quiz, done_attempt, right=False))
    open_attempt = quizzes.start_attempt(anna, quiz)

    door = _lesson("sc-door")
    done = exercises.start_playthrough(anna, door)
    for step, (reply, text) in enumerate(((2, "Здравствуйте! Вам удобно говорить?"), (0, None), (1, None))):
        exercises.choose_reply(done, step, reply, text)
    db.session.flush()
    open_playthrough = exercises.start_playthrough(anna, door)
    exercises.choose_reply(open_playthrough, 0, 0)

    plan = _lesson("as-plan")
    long_url = "https://example.org/a/very/long/address/of/the/yard/meeting/without/any/spaces"
    returned = exercises.save_submission(
        anna,
        plan,
        text=f"## План встречи\n\n1. Согласовать место: {long_url}",
        uploads=[exercises.Upload("план.pdf", pdf())],
        remove_ids=[],
        submit=True,
    )
    exercises.claim_submission(returned, igor)
    exercises.grade_submission(  # Anna sees the rubric with her levels and comments
        returned,
        igor,
        scores={"structure": 2, "law": 0, "contact": 1},
        criterion_comments={"structure": f"Сроки: {long_url}", "law": "Нет согласования места."},
        comment="Доработайте сроки и согласование.",
        decision="return",
        expected_version=returned.version,
    )
    waiting = exercises.save_submission(
        boris,
        plan,
        text="План встречи",
        uploads=[],
        remove_ids=[],
        submit=True,
    )
    exercises.claim_submission(waiting, igor)  # Igor sees the grading form
    team_course = db.session.scalar(sa.select(Course).where(Course.key == "team-course"))
    for member in (anna, boris, vera):
        progress.enrol(member, team_course)
    team_plan = _lesson("tm-plan")
    team_work = team.save_team_draft(  # returned with a comment: the team sees scores and history
        anna,
        team_plan,
        text=f"## Цели\n\nЧестная победа: {long_url}\n\n## Аудитории\n\nМолодёжь.",
        uploads=[exercises.Upload("смета.pdf", pdf())],
        remove_ids=[],
        submit=True,
        expected_version=None,
    )
    exercises.claim_submission(team_work, igor)
    exercises.grade_submission(
        team_work,
        igor,
        scores={"goals": 2, "risks": 0},
        criterion_comments={"risks": "Добавьте риски."},
        comment="Доработайте риски.",
        decision="return",
        expected_version=team_work.version,
    )
    team.save_team_draft(
        boris,
        team_plan,
        text=team_work.text_md + "\n\n## Риски\n\nДождь в день встречи.",
        uploads=[],
        remove_ids=[],
        submit=False,
        expected_version=team_work.version,
    )
    user_import = onboarding.store_upload(
        csv_bytes([["full_name", "email", "region"], ["Вера Новикова", "vera@example.org", "77"]]),
        "люди.csv",
        root,
        strict=False,
        invite=True,
    )
    named = _lesson("s-named")
    for person, form in ((anna, SURVEY_ANSWERS), (boris, {**SURVEY_ANSWERS, "q-kommentariy": []})):
        surveys.submit_response(person, named, surveys.read_answers(named, form))
    surveys.submit_response(vera, _lesson("s-anon"), {"polza": 4})
    send_invitation(anna)
    completion = CourseCompletion(user_id=boris.id, course_id=course.id)  # quiz-course, done
    db.session.add(completion)
    db.session.flush()
    certificates.issue_certificate(completion)
    history_version = _publish_quiz_twice(igor)  # a history with a diff; a key to regrade
    _seminar(cohort)
    checkin_token = _walk_seminar(anna, boris, vera, igor)
    db.session.commit()
    return Site(
        candidate_id=anna.id,
        open_attempt=open_attempt.id,
        done_attempt=done_attempt.id,
        open_playthrough=open_playthrough.id,
        done_playthrough=done.id,
        returned_submission=returned.id,
        waiting_submission=waiting.id,
        cohort=cohort.id,
        user_import=user_import.id,
        audit_event=db.session.scalar(sa.select(sa.func.max(AuditEvent.id))),
        message=db.session.scalar(sa.select(sa.func.max(OutboxMessage.id))),
        token=make_token(anna, Purpose.RESET),
        certificate_id=completion.certificate.id,
        certificate_code=completion.certificate.code,
        team_submission=team_work.id,
        history_version=history_version,
        checkin_token=checkin_token,
    )


def _publish_quiz_twice(author) -> int:
    """Two publishes of the quiz file: a wording change, then an answer key changed under
    Anna's submitted attempt (the item analysis shows its regrade notice). The newest version."""
    text = open_for_edit(HISTORY_FILE).text
    for old, new in (("Анонимные пожертвования", "Пожертвования без имени"), ("= неверно", "= верно")):
        text = text.replace(old, new)
        save_draft(HISTORY_FILE, text, open_for_edit(HISTORY_FILE).token, author)
        publish_course("quiz-course", author)
    return history.file_history(HISTORY_FILE)[0].row.id


def _seminar(cohort) -> None:
    """A two-day seminar for Moscow's cohort: sessions with speakers, links, a material."""
    seminar = seminar_manage.create_seminar(
        key="vybory",
        title="Выборы-2027: семинар руководителей исполкомов",
        starts_on=date.today() + timedelta(days=10),
        ends_on=date.today() + timedelta(days=11),
        venue="Москва, учебный центр",
        online_url="https://example.org/a/very/long/address/of/the/broadcast/without/any/spaces/at/all",
        summary_md="Очный семинар, соединённый с **онлайн-курсом**.",
    )
    seminar_manage.add_invite(seminar, cohort_id=cohort.id)
    opening = seminar_manage.save_session(
        seminar,
        seminar_manage.SessionValues(
            key="otkrytie",
            title="Прошлая кампания: лучшие практики и ошибки",
            day=1,
            starts=dt_time(10),
            ends=dt_time(11, 30),
            room="Большой зал",
            online_url="https://example.org/very/long/link/to/the/online/room/of/this/session/without/spaces",
            topics=("анализ", "лучшие практики"),
            speakers=(("Андрей Волков", "руководитель аналитического отдела"),),
            description_md="Разбор итогов прошлой кампании по **официальным** данным.",
        ),
    )
    seminar_manage.save_session(
        seminar,
        seminar_manage.SessionValues(
            key="proekt", title="Проектная работа регионов", day=2, starts=dt_time(9), ends=dt_time(13)
        ),
    )
    seminar_links.add_link(seminar, opening, target="ex-course::", relation="prepare", due_days=-3)
    seminar_links.add_link(
        seminar, opening, target="ex-course:ex-module:ex-urok", relation="follow_up", due_days=7
    )
    seminar_materials.add_material(seminar, opening, title="Слайды", filename="слайды.pdf", data=pdf())


def _walk_seminar(anna, boris, vera, igor) -> str:
    """A seminar of regions 77 and 69 with a session running now, marked for two of its three
    participants (one by QR); returns the session's current check-in code."""
    now = utcnow().replace(microsecond=0)
    seminar = Seminar(key="walk", title="Выборы-2027: семинар", starts_on=now.date(), ends_on=now.date())
    seminar.invites = [SeminarInvite(region_id="77"), SeminarInvite(region_id="69")]
    running = SeminarSession(
        key="now",
        title="Работа с избирателями и мобилизация активистов",
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=2),
        room="Большой зал",
    )
    seminar.sessions = [running]
    db.session.add(seminar)
    db.session.flush()
    course = db.session.scalar(sa.select(Course).where(Course.key == "ex-course"))
    db.session.add(SessionLink(session_id=running.id, course_id=course.id, relation="prepare"))
    attendance.mark(running, boris, "late", "пробки", by=igor)
    attendance.check_in(running, vera)
    return attendance.current_token(running)[0]


def _violations(page: Page) -> list[str]:
    """axe-core's violations of any impact, one readable line per rule."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    result = page.evaluate("async () => await window.axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:4]}"
        for v in result["violations"]
    ]


# The outermost elements sticking out past the window's right edge: what to fix.
WIDEST = """(width) => [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > width + 1
            && !(el.parentElement.getBoundingClientRect().right > width + 1))
    .slice(0, 4).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
            + [...el.classList].map(c => '.' + c).join('')
            + ' in ' + el.parentElement.tagName.toLowerCase()
            + [...el.parentElement.classList].map(c => '.' + c).join(''))"""


def check_page(page: Page) -> list[str]:
    """Problems of the page as it is: sideways scrolling and axe-core violations."""
    problems: list[str] = []
    for width in sorted(set(AXE_WIDTHS) | set(FIT_WIDTHS), reverse=True):
        page.set_viewport_size({"width": width, "height": 900})
        if width in FIT_WIDTHS:
            scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
            if scroll_width > width:
                wide = page.evaluate(WIDEST, width)
                problems.append(f"{width}px: page is {scroll_width}px wide; wide: {wide}")
        if width in AXE_WIDTHS:
            problems += [f"{width}px axe: {line}" for line in _violations(page)]
    return problems


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(DEFAULT_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Войти").click()
    expect(page.get_by_role("button", name="Выйти")).to_be_visible()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("role", list(WALK))
def test_every_page(browser: Browser, app, live_server, site, role, mode, capsys):
    context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    if mode == "low-vision":
        host = live_server.split("//")[1].split(":")[0]
        context.add_cookies([{"name": "lv", "value": "1", "domain": host, "path": "/"}])
    page = context.new_page()
    started = time.monotonic()
    problems: list[str] = []
    try:
        if role == "anonymous":
            page.goto(f"{live_server}/login")
        else:
            sign_in(page, live_server, USERNAMES[role])
        if mode == "en":
            page.get_by_role("button", name="English").click()
            expect(page.locator("html")).to_have_attribute("lang", "en")
        with app.test_request_context():
            paths = [url_for(endpoint, **args(site)) for endpoint, args in WALK[role]]
        for path in paths:
            response = page.goto(live_server + path)
            if response is None or response.status != 200:
                problems.append(f"{path}: HTTP {response.status if response else '?'}")
                continue
            if urlsplit(page.url).path != path:  # a redirect: the page itself was not walked
                problems.append(f"{path}: redirected to {page.url}")
                continue
            expect(page.locator("html")).to_have_attribute("lang", "en" if mode == "en" else "ru")
            problems += [f"{path} {line}" for line in check_page(page)]
            if SHOTS:  # to look at the phone layout of every page: WALK_SCREENSHOTS=/tmp/walk
                page.set_viewport_size({"width": 320, "height": 900})
                name = f"{role}-{mode}-{path.strip('/').replace('/', '_') or 'home'}.png"
                page.screenshot(path=str(SHOTS / name), full_page=True)
    finally:
        context.close()
    with capsys.disabled():
        print(f"\n[walk] {role}/{mode}: {len(paths)} pages in {time.monotonic() - started:.1f}s")
    assert problems == [], f"{role}/{mode}:\n" + "\n".join(problems)
