"""The assignment page, served as the lesson page is: one statement for the session, the
assignment and the candidate's work with its history (one more for its files, if any), the
assignment itself from cached fragments, and nothing personal inside them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from lms.accounts.models import User
from lms.content.sync import sync_tree
from lms.exercises.models import ReviewEvent, Submission
from lms.extensions import db
from lms.progress import gates
from lms.progress.models import Enrolment, LessonProgress
from tests.content.test_gates import add_front_matter
from tests.exercises.files import pdf
from tests.exercises.test_views import ASSIGNMENT, claim, fresh, grade_form, submit_work
from tests.statements import Statements
from tests.teaching import teach


def reimport(courses_dir: Path, path: str, old: str, new: str) -> None:
    file = courses_dir / "ex-course" / path
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new), encoding="utf-8")
    db.session.rollback()
    sync_tree(courses_dir)
    db.session.commit()


def return_work(auth, scores: dict, comment: str, author: str = "anna") -> None:
    """Igor claims the author's submission and returns it with these marks."""
    auth.login("igor")
    fresh()
    submission = db.session.scalar(
        sa.select(Submission).join(User, User.id == Submission.user_id).where(User.username == author)
    )
    claim(auth, submission.id)
    fresh()
    version = db.session.get(Submission, submission.id).version
    assert grade_form(auth, submission.id, version, "return", scores, comment).status_code == 302
    auth.logout()


# --- statements --------------------------------------------------------------------------------


def test_a_repeat_visit_sends_one_select_and_no_begin(client, auth, assignment_item, make_user):
    make_user("anna")
    auth.login("anna")
    client.get(ASSIGNMENT)  # the first visit enrols and records the view
    with Statements() as statements:
        assert client.get(ASSIGNMENT).status_code == 200
    assert statements.verbs == ["SELECT"], statements.sql


def test_submitted_work_is_read_in_the_same_select_and_its_files_in_one_more(
    client, auth, assignment_item, make_user
):
    make_user("anna")
    auth.login("anna")
    assert submit_work(auth, text="Мой план").status_code == 302
    client.get(ASSIGNMENT)
    with Statements() as statements:
        html = client.get(ASSIGNMENT).get_data(as_text=True)
    assert statements.verbs == ["SELECT"], statements.sql
    assert 'id="submission-status">отправлено<' in html and "Мой план" in html

    fresh()
    db.session.execute(sa.update(Submission).values(status="returned"))  # editable again
    db.session.commit()
    version = str(db.session.scalar(sa.select(Submission.version)))
    assert submit_work(auth, text="Мой план", files=[("план.pdf", pdf())], version=version).status_code == 302
    with Statements() as statements:
        html = client.get(ASSIGNMENT).get_data(as_text=True)
    assert statements.verbs == ["SELECT", "SELECT"], statements.sql
    assert "план.pdf" in html


def test_a_visit_after_another_item_moves_the_enrolment_in_one_update(
    client, auth, assignment_item, make_user
):
    make_user("anna")
    auth.login("anna")
    client.get(ASSIGNMENT)
    client.get("/courses/ex-course/lessons/ex-urok")
    with Statements() as statements:
        assert client.get(ASSIGNMENT).status_code == 200
    assert statements.verbs == ["SELECT", "UPDATE"], statements.sql
    fresh()
    enrolment = db.session.scalar(sa.select(Enrolment))
    assert enrolment.last_lesson_id == assignment_item.id


def test_a_first_visit_writes_in_one_transaction(client, auth, assignment_item, make_user):
    make_user("anna")
    auth.login("anna")
    with Statements() as statements:
        assert client.get(ASSIGNMENT).status_code == 200
    writes = [index for index, verb in enumerate(statements.verbs) if verb in ("INSERT", "UPDATE")]
    assert writes
    if db.engine.dialect.name == "sqlite":
        begins = [index for index, sql in enumerate(statements.sql) if sql.upper() == "BEGIN IMMEDIATE"]
        assert len(begins) == 1 and begins[0] < writes[0], statements.sql
    fresh()
    viewed = db.session.scalar(
        sa.select(LessonProgress).where(LessonProgress.lesson_id == assignment_item.id)
    )
    assert viewed is not None and viewed.first_viewed_at is not None


# --- who may open it ---------------------------------------------------------------------------


