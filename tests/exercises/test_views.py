"""Scenarios and assignments through the web: play, review queue, grading, files, access."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from lms.exercises.models import Attachment, Playthrough, ReviewEvent, Submission
from lms.extensions import db
from lms.progress.models import LessonProgress
from tests.exercises.files import office, pdf
from tests.teaching import teach

SCENARIO = "/courses/ex-course/scenarios/sc-door"
ASSIGNMENT = "/courses/ex-course/assignments/as-plan"
GOOD_PATH = [0, 0, 1]  # introduce yourself → ask about the yard → honest offer and ask for a phone
BAD_PATH = [1, 1]  # monologue → leave


def fresh() -> None:
    db.session.rollback()  # end the test's read snapshot to see what requests committed


def start_playthrough(auth) -> str:
    response = auth.post(SCENARIO + "/start", page=SCENARIO)
    assert response.status_code == 302
    return response.headers["Location"]


def choose(auth, url: str, step: int, reply: int, free_text: str | None = None):
    data = {"step": str(step), "reply": str(reply)}
    if free_text is not None:
        data["free_text"] = free_text
    return auth.post(url, data, page=SCENARIO)


def completed(item) -> bool:
    fresh()
    row = db.session.scalar(sa.select(LessonProgress).where(LessonProgress.lesson_id == item.id))
    return row is not None and row.completed_at is not None


def test_good_path_completes_the_scenario(client, auth, scenario_item, make_user):
    make_user("anna")
    auth.login("anna")
    url = start_playthrough(auth)
    for step, reply in enumerate(GOOD_PATH):
        assert choose(auth, url, step, reply).status_code == 302
    html = client.get(url, follow_redirects=True).get_data(as_text=True)
    assert "Упражнение выполнено" in html
    assert re.search(r'data-competency="listening"><th scope="row">[^<]+</th><td data-score>3<', html)
    assert completed(scenario_item)


def test_bad_path_ends_without_completion_and_shows_a_stronger_reply(client, auth, scenario_item, make_user):
    make_user("anna")
    auth.login("anna")
    url = start_playthrough(auth)
    for step, reply in enumerate(BAD_PATH):
        choose(auth, url, step, reply)
    html = client.get(url, follow_redirects=True).get_data(as_text=True)
    assert "Упражнение пока не выполнено" in html
    assert "Более сильный ответ" in html
    assert not completed(scenario_item)


def test_a_repeated_choice_is_applied_once(client, auth, scenario_item, make_user):
    make_user("anna")
    auth.login("anna")
    url = start_playthrough(auth)
    choose(auth, url, 0, 0)
    choose(auth, url, 0, 0)  # double click: same step again
    choose(auth, url, 0, 1)  # a stale second tab
    fresh()
    playthrough = db.session.scalar(sa.select(Playthrough))
    assert len(playthrough.state["path"]) == 1 and playthrough.state["node"] == "vopros"


def test_reload_continues_where_the_candidate_stopped(client, auth, scenario_item, make_user):
    make_user("anna")
    auth.login("anna")
    url = start_playthrough(auth)
    choose(auth, url, 0, 0)
    assert start_playthrough(auth) == url  # "start" again resumes the same playthrough
    assert "Ну, говорите" in client.get(url).get_data(as_text=True)


def test_invalid_reply_is_a_form_error_not_a_crash(client, auth, scenario_item, make_user):
    make_user("anna")
    auth.login("anna")
    url = start_playthrough(auth)
    assert choose(auth, url, 0, 99).status_code == 400
    assert choose(auth, url, 0, 2, free_text="   ").status_code == 400  # free text left empty
    response = auth.post(url, {"step": "x", "reply": "<script>"}, page=SCENARIO)
    assert response.status_code == 302  # stale or garbage steps are ignored


def test_free_text_goes_to_the_review_queue(client, auth, scenario_item, make_user):
    make_user("anna")
    make_user("igor", role="instructor")
    teach("igor")
    auth.login("anna")
    url = start_playthrough(auth)
    choose(auth, url, 0, 2, free_text="Здравствуйте, я волонтёр кандидата. Вам удобно говорить?")
    choose(auth, url, 1, 0)
    choose(auth, url, 2, 1)
    auth.logout()
    auth.login("igor")
    html = client.get("/review").get_data(as_text=True)
    link = re.search(r'href="(/review/playthroughs/\d+)"', html)
    assert link, html
    page = client.get(link.group(1)).get_data(as_text=True)
    assert "Вам удобно говорить?" in page
    auth.post(link.group(1), {"comment": "Хорошо: вы спросили разрешения."}, page=link.group(1))
    fresh()
    assert db.session.scalar(sa.select(Playthrough)).review_status == "reviewed"
    auth.logout()
    auth.login("anna")
    assert "Хорошо: вы спросили разрешения." in client.get(url, follow_redirects=True).get_data(as_text=True)


def test_playthroughs_of_others_are_not_found(client, auth, scenario_item, make_user):
    make_user("anna")
    make_user("boris")
    auth.login("anna")
    url = start_playthrough(auth)
    auth.logout()
    auth.login("boris")
    assert client.get(url).status_code == 404
    assert client.get(url + "/debrief").status_code == 404


# --- assignments -----------------------------------------------------------------------------


def submit_work(auth, *, text: str, files=(), submit: bool = True, version: str = ""):
    """Post the assignment form as a browser does (multipart), encoded in memory.

    The test client would spool a large body to a temporary file it never closes.
    """
    values = MultiDict(
        {
            "csrf_token": auth.csrf(ASSIGNMENT),
            "text": text,
            "version": version,
            "submit" if submit else "save": "1",
        }
    )
    for name, data in files:
        values.add("files", FileStorage(io.BytesIO(data), filename=name))
    boundary, body = encode_multipart(values)
    return auth.client.post(ASSIGNMENT, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def claim(auth, submission_id: int, *, take_over: bool = False):
    """Press "Start grading" (or "Take over the review") on the grading page."""
    page = f"/review/submissions/{submission_id}"
    data = {"take_over": "1"} if take_over else {}
    response = auth.post(f"{page}/claim", data, page=page)
    assert response.status_code == 302 and response.headers["Location"] == page
    return response


def grade_form(auth, submission_id: int, version: int, decision: str, scores: dict, comment: str = ""):
    data = {"version": str(version), "decision": decision, "comment": comment}
    data.update({f"score-{key}": str(points) for key, points in scores.items()})
    data.update({f"comment-{key}": f"Комментарий к {key}" for key in scores})
    return auth.post(f"/review/submissions/{submission_id}", data, page="/review")


def test_rubric_is_visible_before_submitting(client, auth, assignment_item, make_user):
    make_user("anna")
    auth.login("anna")
    html = client.get(ASSIGNMENT).get_data(as_text=True)
    for criterion in assignment_item.payload["rubric"]:
        assert criterion["title"] in html


def test_submit_return_resubmit_accept(client, auth, assignment_item, make_user):
    make_user("anna")
    make_user("igor", role="instructor")
    teach("igor")
    auth.login("anna")
    assert submit_work(auth, text="Черновик плана", submit=False).status_code == 302
    fresh()
    draft = db.session.scalar(sa.select(Submission))
    assert draft.status == "draft"
    response = submit_work(
        auth, text="## План\n\n1. Согласовать место", files=[("план.pdf", pdf())], version=str(draft.version)
    )
    assert response.status_code == 302
    fresh()
    submission = db.session.scalar(sa.select(Submission))
    assert submission.status == "submitted" and len(submission.attachments) == 1
    auth.logout()

    auth.login("igor")
    assert f"/review/submissions/{submission.id}" in client.get("/review").get_data(as_text=True)
    html = client.get(f"/review/submissions/{submission.id}").get_data(as_text=True)
    assert 'id="claim-form"' in html and 'name="decision"' not in html
    fresh()  # opening it changed nothing
    assert db.session.get(Submission, submission.id).status == "submitted"
    claim(auth, submission.id)
    fresh()
    submission = db.session.get(Submission, submission.id)
    assert submission.status == "in_review"
    low = {"structure": 2, "law": 0, "contact": 1}
    assert grade_form(auth, submission.id, submission.version, "accept", low).status_code == 400  # below pass
    response = grade_form(
        auth, submission.id, submission.version, "return", low, "Добавьте согласование места."
    )
    assert response.status_code == 302
    auth.logout()

    auth.login("anna")
    html = client.get(ASSIGNMENT).get_data(as_text=True)
    assert "возвращено на доработку" in html and "Добавьте согласование места." in html
    assert "Комментарий к law" in html
    fresh()
    version = db.session.get(Submission, submission.id).version
    assert (
        submit_work(auth, text="## План\n\n1. Согласовать место с управой", version=str(version)).status_code
        == 302
    )
    auth.logout()

    auth.login("igor")
    claim(auth, submission.id)
    fresh()
    submission = db.session.get(Submission, submission.id)
    high = {"structure": 4, "law": 3, "contact": 2}
    assert grade_form(auth, submission.id, submission.version, "accept", high, "Отлично.").status_code == 302
    fresh()
    submission = db.session.get(Submission, submission.id)
    assert submission.status == "accepted" and submission.points == 9
    actions = [event.action for event in submission.events]
    assert actions == ["submitted", "claimed", "returned", "resubmitted", "claimed", "accepted"]
    returned = next(e for e in submission.events if e.action == "returned")
    assert returned.scores == low and returned.text_md is None
    assert submission.events[0].text_md == "## План\n\n1. Согласовать место"  # what was graded stays
    assert completed(assignment_item)


def test_a_second_instructor_is_told_and_stale_grades_are_refused(
    app, client, auth, assignment_item, make_user
):
    make_user("anna")
    make_user("igor", role="instructor")
    make_user("olga", role="instructor")
    teach("igor")
    teach("olga")
    auth.login("anna")
    submit_work(auth, text="Мой план")
    auth.logout()
    auth.login("igor")
    fresh()
    submission = db.session.scalar(sa.select(Submission))
    claim(auth, submission.id)
    fresh()
    igor_version = db.session.get(Submission, submission.id).version
    auth.logout()

    auth.login("olga")
    html = client.get(f"/review/submissions/{submission.id}").get_data(as_text=True)
    assert 'id="claim-warning"' in html and 'name="decision"' not in html
    assert client.get(f"/review/submissions/{submission.id}?take_over=1").status_code == 200
    fresh()
    assert db.session.get(Submission, submission.id).version == igor_version  # a link takes nothing
    claim(auth, submission.id)  # "Start grading" does not take it from igor either...
    html = client.get(f"/review/submissions/{submission.id}").get_data(as_text=True)
    assert 'id="claim-warning"' in html and 'name="decision"' not in html
    claim(auth, submission.id, take_over=True)  # ...the take-over button does
    html = client.get(f"/review/submissions/{submission.id}").get_data(as_text=True)
    assert 'id="claim-warning"' not in html and 'name="decision"' in html
    fresh()
    assert [event.action for event in db.session.get(Submission, submission.id).events][-1] == "taken_over"
    auth.logout()

    auth.login("igor")
    response = grade_form(
        auth, submission.id, igor_version, "accept", {"structure": 4, "law": 3, "contact": 2}
    )
    assert response.status_code == 409
    fresh()
    assert db.session.get(Submission, submission.id).status == "in_review"
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(ReviewEvent).where(ReviewEvent.action == "accepted")
        )
        == 0
    )


def test_an_instructor_off_the_course_cannot_claim_or_take_over_its_work(
    client, auth, assignment_item, make_user
):
    """Claiming is a write on the submission: only the course's staff may make it, as grading."""
    make_user("anna")
    make_user("igor", role="instructor")
    make_user("ivan", role="instructor")  # teaches no course
    teach("igor")
    auth.login("anna")
    submit_work(auth, text="Мой план")
    auth.logout()
    auth.login("igor")
    fresh()
    submission = db.session.scalar(sa.select(Submission))
    claim(auth, submission.id)
    fresh()
    before = db.session.get(Submission, submission.id)
    held = (before.reviewer_id, before.version, len(before.events))
    auth.logout()

    auth.login("ivan")
    for data in ({}, {"take_over": "1"}):
        response = auth.post(f"/review/submissions/{submission.id}/claim", data, page="/review")
        assert response.status_code == 404
    fresh()
    after = db.session.get(Submission, submission.id)
    assert (after.reviewer_id, after.version, len(after.events)) == held


