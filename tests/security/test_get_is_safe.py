"""No state change on GET: every page of the app, as anonymous and as every role, over a school with
rows of every kind, writes nothing but the view-tracking rows listed in getwalk.ALLOWED_WRITES.

URLs come from the app's own rule map (so a new page is walked as soon as it exists; one whose
parameters have no sample below fails until it is given one) plus the same-site links each page
shows, which is how actions written as links (`?take_over=1`) are found.
"""

from __future__ import annotations

import io
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from lms.accounts.models import User
from lms.accounts.services import create_user, send_invitation
from lms.accounts.tokens import Purpose, make_token
from lms.audit.models import AuditEvent
from lms.audit.services import record
from lms.authoring.history import record_publish
from lms.certificates.models import Certificate
from lms.content.models import Course, Lesson
from lms.core.time import utcnow
from lms.core.transactions import start_writing
from lms.exercises.models import Attachment, Playthrough, Submission
from lms.extensions import db
from lms.mail.models import OutboxMessage
from lms.onboarding.services import store_upload
from lms.progress import cohorts
from lms.progress.services import complete_lesson
from lms.quizzes.models import Attempt
from lms.seminars import attendance
from lms.seminars import links as seminar_links
from lms.seminars import manage as seminar_manage
from lms.seminars import materials as seminar_materials
from lms.seminars.models import Seminar, SeminarInvite, SeminarSession
from tests.exercises.files import pdf
from tests.security.browsers import ASSIGNMENT, QUIZ, SCENARIO, page_token, signed_in_client
from tests.security.getwalk import ALLOWED_WRITES, get_urls, report, walk
from tests.teaching import teach

ROLES = {
    "anna": {"role": "candidate", "region": "77"},
    "igor": {"role": "instructor"},
    "olga": {"role": "coordinator"},  # national
    "pavel": {"role": "coordinator", "region": "77"},  # regional
    "root": {"role": "admin"},
}
GOOD_PATH = [0, 0, 1]


def _attendance_pages(app, users: dict) -> dict[str, list[dict]]:
    """A seminar of region 77 with a session running now, a mark from the list and a QR check-in:
    the attendance pages' URLs (the check-in link with a valid code, which must not check in on GET)."""
    now = utcnow().replace(microsecond=0)
    seminar = Seminar(key="gw", title="Семинар", starts_on=now.date(), ends_on=now.date())
    seminar.invites = [SeminarInvite(region_id="77")]
    running = SeminarSession(
        key="now", title="Занятие", starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=1)
    )
    seminar.sessions = [running]
    db.session.add(seminar)
    db.session.flush()
    vera = db.session.scalar(sa.select(User).where(User.username == "vera"))
    attendance.mark(running, vera, "late", by=db.session.get(User, users["pavel"].id))
    db.session.commit()
    with app.test_request_context():
        token = attendance.current_token(running)[0]
    key = {"key": "gw", "session_key": "now"}
    return {
        "attendance.report": [{"key": "gw"}, {"key": "gw", "region": "77"}],
        "attendance.export": [{"key": "gw", "fmt": fmt} for fmt in ("csv", "xlsx")],
        "attendance.take": [key],
        "attendance.qr": [key],
        "attendance.checkin": [{**key, "token": token}],
    }


def post(browser, path: str, data: dict | None = None, page: str | None = None):
    response = browser.post(path, data={"csrf_token": page_token(browser, page or path), **(data or {})})
    assert response.status_code == 302, (path, response.status_code)  # every action redirects (PRG)
    return response