def test_anonymous_visitors_go_to_login_and_unknown_items_are_404(client, auth, assignment_item, make_user):
    response = client.get(ASSIGNMENT)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    make_user("anna")
    auth.login("anna")
    assert client.get("/courses/ex-course/assignments/no-such").status_code == 404
    assert client.get("/courses/no-such/assignments/as-plan").status_code == 404
    assert client.get("/courses/ex-course/assignments/sc-door").status_code == 404  # a scenario's key
    auth.logout()
    assert client.get(ASSIGNMENT).status_code == 302  # the signed-out cookie opens nothing


def test_a_closed_course_keeps_its_assignment_closed_to_candidates_only(client, auth, courses_dir, make_user):
    add_front_matter(
        courses_dir / "ex-course" / "course.md",
        f"opens: {(gates.school_today() + timedelta(days=1)).isoformat()}",
    )
    sync_tree(courses_dir)
    db.session.commit()
    make_user("anna")
    make_user("igor", role="instructor")
    auth.login("anna")
    assert client.get(ASSIGNMENT).status_code == 403
    fresh()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LessonProgress)) == 0
    auth.logout()
    auth.login("igor")
    html = client.get(ASSIGNMENT).get_data(as_text=True)
    assert "Структура плана" in html and 'class="submission-form"' not in html


# --- the cache never shows one person's work to another -----------------------------------------


def test_each_candidate_sees_their_own_work_status_and_marks(client, auth, assignment_item, make_user):
    make_user("anna")
    make_user("boris")
    make_user("igor", role="instructor")
    teach("igor")
    auth.login("anna")
    assert submit_work(auth, text="Анин план встречи").status_code == 302
    auth.logout()
    return_work(auth, {"structure": 2, "law": 0, "contact": 1}, "Анне: согласуйте место.")
    auth.login("boris")
    assert submit_work(auth, text="Борин черновик", submit=False).status_code == 302
    auth.logout()

    for _ in range(2):  # the second round is served from warm fragments
        auth.login("anna")
        html = client.get(ASSIGNMENT).get_data(as_text=True)
        assert "возвращено на доработку" in html and "Анин план встречи" in html
        assert "Анне: согласуйте место." in html and "Комментарий к law" in html
        assert html.count('class="level-chosen"') == 3 and "Борин" not in html
        auth.logout()

        auth.login("boris")
        html = client.get(ASSIGNMENT).get_data(as_text=True)
        assert 'id="submission-status">черновик<' in html and "Борин черновик" in html
        assert "Анин" not in html and "Анне" not in html and "Комментарий к" not in html
        assert 'class="level-chosen"' not in html and "Структура плана" in html
        auth.logout()

        auth.login("igor")  # staff preview the page: the rubric, nobody's work
        html = client.get(ASSIGNMENT).get_data(as_text=True)
        assert "Структура плана" in html and "submission-status" not in html
        assert "Анин" not in html and "Борин" not in html and 'class="level-chosen"' not in html
        auth.logout()


def test_marks_without_comments_come_from_fragments_keyed_by_the_points(
    client, auth, assignment_item, make_user
):
    """Without comments on criteria the whole rubric is one fragment per set of points chosen."""
    for name in ("anna", "boris"):
        make_user(name)
        auth.login(name)
        assert submit_work(auth, text=f"План, автор {name}").status_code == 302
        auth.logout()
    make_user("igor", role="instructor")
    teach("igor")
    return_work(auth, {"structure": 2, "law": 0, "contact": 1}, "Анне: доработайте.", author="anna")
    return_work(auth, {"structure": 4, "law": 3, "contact": 2}, "Борису: почти готово.", author="boris")
    fresh()
    db.session.execute(sa.update(ReviewEvent).values(criterion_comments=None))
    db.session.commit()
    for _ in range(2):
        auth.login("anna")
        html = client.get(ASSIGNMENT).get_data(as_text=True)
        assert "✓ <strong>2 б.</strong>" in html and "✓ <strong>4 б.</strong>" not in html
        assert "Анне: доработайте." in html and "Борису" not in html
        auth.logout()
        auth.login("boris")
        html = client.get(ASSIGNMENT).get_data(as_text=True)
        assert "✓ <strong>4 б.</strong>" in html and "✓ <strong>1 б.</strong>" not in html
        assert "Борису: почти готово." in html and "Анне" not in html
        auth.logout()