def test_bad_files_are_refused_and_nothing_is_saved(client, auth, assignment_item, make_user):
    make_user("anna")
    auth.login("anna")
    cases = [
        ("script.pdf", b"<html><script>alert(1)</script>"),
        ("macro.docx", office("docx", extra={"word/vbaProject.bin": b"x"})),
        ("table.xlsx", office("xlsx")),  # xlsx is not allowed for this assignment
        ("big.pdf", pdf() + b"\0" * (6 * 1024 * 1024)),
    ]
    for name, data in cases:
        response = submit_work(auth, text="Текст", files=[(name, data)])
        assert response.status_code == 400, name
        assert "field-error" in response.get_data(as_text=True)
    fresh()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0
    submission = db.session.scalar(sa.select(Submission))
    assert submission is None or submission.status == "draft"


def test_attachments_are_private(app, client, auth, assignment_item, make_user):
    make_user("anna")
    make_user("boris")
    make_user("igor", role="instructor")
    teach("igor")
    make_user("olga", role="coordinator")
    auth.login("anna")
    submit_work(auth, text="План", files=[("план.pdf", pdf())])
    fresh()
    attachment = db.session.scalar(sa.select(Attachment))
    url = f"/submissions/{attachment.submission_id}/files/{attachment.id}"
    response = client.get(url)
    assert response.status_code == 200 and response.data == pdf()
    assert "sandbox" in response.headers["Content-Security-Policy"]
    response.close()
    for other, expected in (("boris", 404), ("olga", 404), ("igor", 200)):
        auth.logout()
        auth.login(other)
        response = client.get(url)
        assert response.status_code == expected, other
        response.close()
    auth.logout()
    assert client.get(url).status_code == 302  # anonymous: to the login page
    assert client.get(f"/submissions/{attachment.submission_id + 1}/files/{attachment.id}").status_code == 302


