"""Two interchangeable nodes behind an imagined balancer: whatever one node did, the other knows.

Each test alternates one browser (one cookie jar) between node A and node B, both gunicorn
processes on the same PostgreSQL (directly, or through PgBouncer) and the same S3 bucket.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from lms.extensions import db
from lms.quizzes.models import Attempt
from tests.cluster.conftest import Browser
from tests.exercises.files import pdf

# One worker runs the cluster's tests, so the nodes start once per variant, not once per worker.
pytestmark = pytest.mark.xdist_group("cluster")

LESSON = "/courses/ex-course/lessons/ex-urok"
ASSIGNMENT = "/courses/ex-course/assignments/as-plan"
QUIZ = "/courses/quiz-course/quizzes/q-all"


def _signed_in(browser: Browser, node) -> bool:
    response = browser.get(node, "/account")
    return response.status_code == 200


def test_a_sign_in_on_a_holds_on_b_and_a_sign_out_on_b_ends_it_on_a(cluster, browser):
    assert browser.login(cluster.a, "anna").status_code == 302
    assert _signed_in(browser, cluster.b)
    assert browser.post(cluster.b, "/logout", page="/account").status_code == 302
    response = browser.get(cluster.a, "/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_throttling_counts_the_attempts_made_on_both_nodes(cluster):
    # Five wrong passwords (LOGIN_MAX_FAILURES) spread over both nodes, each from a fresh browser.
    statuses = [
        Browser().login(node, "boris", "wrong-password-1").status_code
        for node in (cluster.a, cluster.b, cluster.a, cluster.b, cluster.a)
    ]
    assert statuses == [200] * 5
    # The right password is refused now on either node: the count lives in the shared database.
    assert Browser().login(cluster.b, "boris").status_code == 429
    assert Browser().login(cluster.a, "boris").status_code == 429


def test_an_attachment_uploaded_on_a_downloads_on_b(cluster, browser, db_app):
    from lms.exercises.models import Attachment

    browser.login(cluster.a, "anna")
    token = browser.csrf(cluster.a.url + ASSIGNMENT)
    document = pdf() + b"% node A\n"
    response = browser.http.post(
        cluster.a.url + ASSIGNMENT,
        data={"csrf_token": token, "text": "План встречи во дворе", "save": "1"},
        files={"files": ("План.pdf", document, "application/pdf")},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302
    (attachment,) = db.session.scalars(sa.select(Attachment)).all()
    url = f"/submissions/{attachment.submission_id}/files/{attachment.id}?download"
    downloaded = browser.get(cluster.b, url)
    assert downloaded.status_code == 200 and downloaded.content == document
    assert Browser().get(cluster.b, url).status_code == 302  # and not to a stranger: sign in first


def test_a_course_imported_through_a_shows_on_b_at_once(cluster, browser):
    browser.login(cluster.b, "anna")
    before = browser.get(cluster.b, LESSON)
    assert before.status_code == 200 and "Представьтесь" in before.text  # B has cached its parts
    lesson_file = cluster.courses_dir / "ex-course" / "01-praktika" / "01-urok.md"
    original = lesson_file.read_text(encoding="utf-8")
    lesson_file.write_text(
        original.replace("Представьтесь", "Поздоровайтесь, представьтесь"), encoding="utf-8"
    )
    try:
        imported = cluster.flask("lms", "import")
        assert imported.returncode == 0, imported.stderr
        after = browser.get(cluster.b, LESSON)
        assert after.status_code == 200 and "Поздоровайтесь, представьтесь" in after.text
    finally:
        lesson_file.write_text(original, encoding="utf-8")
        assert cluster.flask("lms", "import").returncode == 0


def test_a_course_image_is_served_by_a_node_without_the_courses_folder(cluster, browser):
    """Node B was started with COURSES_DIR pointing nowhere: the image comes from the bucket."""
    from tests.cluster.conftest import FIXTURES

    image = (FIXTURES / "exercises" / "ex-course" / "01-praktika" / "img" / "dot.png").read_bytes()
    browser.login(cluster.b, "anna")
    response = browser.get(cluster.b, "/courses/ex-course/assets/01-praktika/img/dot.png")
    assert response.status_code == 200 and response.content == image
    assert response.headers["Content-Type"] == "image/png"
    assert not (cluster.courses_dir.parent / "absent").exists()


def _start_quiz(browser: Browser, node) -> int:
    response = browser.post(node, QUIZ + "/start", page=QUIZ)
    assert response.status_code == 302 and "/quiz-attempts/" in response.headers["Location"], response.text[
        :300
    ]
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def test_a_quiz_submitted_once_to_each_node_makes_one_attempt(cluster, db_app):
    browser = Browser()
    browser.login(cluster.a, "anna")
    attempt_id = _start_quiz(browser, cluster.a)
    page = f"/quiz-attempts/{attempt_id}"
    tokens = {node.name: browser.csrf(node.url + page) for node in (cluster.a, cluster.b)}
    barrier = threading.Barrier(2)

    def submit(node) -> int:
        barrier.wait()
        return browser.http.post(
            f"{node.url}{page}/submit",
            data={"csrf_token": tokens[node.name], "confirm": "1"},
            allow_redirects=False,
            timeout=30,
        ).status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = list(pool.map(submit, (cluster.a, cluster.b)))
    assert statuses == [302, 302]  # both answered with the result page
    attempts = db.session.scalars(sa.select(Attempt).where(Attempt.id == attempt_id)).all()
    assert len(attempts) == 1 and attempts[0].submitted_at is not None
    submitted = db.session.scalar(
        sa.select(sa.func.count()).select_from(Attempt).where(Attempt.submitted_at.is_not(None))
    )
    assert submitted == 1


def test_killing_a_node_mid_request_loses_nothing_acknowledged(cluster, db_app):
    """Twenty candidates start and submit the quiz, half on a node that is killed (SIGKILL) while
    they do. Every submit that was answered is stored. Those whose request failed open the quiz
    again on node B: whoever's submit had been stored before the kill sees it, the others finish
    the attempt they had open (or a new one), and each ends with exactly one submitted attempt."""
    from lms.accounts.services import create_user
    from tests.conftest import DEFAULT_PASSWORD

    names = [f"kand{index:02d}" for index in range(20)]
    for name in names:
        create_user(name, DEFAULT_PASSWORD, "candidate", region_code="77")
    db.session.commit()
    doomed = cluster.node("A2")
    doomed.start()
    acknowledged: list[str] = []
    lost: list[str] = []
    started = threading.Event()

    def take_quiz(name: str, node) -> None:
        browser = Browser()
        browser.login(node, name)
        attempt_id = _start_quiz(browser, node)
        page = f"/quiz-attempts/{attempt_id}"
        token = browser.csrf(node.url + page)
        started.set()
        response = browser.http.post(
            f"{node.url}{page}/submit",
            data={"csrf_token": token, "confirm": "1"},
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code == 302
        acknowledged.append(name)

    def attempt(name: str, node) -> None:
        try:
            take_quiz(name, node)
        except (requests.RequestException, AssertionError):
            lost.append(name)

    threads = [
        threading.Thread(target=attempt, args=(name, doomed if index % 2 == 0 else cluster.b))
        for index, name in enumerate(names)
    ]
    for thread in threads:
        thread.start()
    started.wait(timeout=30)
    doomed.kill()
    for thread in threads:
        thread.join(timeout=60)
    assert lost, "the kill came too late to interrupt anything"
    from lms.accounts.models import User

    def submitted(name: str) -> int:
        db.session.expire_all()
        return db.session.scalar(
            sa.select(sa.func.count(Attempt.id))
            .join(User, Attempt.user_id == User.id)
            .where(User.username == name, Attempt.submitted_at.is_not(None))
        )

    assert all(submitted(name) == 1 for name in acknowledged)
    for name in lost:  # the person tries again; the balancer sends them to the surviving node
        if submitted(name) == 0:
            take_quiz(name, cluster.b)
    db.session.expire_all()

    per_user = dict(
        db.session.execute(
            sa.select(User.username, sa.func.count(Attempt.id))
            .join(Attempt, Attempt.user_id == User.id)
            .where(User.username.in_(names), Attempt.submitted_at.is_not(None))
            .group_by(User.username)
        ).all()
    )
    assert per_user == {name: 1 for name in names}