def test_the_form_carries_each_reader_s_own_token_and_version(client, auth, assignment_item, make_user):
    make_user("anna")
    make_user("boris")
    auth.login("anna")
    submit_work(auth, text="Первый черновик", submit=False)
    fresh()
    version = db.session.scalar(sa.select(Submission.version))
    submit_work(auth, text="Второй черновик", submit=False, version=str(version))
    anna_token = auth.csrf(ASSIGNMENT)
    fresh()
    version = db.session.scalar(sa.select(Submission.version))
    html = client.get(ASSIGNMENT).get_data(as_text=True)
    assert f'name="version" type="hidden" value="{version}"' in html and "Второй черновик" in html
    auth.logout()
    auth.login("boris")
    html = client.get(ASSIGNMENT).get_data(as_text=True)
    assert 'name="version" type="hidden" value=""' in html and anna_token not in html
    assert submit_work(auth, text="Мой план").status_code == 302  # boris's token is good for boris


# --- a content change shows at once --------------------------------------------------------------


def test_a_changed_assignment_shows_at_once(client, auth, assignment_item, make_user, courses_dir):
    make_user("anna")
    auth.login("anna")
    html = client.get(ASSIGNMENT).get_data(as_text=True)
    assert "План дворовой встречи" in html and "Составьте <strong>план</strong>" in html
    reimport(
        courses_dir, "01-praktika/03-plan.md", "title: План дворовой встречи", "title: План встречи во дворе"
    )
    reimport(courses_dir, "01-praktika/03-plan.md", "Составьте **план**", "Напишите **план**")
    reimport(courses_dir, "01-praktika/03-plan.md", "- 1: Есть лист контактов", "- 1: Есть список контактов")
    html = client.get(ASSIGNMENT).get_data(as_text=True)
    assert "План встречи во дворе" in html and "План дворовой встречи" not in html
    assert "Напишите <strong>план</strong>" in html and "Составьте" not in html
    assert "Есть список контактов</li>" in html and "Есть лист контактов</li>" not in html


def test_a_renamed_module_shows_in_the_breadcrumbs_at_once(
    client, auth, assignment_item, make_user, courses_dir
):
    make_user("anna")
    auth.login("anna")
    module = (courses_dir / "ex-course" / "01-praktika" / "module.md").read_text(encoding="utf-8")
    title = next(line for line in module.splitlines() if line.startswith("title:"))
    assert title.removeprefix("title:").strip() in client.get(ASSIGNMENT).get_data(as_text=True)
    reimport(courses_dir, "01-praktika/module.md", title, "title: Новое название модуля")
    assert "Новое название модуля" in client.get(ASSIGNMENT).get_data(as_text=True)


def test_headings_and_ids_in_the_text_never_take_the_page_s_own_ids(
    client, auth, assignment_item, make_user, courses_dir
):
    """An English heading "Text", or an author's raw `id`, would otherwise give two elements the id
    of the answer's textarea: its label would name the heading, and scripts would find the wrong one."""
    make_user("anna")
    auth.login("anna")
    reimport(
        courses_dir,
        "01-praktika/03-plan.md",
        "Образец — в [уроке](01-urok.md).",
        'Образец — в [уроке](01-urok.md).\n\n## Text\n\nSee [above](#text). <a id="word-count">x</a>',
    )
    html = client.get(ASSIGNMENT).get_data(as_text=True)
    assert html.count('id="text"') == 1 and '<textarea aria-describedby="word-count" id="text"' in html
    assert html.count('id="word-count"') == 1
    assert '<h2 id="content-text">Text</h2>' in html and '<a href="#content-text">above</a>' in html
    assert '<a id="content-word-count">x</a>' in html


def test_the_answer_s_ids_are_its_own_beside_the_assignment_s():
    """The task and the candidate's answer share the page and may share a heading."""
    from lms.exercises.services import render_answer

    html = render_answer("## Критерии\n\nТекст[^1]\n\n[^1]: Сноска")
    assert '<h2 id="content-answer-критерии">Критерии</h2>' in html
    assert '<sup id="content-answer-fnref:1"><a class="footnote-ref" href="#content-answer-fn:1">' in html
    assert '<li id="content-answer-fn:1">' in html and 'href="#content-answer-fnref:1"' in html