def test_a_double_clicked_submit_with_a_file_stores_the_file_once(client, auth, assignment_item, make_user):
    make_user("anna")
    auth.login("anna")
    for _click in range(2):  # the same form twice: the second reply is the first's success too
        response = submit_work(auth, text="План", files=[("план.pdf", pdf())])
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    fresh()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 1
    # Another file from the same old page is a change to work under review: refused.
    response = submit_work(auth, text="План", files=[("другой.pdf", pdf() + b"\n%")])
    assert response.status_code == 400
    fresh()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 1


def test_review_pages_are_for_instructors(client, auth, assignment_item, make_user):
    make_user("anna")
    auth.login("anna")
    assert client.get("/review").status_code == 403
    submit_work(auth, text="План")
    fresh()
    submission = db.session.scalar(sa.select(Submission))
    assert client.get(f"/review/submissions/{submission.id}").status_code == 403


def test_coordinator_reads_submissions_and_debriefs_without_claiming(
    client, auth, assignment_item, make_user
):
    anna = make_user("anna")
    make_user("olga", role="coordinator")
    auth.login("anna")
    submit_work(auth, text="План встречи")
    url = start_playthrough(auth)
    for step, reply in enumerate(GOOD_PATH):
        choose(auth, url, step, reply)
    auth.logout()
    auth.login("olga")
    html = client.get(f"/dashboard/candidates/{anna.id}").get_data(as_text=True)
    links = re.findall(r'href="(/dashboard/candidates/\d+/(?:submissions|playthroughs)/\d+)"', html)
    assert len(set(links)) == 2
    for link in set(links):
        assert client.get(link).status_code == 200
    fresh()
    assert db.session.scalar(sa.select(Submission)).status == "submitted"  # reading did not claim it