@pytest.fixture
def school(app, imported, make_user, courses_dir):
    """A school in use: a candidate part-way through every kind of item, a cohort, staff of every
    kind, and a set-password link; the ids of it all for the walker's URLs."""
    users = {name: make_user(name, full_name=name.title(), **spec) for name, spec in ROLES.items()}
    anna = signed_in_client(app, "anna")
    anna.get("/courses/tiny-course/lessons/l-one")  # enrolled; l-two and l-three not yet seen

    post(anna, QUIZ + "/start", page=QUIZ)  # one attempt submitted (empty), one left open
    attempt = db.session.scalar(sa.select(Attempt))
    confirmed = {"confirm": "saved"}  # submit as it is, without the unanswered-questions page
    post(anna, f"/quiz-attempts/{attempt.id}/submit", confirmed, page=f"/quiz-attempts/{attempt.id}")
    post(anna, QUIZ + "/start", page=QUIZ)
    db.session.rollback()
    open_attempt = db.session.scalar(sa.select(Attempt).where(Attempt.submitted_at.is_(None)))
    # Its time ran out: the first page that looks at it closes it (an allowed write).
    db.session.execute(
        sa.update(Attempt)
        .where(Attempt.id == open_attempt.id)
        .values(deadline_at=open_attempt.started_at - timedelta(minutes=1))
    )
    db.session.commit()

    url = post(anna, SCENARIO + "/start", page=SCENARIO).headers["Location"]
    for step, reply in enumerate(GOOD_PATH):
        post(anna, url, {"step": str(step), "reply": str(reply)}, page=url)
    post(anna, SCENARIO + "/start", page=SCENARIO)  # a second, open playthrough

    values = MultiDict(
        {"csrf_token": page_token(anna, ASSIGNMENT), "text": "План", "version": "", "submit": "1"}
    )
    values.add("files", FileStorage(io.BytesIO(pdf()), filename="план.pdf"))
    boundary, body = encode_multipart(values)
    response = anna.post(ASSIGNMENT, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 302

    db.session.rollback()
    teach("igor")  # the instructor reviews every course of the school
    invited = create_user("newbie", None, "candidate", region_code="77", email="newbie@example.org")
    send_invitation(invited)  # a message in the outbox
    csv_file = "ФИО;Эл. почта;Регион\nИван Петров;ivan@example.org;77\n".encode()
    upload = store_upload(
        csv_file, "люди.csv", db.session.get(User, users["root"].id), strict=False, invite=True
    )
    db.session.commit()
    cohort = cohorts.create_cohort("Весна", region_code="77")
    cohorts.set_course(cohort, db.session.scalar(sa.select(Course).where(Course.key == "tiny-course")), None)
    cohorts.add_member(cohort, db.session.get(User, users["anna"].id))
    db.session.commit()

    # Vera finished the tiny course: a certificate, for the download, verify and revoke pages.
    vera = make_user("vera", full_name="Vera", role="candidate", region="77")
    for key in ("l-one", "l-two", "l-three"):
        complete_lesson(vera, db.session.scalar(sa.select(Lesson).where(Lesson.key == key)))
    db.session.commit()
    certificate = db.session.scalar(sa.select(Certificate))
    material = _seminar(cohort)

    # One publication from the browser editor, for the history and version pages.
    lesson_rel = "tiny-course/01-one/01-first.md"
    text = (courses_dir / lesson_rel).read_text(encoding="utf-8")
    publication = record_publish(users["igor"], "tiny-course", {lesson_rel: (text, text + "\nЕщё абзац.\n")})
    db.session.commit()

    lessons = db.session.execute(sa.select(Course.key, Lesson.key, Lesson.kind).join(Course)).all()
    samples = {
        "user_id": [users["anna"].id, users["igor"].id],
        "attempt_id": list(db.session.scalars(sa.select(Attempt.id))),
        "playthrough_id": list(db.session.scalars(sa.select(Playthrough.id))),
        "submission_id": list(db.session.scalars(sa.select(Submission.id))),
        "attachment_id": list(db.session.scalars(sa.select(Attachment.id))),
        "cohort_id": [cohort.id],
        "message_id": list(db.session.scalars(sa.select(OutboxMessage.id))),
        "import_id": [upload.id],
        "event_id": list(db.session.scalars(sa.select(AuditEvent.id).limit(3))),
        "course_key": ["tiny-course", "quiz-course", "ex-course", "survey-course"],
        "code": ["77", "50"],
        "fmt": ["csv", "xlsx"],
        "token": [make_token(users["pavel"], Purpose.RESET)],
        "filename": ["css/app.css"],
        "certificate_id": [certificate.id],
        "file_id": [file.id for file in publication.files],
        # course files for the course editor: one of each kind, and one that is no item
        "rel": [
            "tiny-course/01-one/01-first.md",
            "tiny-course/01-one/module.md",
            "quiz-course/01-osnovy/02-proverka.md",
            "ex-course/01-praktika/02-dver.md",
            "ex-course/01-praktika/03-plan.md",
        ],
        "key": ["vybory"],
        "session_key": ["s1"],
        "material_id": [material.id],
        # course folders for the structure page
        "course_dir": ["tiny-course", "ex-course"],
    }

    def items(kind: str, name: str) -> list[dict]:
        return [{"course_key": course, name: key} for course, key, item_kind in lessons if item_kind == kind]

    per_endpoint = {
        "content.lesson": [{"course_key": c, "lesson_key": k} for c, k, _ in lessons],
        "quizzes.overview": items("quiz", "quiz_key"),
        "quizzes.analysis": items("quiz", "quiz_key"),
        "exercises.scenario": items("scenario", "item_key"),
        "exercises.assignment": items("assignment", "item_key"),
        "exercises.team_assignment": items("assignment", "item_key"),
        "surveys.overview": items("survey", "survey_key"),
        "surveys.results": items("survey", "survey_key"),
        "surveys.export": [{**item, "fmt": "csv"} for item in items("survey", "survey_key")],
        "content.asset": [{"course_key": "tiny-course", "path_in_course": "01-one/img/dot.png"}],
        "content.go": [{"course_key": "tiny-course", "path_in_course": "01-one/02-second.md"}],
        "certificates.download": [{"code": certificate.code}],
        "certificates.verify_code": [{"code": certificate.code}, {"code": "no-such-code"}],
        **_attendance_pages(app, users),
    }
    browsers = {"anonymous": app.test_client(), "anna": anna}
    browsers.update({name: signed_in_client(app, name) for name in ROLES if name != "anna"})
    submission_page = f"/review/submissions/{samples['submission_id'][0]}"
    post(browsers["igor"], submission_page + "/claim", page=submission_page)  # others see it taken
    return get_urls(app, samples, per_endpoint), browsers


def _seminar(cohort):
    """A seminar for the cohort, with a session that has a linked lesson and a material."""
    seminar = seminar_manage.create_seminar(
        key="vybory", title="Выборы-2027", starts_on=date(2027, 4, 13), ends_on=date(2027, 4, 15)
    )
    seminar_manage.add_invite(seminar, cohort_id=cohort.id)
    session = seminar_manage.save_session(
        seminar,
        seminar_manage.SessionValues(key="s1", title="Открытие", day=1, starts=time(10), ends=time(11)),
    )
    seminar_links.add_link(
        seminar, session, target="tiny-course:m-one:l-one", relation="prepare", due_days=-1
    )
    material = seminar_materials.add_material(
        seminar, session, title="Слайды", filename="слайды.pdf", data=pdf()
    )
    db.session.commit()
    return material


def test_no_page_writes_anything_but_view_tracking(school):
    urls, browsers = school
    visits = walk(browsers, urls)
    problems = report(visits)
    assert not problems, "pages that wrote on GET:\n" + problems
    # The walk reached what it claims to: every role, pages that answered, and the allowed writes
    # that prove the writes were watched (a first lesson view, a deadline closing an attempt).
    assert {visit.who for visit in visits} == {"anonymous", *ROLES}
    assert sum(visit.status == 200 for visit in visits) > 100
    written = {write for visit in visits for write in visit.writes}
    assert {("INSERT", "lesson_progress"), ("UPDATE", "quiz_attempts")} <= written
    assert not any("take_over" in visit.url for visit in visits)  # no page offers it as a link any more


def test_no_page_gives_one_id_to_two_elements(school):
    """Every page, as every role: each id names one element. Labels, skip links, ARIA references
    and scripts look an id up and get the first; content (a heading, a footnote) must not take one."""
    urls, browsers = school
    visits = walk(browsers, urls)
    repeated = sorted({f"{v.url}: {', '.join(v.repeated_ids)}" for v in visits if v.repeated_ids})
    assert not repeated, "pages with an id on two elements:\n" + "\n".join(repeated)
    assert sum(visit.status == 200 for visit in visits) > 100


@pytest.mark.own_app
def test_the_walker_catches_a_page_that_writes(app, make_user):
    """The check can fail: throwaway pages that write are reported, with what they wrote. They say
    that they write (`start_writing`, as a page recording an export does): a write a page does not
    announce is refused by its transaction itself (tests/core/test_transactions.py)."""
    make_user("anna")

    @app.get("/probe/writes")
    def probe_writes():
        start_writing()
        db.session.execute(sa.update(User).values(full_name="changed by a GET"))
        db.session.commit()
        return "ok"

    @app.get("/probe/audit")
    def probe_audit():
        start_writing()
        record("user.update", target_type="user", target_label="anna")
        db.session.commit()
        return "ok"

    @app.get("/probe/export")
    def probe_export():
        start_writing()
        record("export.region", target_type="region", target_label="77")
        db.session.commit()
        return "ok"

    @app.get("/probe/reads")
    def probe_reads():
        return str(db.session.scalar(sa.select(sa.func.count()).select_from(User)))

    @app.get("/probe/links")
    def probe_links():
        return '<a href="/probe/writes?via=link">a link that writes</a>', 200, {"Content-Type": "text/html"}

    urls = ["/probe/reads", "/probe/export", "/probe/audit", "/probe/links"]
    visits = walk({"anonymous": app.test_client()}, urls)
    flagged = {visit.url: visit.problems for visit in visits if visit.problems}
    assert flagged == {
        "/probe/audit": ["audit record user.update"],
        "/probe/writes?via=link": ["UPDATE users"],
    }
    assert ("INSERT", "audit_events") in ALLOWED_WRITES
