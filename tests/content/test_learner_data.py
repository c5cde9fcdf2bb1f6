"""Learner data is never lost: re-importing a changed course tree keeps progress, attempts and
submissions, archives removed items with their data, and flags (never silently regrades) a
question whose answer key changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEvent
from lms.content.models import Lesson
from lms.content.sync import sync_tree
from lms.exercises import services as exercises
from lms.exercises.models import Playthrough, Submission
from lms.extensions import db
from lms.progress import services as progress
from lms.progress.models import Enrolment, LessonProgress
from lms.quizzes import regrade
from lms.quizzes import services as quizzes
from lms.quizzes.models import Attempt, AttemptAnswer, QuestionVersion
from tests.quizzes.conftest import full_form
from tests.security.browsers import ASSIGNMENT, page_token, signed_in_client

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "courses"
QUIZ_FILE = "quiz-course/01-osnovy/02-proverka.md"
LESSON_FILE = "quiz-course/01-osnovy/01-urok.md"
QUIZ_MODULE = "quiz-course/01-osnovy/module.md"
EX_MODULE = "ex-course/01-praktika/module.md"


@pytest.fixture
def courses_dir(tmp_path) -> Path:
    """Two courses: a lesson and a quiz with every question type; a scenario and an assignment."""
    target = tmp_path / "courses"
    shutil.copytree(FIXTURES / "quiz", target)
    shutil.copytree(FIXTURES / "exercises", target, dirs_exist_ok=True)
    return target


@pytest.fixture
def app(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return app


def item(key: str) -> Lesson:
    return db.session.scalar(sa.select(Lesson).where(Lesson.key == key))


def rewrite(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def reimport(root: Path):
    report = sync_tree(root)
    db.session.commit()
    return report


def submitted_attempt(user, quiz: Lesson, *, right: bool = True) -> Attempt:
    attempt = quizzes.start_attempt(user, quiz)
    quizzes.submit_attempt(attempt, full_form(quiz, attempt, right=right))
    db.session.commit()
    return attempt


@pytest.fixture
def candidate(make_user):
    return make_user("kandidat")


def test_progress_stays_when_a_lesson_text_changes(app, courses_dir, imported, candidate):
    lesson = item("quiz-lesson")
    progress.enrol(candidate, lesson.course)
    progress.complete_lesson(candidate, lesson)
    db.session.commit()
    lesson_id, version = lesson.id, lesson.version

    rewrite(courses_dir, LESSON_FILE, "Все средства", "Абсолютно все средства")
    report = reimport(courses_dir)

    assert report.changed == ["lesson quiz-lesson"]
    db.session.expire_all()
    assert item("quiz-lesson").id == lesson_id and item("quiz-lesson").version == version + 1
    row = db.session.scalar(sa.select(LessonProgress).where(LessonProgress.user_id == candidate.id))
    assert row.lesson_id == lesson_id and row.completed_at is not None
    enrolment = db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == candidate.id))
    assert enrolment.lessons_done == 1


def test_attempts_keep_their_question_versions_and_scores(app, courses_dir, imported, candidate):
    quiz = item("q-all")
    attempt = submitted_attempt(candidate, quiz, right=True)
    layout = [dict(entry) for entry in attempt.layout]
    answers = {a.question_key: (a.question_version_id, a.credit, a.response) for a in attempt.answers}
    score, percent = attempt.score, attempt.percent
    old_prompt = db.session.get(QuestionVersion, answers["anonim"][0]).data["prompt_html"]

    rewrite(courses_dir, QUIZ_FILE, "Анонимные пожертвования можно", "Пожертвования без имени можно")
    rewrite(courses_dir, QUIZ_FILE, "= неверно", "= верно")
    reimport(courses_dir)

    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.layout == layout
    assert {a.question_key: (a.question_version_id, a.credit, a.response) for a in attempt.answers} == answers
    assert (attempt.score, attempt.percent) == (score, percent)
    served = db.session.get(QuestionVersion, answers["anonim"][0])
    assert served.data["prompt_html"] == old_prompt and served.data["answer"] == {"value": False}
    current = {q["key"]: q for q in item("q-all").payload["questions"]}
    assert current["anonim"]["answer"] == {"value": True}
    assert current["anonim"]["hash"] != served.content_hash


def test_removed_items_are_archived_with_their_data(app, courses_dir, imported, candidate):
    quiz, scenario, assignment = item("q-all"), item("sc-door"), item("as-plan")
    attempt = submitted_attempt(candidate, quiz, right=False)  # failed, never opened: no progress
    playthrough = exercises.start_playthrough(candidate, scenario)
    submission = exercises.save_submission(
        candidate, assignment, text="План встречи", uploads=[], remove_ids=[], submit=True
    )
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LessonProgress)) == 0
    ids = {"quiz": quiz.id, "scenario": scenario.id, "assignment": assignment.id}
    kept = (attempt.id, playthrough.id, submission.id)

    rewrite(courses_dir, QUIZ_MODULE, "  - 02-proverka.md\n", "")
    (courses_dir / QUIZ_FILE).unlink()
    for name in ("02-dver.md", "03-plan.md"):
        rewrite(courses_dir, EX_MODULE, f"  - {name}\n", "")
        (courses_dir / "ex-course/01-praktika" / name).unlink()
    report = reimport(courses_dir)

    assert {"lesson q-all", "lesson sc-door", "lesson as-plan"} <= set(report.archived)
    assert report.deleted == []
    db.session.expire_all()
    for key, lesson_id in ids.items():
        row = db.session.get(Lesson, lesson_id)
        assert row is not None and row.archived_at is not None, key
    attempt = db.session.get(Attempt, kept[0])
    assert attempt.quiz_id == ids["quiz"] and attempt.score is not None and len(attempt.answers) == 8
    assert len(quizzes.attempt_questions(attempt)) == 8  # the served questions are still readable
    assert db.session.get(Playthrough, kept[1]).item_id == ids["scenario"]
    submission = db.session.get(Submission, kept[2])
    assert submission.status == "submitted" and submission.text_md == "План встречи"


def test_unused_removed_item_is_still_deleted(app, courses_dir, imported):
    rewrite(courses_dir, QUIZ_MODULE, "  - 02-proverka.md\n", "")
    (courses_dir / QUIZ_FILE).unlink()
    report = reimport(courses_dir)
    assert report.deleted == ["lesson q-all"] and item("q-all") is None


def test_changed_answer_key_is_flagged_not_regraded(app, courses_dir, imported, candidate):
    quiz = item("q-all")
    attempt = submitted_attempt(candidate, quiz, right=True)
    credit = {a.question_key: a.credit for a in attempt.answers}
    assert credit["anonim"] == 1.0
    score = attempt.score

    rewrite(courses_dir, QUIZ_FILE, "= неверно", "= верно")
    reimport(courses_dir)

    db.session.expire_all()
    flags = regrade.open_flags(item("q-all"))
    assert [flag.question_key for flag in flags] == ["anonim"]
    assert flags[0].attempts == 1
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.score == score, "nothing is regraded by an import"
    assert {a.question_key: a.credit for a in attempt.answers} == credit


def test_an_attempt_open_when_the_key_changed_is_flagged_once_submitted(
    app, courses_dir, imported, candidate
):
    """Graded by the key it was served, as before the import; staff are told as for earlier ones."""
    attempt = quizzes.start_attempt(candidate, item("q-all"))
    db.session.commit()
    form = full_form(item("q-all"), attempt, right=True)  # the page the candidate has open
    rewrite(courses_dir, QUIZ_FILE, "= неверно", "= верно")
    reimport(courses_dir)
    assert regrade.open_flags(item("q-all")) == []  # nothing was graded by the old key yet

    attempt = db.session.get(Attempt, attempt.id)
    quizzes.submit_attempt(attempt, form)
    db.session.commit()
    assert {a.question_key: a.credit for a in attempt.answers}["anonim"] == 1.0  # the served key
    flags = regrade.open_flags(item("q-all"))
    assert [(flag.question_key, flag.attempts) for flag in flags] == [("anonim", 1)]


def test_wording_change_or_no_attempts_raise_no_flag(app, courses_dir, imported, candidate):
    rewrite(courses_dir, QUIZ_FILE, "= 27 ± 0,5", "= 26 ± 0,5")  # key changed, nobody answered yet
    reimport(courses_dir)
    submitted_attempt(candidate, item("q-all"))
    rewrite(courses_dir, QUIZ_FILE, "Анонимные пожертвования можно", "Пожертвования без имени можно")
    reimport(courses_dir)
    assert regrade.open_flags(item("q-all")) == []


def test_regrade_applies_the_new_key_clears_the_flag_and_is_audited(
    app, courses_dir, imported, candidate, make_user
):
    instructor = make_user("prepodavatel", role="instructor")
    quiz = item("q-all")
    attempt = submitted_attempt(candidate, quiz, right=True)
    old_score, max_score = attempt.score, attempt.max_score
    points = {a.question_key: a.version.data.get("points", 1) for a in attempt.answers}
    old_version = {a.question_key: a.question_version_id for a in attempt.answers}

    rewrite(courses_dir, QUIZ_FILE, "= неверно", "= верно")
    reimport(courses_dir)
    result = regrade.regrade_flagged(item("q-all"), instructor)
    db.session.commit()

    assert result.attempts == 1 and result.questions == ["anonim"]
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt.id)
    answers = {a.question_key: a for a in attempt.answers}
    assert answers["anonim"].credit == 0.0  # answered "false", the key now says "true"
    assert answers["anonim"].question_version_id == old_version["anonim"], "what was served stays"
    assert attempt.score == pytest.approx(old_score - points["anonim"])
    assert attempt.percent == pytest.approx(round(100 * attempt.score / max_score, 2))
    assert regrade.open_flags(item("q-all")) == []
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "quiz.regrade"))
    assert event.actor_id == instructor.id
    assert event.details["changed"] == [
        {"attempt": attempt.id, "old_score": old_score, "new_score": attempt.score}
    ]


def test_regrade_with_nothing_flagged_changes_nothing(app, courses_dir, imported, candidate, make_user):
    admin = make_user("admin1", role="admin")
    attempt = submitted_attempt(candidate, item("q-all"))
    attempt_id, score = attempt.id, attempt.score
    result = regrade.regrade_flagged(item("q-all"), admin)
    db.session.commit()
    db.session.expire_all()
    assert result.attempts == 0
    assert db.session.get(Attempt, attempt_id).score == score
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "quiz.regrade")
        )
        == 0
    )


def test_answers_of_two_old_versions_are_all_regraded(app, courses_dir, imported, make_user):
    first, second = make_user("k1"), make_user("k2")
    submitted_attempt(first, item("q-all"), right=True)
    rewrite(courses_dir, QUIZ_FILE, "= 27 ± 0,5", "= 26 ± 0,5")
    reimport(courses_dir)
    submitted_attempt(second, item("q-all"), right=True)  # answered the "26" version
    rewrite(courses_dir, QUIZ_FILE, "= 26 ± 0,5", "= 25 ± 0,5")
    reimport(courses_dir)

    assert [flag.attempts for flag in regrade.open_flags(item("q-all"))] == [2]
    regrade.regrade_flagged(item("q-all"), make_user("adm", role="admin"))
    db.session.commit()
    credits = db.session.scalars(
        sa.select(AttemptAnswer.credit).where(AttemptAnswer.question_key == "dni")
    ).all()
    assert credits == [0.0, 0.0]


def test_a_regraded_question_is_not_flagged_again(app, courses_dir, imported, candidate, make_user):
    submitted_attempt(candidate, item("q-all"))
    rewrite(courses_dir, QUIZ_FILE, "= неверно", "= верно")
    reimport(courses_dir)
    regrade.regrade_flagged(item("q-all"), make_user("adm", role="admin"))
    db.session.commit()
    rewrite(courses_dir, QUIZ_FILE, "Анонимные пожертвования можно", "Пожертвования без имени можно")
    reimport(courses_dir)
    assert regrade.open_flags(item("q-all")) == []
    rewrite(courses_dir, QUIZ_FILE, "= верно", "= неверно")  # back to the key the candidate met
    reimport(courses_dir)
    assert [flag.question_key for flag in regrade.open_flags(item("q-all"))] == ["anonim"]


def test_a_regrade_that_fails_an_attempt_undoes_its_completion(
    app, courses_dir, imported, candidate, make_user
):
    quiz = item("q-all")
    attempt = submitted_attempt(candidate, quiz, right=True)
    assert attempt.passed
    done = sa.select(LessonProgress.completed_at).where(LessonProgress.lesson_id == quiz.id)
    assert db.session.scalar(done) is not None
    for old, new in (
        ("= неверно", "= верно"),
        ("= 27 ± 0,5", "= 20 ± 0,5"),
        ("= 4..6", "= 10..12"),
        ("= Территориальная избирательная комиссия\n= ТИК", "= Избирком"),
    ):
        rewrite(courses_dir, QUIZ_FILE, old, new)
    reimport(courses_dir)
    assert db.session.scalar(done) is not None, "the import alone changes nothing"

    regrade.regrade_flagged(item("q-all"), make_user("adm", role="admin"))
    db.session.commit()
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.percent == pytest.approx(round(100 * 5 / 8.5, 2)) and attempt.passed is False
    assert db.session.scalar(done) is None
    enrolment = db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == candidate.id))
    assert enrolment.lessons_done == 0


def test_a_second_regrade_finds_nothing_to_do(app, courses_dir, imported, candidate, make_user):
    admin = make_user("adm", role="admin")
    submitted_attempt(candidate, item("q-all"))
    rewrite(courses_dir, QUIZ_FILE, "= неверно", "= верно")
    reimport(courses_dir)
    assert regrade.regrade_flagged(item("q-all"), admin).attempts == 1
    db.session.commit()
    assert regrade.regrade_flagged(item("q-all"), admin).attempts == 0  # a double click
    db.session.commit()
    events = sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "quiz.regrade")
    assert db.session.scalar(events) == 1


def test_a_page_open_across_a_rename_keeps_working_under_its_old_address(
    app, courses_dir, imported, candidate
):
    """An assignment renamed (`renamed_from`) while its page is open: the draft saved from that page
    lands on the renamed item (308 keeps the POST), and old links lead to the new address."""
    browser = signed_in_client(app, "kandidat")
    token = page_token(browser, ASSIGNMENT)  # the page as it was opened, before the re-import
    rewrite(
        courses_dir,
        "ex-course/01-praktika/03-plan.md",
        "\nid: as-plan\n",
        "\nid: as-plan-2\nrenamed_from: [as-plan]\n",
    )
    reimport(courses_dir)

    form = {"csrf_token": token, "text": "Написано до переименования", "version": "", "save": "1"}
    moved = browser.post(ASSIGNMENT, data=form)
    assert (moved.status_code, moved.headers["Location"]) == (308, ASSIGNMENT + "-2")
    # What the browser does with a 308: the same request, body and all, to the new address.
    landed = browser.post(moved.headers["Location"], data=form)
    assert landed.status_code == 302, landed.status_code
    db.session.rollback()
    submission = db.session.scalars(sa.select(Submission)).one()
    assert (submission.item.key, submission.text_md) == ("as-plan-2", "Написано до переименования")

    # Renamed again: the first id leads to the newest; the query string comes along.
    rewrite(
        courses_dir,
        "ex-course/01-praktika/03-plan.md",
        "\nid: as-plan-2\nrenamed_from: [as-plan]\n",
        "\nid: as-plan-3\nrenamed_from: [as-plan-2, as-plan]\n",
    )
    reimport(courses_dir)
    response = browser.get(ASSIGNMENT + "?tab=files&_external=1")
    assert (response.status_code, response.headers["Location"]) == (308, ASSIGNMENT + "-3?tab=files")
    assert browser.get(ASSIGNMENT + "-2").headers["Location"] == ASSIGNMENT + "-3"
    assert browser.get("/courses/ex-course/assignments/as-never").status_code == 404

    # An old id taken by a new item again leads to that item, not to the renamed one.
    rewrite(
        courses_dir,
        "ex-course/01-praktika/03-plan.md",
        "\nid: as-plan-3\nrenamed_from: [as-plan-2, as-plan]\n",
        "\nid: as-plan-3\n",
    )
    rewrite(
        courses_dir,
        "ex-course/01-praktika/02-dver.md",
        "\nid: sc-door\n",
        "\nid: as-plan\nrenamed_from: [sc-door]\n",
    )
    reimport(courses_dir)
    assert browser.get("/courses/ex-course/scenarios/as-plan").status_code == 200
    assert (
        browser.get("/courses/ex-course/scenarios/sc-door").headers["Location"]
        == "/courses/ex-course/scenarios/as-plan"
    )