def test_a_file_with_a_300_character_cyrillic_name_is_accepted_and_downloads(
    client, auth, assignment_item, make_user
):
    make_user("anna")
    auth.login("anna")
    long_name = "Отчёт о встрече с жителями двора " * 10 + ".pdf"
    assert len(long_name) >= 300
    assert submit_work(auth, text="План", files=[(long_name, pdf())]).status_code == 302
    fresh()
    attachment = db.session.scalar(sa.select(Attachment))
    assert len(attachment.filename) == 150 and attachment.filename.endswith(".pdf")
    response = client.get(f"/submissions/{attachment.submission_id}/files/{attachment.id}")
    assert response.status_code == 200 and response.data == pdf()
    assert ".pdf" in response.headers["Content-Disposition"]
    response.close()


def limit_words(item, **limits) -> None:
    """Give the fixture assignment word limits, as `words:` in its front matter would."""
    item.payload = {**item.payload, "words": {"min": None, "max": None, **limits}}
    db.session.commit()


def preview_work(auth, text: str):
    data = MultiDict({"csrf_token": auth.csrf(ASSIGNMENT), "text": text, "version": "", "preview": "1"})
    boundary, body = encode_multipart(data)
    return auth.client.post(ASSIGNMENT, data=body, content_type=f"multipart/form-data; boundary={boundary}")


HOSTILE = "**План** встречи <script>alert(1)</script> [двор](javascript:alert(1))"


def test_preview_shows_the_answer_as_reviewers_do_and_saves_nothing(client, auth, assignment_item, make_user):
    make_user("anna")
    auth.login("anna")
    response = preview_work(auth, HOSTILE)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    preview = re.search(r'<section class="card answer-preview" id="answer-preview".*?</section>', html, re.S)
    assert preview and " hidden" not in preview.group(0).split(">", 1)[0]
    assert "<strong>План</strong> встречи" in preview.group(0)
    assert "<script>alert(1)" not in html and "javascript:alert" not in preview.group(0)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the text stays in the box, escaped
    fresh()
    assert db.session.scalar(sa.select(Submission)) is None  # a preview saves nothing

    assert submit_work(auth, text=HOSTILE, submit=False).status_code == 302
    fresh()
    saved = db.session.scalar(sa.select(Submission)).text_html
    assert saved in preview.group(0)  # the same Markdown and sanitiser as the stored answer
    script = auth.post(ASSIGNMENT + "/preview", {"text": HOSTILE}, page=ASSIGNMENT)
    assert script.status_code == 200 and script.json == {"html": saved, "words": 5}


def test_the_page_preview_endpoint_wants_the_csrf_token(client, auth, assignment_item, make_user):
    make_user("anna")
    auth.login("anna")
    assert client.post(ASSIGNMENT + "/preview", data={"text": "План"}).status_code == 400


def test_the_answer_box_counts_words_against_the_limits(client, auth, assignment_item, make_user):
    limit_words(assignment_item, min=5, max=8)
    make_user("anna")
    auth.login("anna")
    html = client.get(ASSIGNMENT).get_data(as_text=True)
    assert '<p id="word-count" class="word-count word-count-off"' in html
    assert ">Слов: 0 из 5–8 — меньше, чем нужно</p>" in html
    assert 'data-template="Слов: {count} из 5–8"' in html
    assert submit_work(auth, text="Один **два** три", submit=False).status_code == 302  # a draft may be short
    html = client.get(ASSIGNMENT).get_data(as_text=True)
    assert ">Слов: 3 из 5–8 — меньше, чем нужно</p>" in html


def test_a_submission_outside_the_word_limits_is_refused_and_kept(client, auth, assignment_item, make_user):
    limit_words(assignment_item, min=5, max=8)
    make_user("anna")
    auth.login("anna")
    response = submit_work(auth, text="Один **два** три")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    error = "Слишком мало слов: 3; для этого задания нужно не меньше 5."
    assert f'<p class="field-error" id="text-error">{error}</p>' in html
    assert "Один **два** три</textarea>" in html
    assert 'aria-describedby="word-count text-error"' in html and 'aria-invalid="true"' in html

    long_text = "раз два три четыре пять шесть семь восемь девять"
    html = submit_work(auth, text=long_text).get_data(as_text=True)
    assert "Слишком много слов: 9; для этого задания можно не больше 8." in html
    assert f"{long_text}</textarea>" in html
    fresh()
    assert db.session.scalar(sa.select(Submission)) is None  # nothing submitted, nothing lost

    five_words = "Наш северо-запад: [двор](https://example.org/a-b) и www.example.org"
    assert submit_work(auth, text=five_words).status_code == 302
    fresh()
    assert db.session.scalar(sa.select(Submission)).status == "submitted"  # 5 words: within 5–8


def test_only_a_lower_or_an_upper_limit(client, auth, assignment_item, make_user):
    make_user("anna")
    auth.login("anna")

    def counter() -> str:
        html = client.get(ASSIGNMENT).get_data(as_text=True)
        return re.search(r'<p id="word-count".*?>(.*?)</p>', html, re.S)[1]

    assert counter() == "Слов: 0"
    limit_words(assignment_item, min=700)
    assert counter() == "Слов: 0 (нужно не меньше 700) — меньше, чем нужно"
    limit_words(assignment_item, max=1500)
    assert counter() == "Слов: 0 (можно не больше 1500)"
