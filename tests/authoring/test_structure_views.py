"""The structure pages: each action, each right (course staff of the course and admins; others 403)."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEvent
from lms.authoring.drafts import open_for_edit
from lms.authoring.frontmatter_edit import read_list, read_value
from lms.authoring.models import Draft
from lms.content.models import Course, Lesson
from lms.content.staff import add_instructor
from lms.extensions import db
from tests.conftest import csrf_from

COURSE = "tiny-course"
STRUCTURE = f"/author/course/{COURSE}/structure"
MODULE_REL = "tiny-course/01-one/module.md"
LESSON = "tiny-course/01-one/01-first.md"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


@pytest.fixture
def people(imported, make_user):
    """An admin, an instructor on the course's staff, one on no staff, a coordinator, a candidate."""
    users = {
        "admin": make_user("admin1", role="admin"),
        "staff": make_user("teacher", role="instructor"),
        "other": make_user("stranger", role="instructor"),
        "coordinator": make_user("coord", role="coordinator"),
        "candidate": make_user("cand", role="candidate"),
    }
    course = db.session.scalars(sa.select(Course).where(Course.folder == COURSE)).one()
    add_instructor(course, users["staff"])
    db.session.commit()
    return users


def page_token(client, path=STRUCTURE) -> str:
    return csrf_from(client.get(path).get_data(as_text=True))


def text(rel: str) -> str:
    db.session.rollback()  # see what the requests committed, not this test's older snapshot
    return open_for_edit(rel).text


def items() -> list[str]:
    return read_list(text(MODULE_REL), "items")


def drafts() -> list[str]:
    db.session.rollback()
    return sorted(db.session.scalars(sa.select(Draft.path)))


@pytest.mark.parametrize("who", ["admin", "staff"])
def test_the_structure_page_lists_modules_and_items_for_authors(client, auth, people, who):
    auth.login(people[who].username)
    response = client.get(STRUCTURE)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Первый модуль" in html and "Первый урок" in html
    assert 'id="i-01-one-01-first.md"' in html
    assert html.count('name="direction" value="up"') == 5  # two modules, three items


@pytest.mark.parametrize("who", ["other", "coordinator", "candidate"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", STRUCTURE),
        ("post", f"{STRUCTURE}/items?module=01-one"),
        ("post", f"{STRUCTURE}/modules"),
        ("post", f"{STRUCTURE}/move"),
        ("post", f"{STRUCTURE}/order"),
        ("post", f"{STRUCTURE}/rename?form=course-title"),
        ("post", f"{STRUCTURE}/move-item?form=mv-01-one-02-second.md"),
        ("get", f"/author/images/{LESSON}"),
        ("post", f"/author/images/{LESSON}"),
        ("post", f"/author/graph/{LESSON}"),
        ("get", "/author/new-course"),
        ("post", "/author/new-course"),
    ],
)
def test_everyone_else_gets_403_and_nothing_changes(client, auth, people, who, method, path):
    auth.login(people[who].username)
    token = csrf_from(client.get("/").get_data(as_text=True))
    data = {
        "csrf_token": token,
        "name": "01-first.md",
        "seen": "01-first.md/02-second.md",
        "direction": "down",
    }
    response = getattr(client, method)(path, data=data) if method == "post" else client.get(path)
    assert response.status_code == 403
    assert drafts() == []


def test_staff_of_a_course_may_not_create_courses(client, auth, people):
    auth.login("teacher")
    assert client.get("/author/new-course").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, people):
    response = client.get(STRUCTURE)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_an_unknown_or_unsafe_course_folder_is_404(client, auth, people):
    auth.login("admin1")
    assert client.get("/author/course/no-such-course/structure").status_code == 404
    assert client.get("/author/course/..%2Fsecret/structure").status_code == 404
    assert client.get("/author/images/tiny-course/../../etc/passwd.md").status_code == 404
    assert client.get("/author/images/tiny-course/01-one/99-none.md").status_code == 404


@pytest.mark.parametrize("who", ["admin", "staff"])
def test_move_down_by_button_writes_the_order_as_a_draft_and_keeps_focus(client, auth, people, who):
    auth.login(people[who].username)
    token = page_token(client)
    data = {
        "csrf_token": token,
        "module": "01-one",
        "name": "01-first.md",
        "seen": "01-first.md/02-second.md",
    }
    response = client.post(f"{STRUCTURE}/move", data=data | {"direction": "down"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/structure?moved=01-one/01-first.md&dir=down")
    assert items() == ["02-second.md", "01-first.md"]
    assert drafts() == [MODULE_REL]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    moved = page[page.index('id="i-01-one-01-first.md"') :]
    # Now last: "down" is disabled, so the focus goes to its "up".
    assert re.search(
        r'value="up" class="button small" autofocus aria-label=', moved[: moved.index("</form>")]
    )
    assert page.count("autofocus") == 1


def test_a_double_submitted_move_moves_once(client, auth, people):
    auth.login("admin1")
    token = page_token(client)
    data = {
        "csrf_token": token,
        "module": "01-one",
        "name": "02-second.md",
        "seen": "01-first.md/02-second.md",
    }
    assert client.post(f"{STRUCTURE}/move", data=data | {"direction": "up"}).status_code == 302
    again = client.post(f"{STRUCTURE}/move", data=data | {"direction": "up"})
    assert again.status_code == 400
    assert 'class="flash flash-error"' in again.get_data(as_text=True)
    assert items() == ["02-second.md", "01-first.md"]


def test_move_modules_of_the_course(client, auth, people):
    auth.login("teacher")
    data = {
        "csrf_token": page_token(client),
        "module": "",
        "name": "02-two",
        "seen": "01-one/02-two",
        "direction": "up",
    }
    response = client.post(f"{STRUCTURE}/move", data=data)
    assert response.status_code == 302
    assert read_list(text("tiny-course/course.md"), "modules") == ["02-two", "01-one"]


def test_a_move_without_a_direction_or_token_is_refused(client, auth, people):
    auth.login("admin1")
    data = {
        "csrf_token": page_token(client),
        "module": "01-one",
        "name": "01-first.md",
        "seen": "01-first.md/02-second.md",
    }
    assert client.post(f"{STRUCTURE}/move", data=data | {"direction": "sideways"}).status_code == 400
    assert (
        client.post(f"{STRUCTURE}/move", data=data | {"direction": "down", "csrf_token": "x"}).status_code
        == 400
    )
    assert drafts() == []


def test_drag_and_drop_posts_the_whole_order(client, auth, people):
    auth.login("teacher")
    data = {"csrf_token": page_token(client), "module": "01-one", "seen": "01-first.md/02-second.md"}
    response = client.post(f"{STRUCTURE}/order", data=data | {"order": "02-second.md/01-first.md"})
    assert response.status_code == 302
    assert items() == ["02-second.md", "01-first.md"]
    assert db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.action == "authoring.reorder")
    ).all()


def test_an_order_naming_other_entries_is_refused(client, auth, people):
    auth.login("admin1")
    data = {"csrf_token": page_token(client), "module": "01-one", "seen": "01-first.md/02-second.md"}
    response = client.post(f"{STRUCTURE}/order", data=data | {"order": "02-second.md/../../x.md"})
    assert response.status_code == 400
    assert items() == ["01-first.md", "02-second.md"]


@pytest.mark.parametrize("who", ["admin", "staff"])
def test_new_lesson_from_a_template_opens_as_a_draft(client, auth, people, who):
    auth.login(people[who].username)
    data = {
        "new-01-one-csrf_token": page_token(client),
        "new-01-one-seen": "01-first.md/02-second.md",
        "new-01-one-kind": "quiz",
        "new-01-one-title": "Проверка: модуль один",
        "new-01-one-key": "",
    }
    response = client.post(f"{STRUCTURE}/items?module=01-one", data=data)
    assert response.status_code == 302
    rel = "tiny-course/01-one/03-proverka-modul-odin.md"
    assert items()[-1] == "03-proverka-modul-odin.md"
    assert read_value(text(rel), "type") == "quiz"
    assert drafts() == [rel, MODULE_REL]


def test_a_new_survey_from_its_template_lints_clean_and_publishes(client, auth, people):
    auth.login("teacher")
    data = {
        "new-01-one-csrf_token": page_token(client),
        "new-01-one-seen": "01-first.md/02-second.md",
        "new-01-one-kind": "survey",
        "new-01-one-title": "Отзыв о семинаре",
        "new-01-one-key": "",
    }
    response = client.post(f"{STRUCTURE}/items?module=01-one", data=data)
    assert response.status_code == 302
    rel = "tiny-course/01-one/03-otzyv-o-seminare.md"
    assert response.headers["Location"].endswith(f"/author/edit/{rel}")
    editor = client.get(f"/author/edit/{rel}").get_data(as_text=True)
    assert 'class="author-note author-clean"' in editor, "the template has lint problems"
    assert "Как вы в целом оцениваете семинар?" in editor

    published = client.post("/author/publish/tiny-course", data={"csrf_token": csrf_from(editor)})
    assert published.status_code == 302, published.get_data(as_text=True)
    db.session.rollback()
    survey = db.session.scalar(sa.select(Lesson).where(Lesson.key == "otzyv-o-seminare"))
    assert (survey.kind, survey.title, survey.archived_at) == ("survey", "Отзыв о семинаре", None)
    assert survey.payload["anonymous"] is True
    questions = {q["key"]: (q["type"], q["required"]) for q in survey.payload["questions"]}
    assert sorted(kind for kind, _required in questions.values()) == ["multiple", "scale", "single", "text"]
    assert [key for key, (_kind, required) in questions.items() if required] == ["seminar-v-celom"]
    assert client.get("/courses/tiny-course/surveys/otzyv-o-seminare").status_code == 200


def test_new_item_errors_show_on_the_form(client, auth, people):
    auth.login("admin1")
    data = {
        "new-01-one-csrf_token": page_token(client),
        "new-01-one-seen": "01-first.md/02-second.md",
        "new-01-one-kind": "lesson",
        "new-01-one-title": "Дубль",
        "new-01-one-key": "l-one",
    }
    response = client.post(f"{STRUCTURE}/items?module=01-one", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="new-01-one-key-error"' in html
    assert "l-one" in html
    assert drafts() == []
    data["new-01-one-kind"] = "exam"  # no such kind
    assert client.post(f"{STRUCTURE}/items?module=01-one", data=data).status_code == 400


def test_new_item_in_a_module_the_course_does_not_list_is_refused(client, auth, people):
    auth.login("admin1")
    data = {"new-x-csrf_token": page_token(client), "new-x-kind": "lesson", "new-x-title": "Урок"}
    assert client.post(f"{STRUCTURE}/items?module=x", data=data).status_code == 400
    assert drafts() == []


def test_a_double_submitted_new_item_adds_one_item(client, auth, people):
    auth.login("teacher")
    data = {
        "new-01-one-csrf_token": page_token(client),
        "new-01-one-seen": "01-first.md/02-second.md",
        "new-01-one-kind": "lesson",
        "new-01-one-title": "Урок без id",
    }
    assert client.post(f"{STRUCTURE}/items?module=01-one", data=data).status_code == 302
    again = client.post(f"{STRUCTURE}/items?module=01-one", data=data)
    assert again.status_code == 400
    html = again.get_data(as_text=True)
    assert 'class="form-errors"' in html
    assert 'value="01-first.md/02-second.md/03-urok-bez-id.md"' in html  # the list as it is now
    assert items() == ["01-first.md", "02-second.md", "03-urok-bez-id.md"]


def test_a_double_submitted_new_module_adds_one_module(client, auth, people):
    auth.login("admin1")
    data = {
        "new-module-csrf_token": page_token(client),
        "new-module-seen": "01-one/02-two",
        "new-module-title": "Модуль",
    }
    assert client.post(f"{STRUCTURE}/modules", data=data).status_code == 302
    assert client.post(f"{STRUCTURE}/modules", data=data).status_code == 400
    assert read_list(text("tiny-course/course.md"), "modules") == ["01-one", "02-two", "03-modul"]


@pytest.mark.parametrize("who", ["admin", "staff"])
def test_new_module(client, auth, people, who):
    auth.login(people[who].username)
    data = {
        "new-module-csrf_token": page_token(client),
        "new-module-seen": "01-one/02-two",
        "new-module-title": "Третий модуль",
    }
    response = client.post(f"{STRUCTURE}/modules", data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#m-03-tretiy-modul")
    assert read_list(text("tiny-course/course.md"), "modules")[-1] == "03-tretiy-modul"


def test_new_course_by_an_admin(client, auth, people):
    auth.login("admin1")
    token = page_token(client, "/author/new-course")
    response = client.post(
        "/author/new-course", data={"csrf_token": token, "title": "Второй курс", "key": "vtoroy"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/author/course/vtoroy/structure")
    assert client.get("/author/course/vtoroy/structure").status_code == 200
    again = client.post(
        "/author/new-course", data={"csrf_token": token, "title": "Второй курс", "key": "vtoroy"}
    )
    assert again.status_code == 400


@pytest.mark.parametrize("who", ["admin", "staff"])
def test_rename_an_item_keeps_its_id(client, auth, people, who):
    auth.login(people[who].username)
    prefix = "i-01-one-01-first.md"
    data = {
        f"{prefix}-csrf_token": page_token(client),
        f"{prefix}-rel": LESSON,
        f"{prefix}-title": "Новое имя",
    }
    response = client.post(f"{STRUCTURE}/rename?form={prefix}", data=data)
    assert response.status_code == 302
    lesson = text(LESSON)
    assert (read_value(lesson, "title"), read_value(lesson, "id")) == ("Новое имя", "l-one")


def test_rename_of_a_file_of_another_course_is_404(client, auth, people):
    auth.login("teacher")
    prefix = "course-title"
    data = {
        f"{prefix}-csrf_token": page_token(client),
        f"{prefix}-rel": "other/course.md",
        f"{prefix}-title": "X",
    }
    assert client.post(f"{STRUCTURE}/rename?form={prefix}", data=data).status_code == 404


def test_an_empty_title_is_a_field_error(client, auth, people):
    auth.login("admin1")
    prefix = "course-title"
    data = {
        f"{prefix}-csrf_token": page_token(client),
        f"{prefix}-rel": "tiny-course/course.md",
        f"{prefix}-title": " ",
    }
    response = client.post(f"{STRUCTURE}/rename?form={prefix}", data=data)
    assert response.status_code == 400
    assert 'id="course-title-title-error"' in response.get_data(as_text=True)


MOVE = "mv-01-one-02-second.md"


def move_data(client, target: str, seen: str = "01-first.md/02-second.md") -> dict:
    return {
        f"{MOVE}-csrf_token": page_token(client),
        f"{MOVE}-module": "01-one",
        f"{MOVE}-name": "02-second.md",
        f"{MOVE}-seen": seen,
        f"{MOVE}-target": target,
    }


@pytest.mark.parametrize("who", ["admin", "staff"])
def test_move_an_item_to_another_module_as_drafts(client, auth, people, who):
    auth.login(people[who].username)
    page = client.get(STRUCTURE).get_data(as_text=True)
    label = f'<label for="{MOVE}-target">Перенести в модуль<span class="visually-hidden"> (Второй урок)'
    assert label in page
    assert '<option value="02-two">Второй модуль</option>' in page
    response = client.post(f"{STRUCTURE}/move-item?form={MOVE}", data=move_data(client, "02-two"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{STRUCTURE}#i-02-two-02-second.md")
    assert items() == ["01-first.md"]
    assert read_list(text("tiny-course/02-two/module.md"), "items") == ["01-third.md", "02-second.md"]
    assert read_value(text("tiny-course/02-two/02-second.md"), "id") == "l-two"
    assert drafts() == sorted(
        [
            MODULE_REL,
            "tiny-course/01-one/02-second.md",
            "tiny-course/02-two/02-second.md",
            "tiny-course/02-two/module.md",
        ]
    )
    shown = client.get(STRUCTURE).get_data(as_text=True)
    assert "Материал перенесён в другой модуль в черновиках" in shown
    assert "переписаны" not in shown  # l-two has no relative links, and none lead to it
    assert 'id="i-02-two-02-second.md"' in shown
    assert 'id="i-01-one-02-second.md"' not in shown


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("01-one", "Выберите другой модуль"),
        ("03-nowhere", "В курсе нет такого модуля"),
    ],
)
def test_a_bad_target_module_is_a_field_error(client, auth, people, target, message):
    auth.login("teacher")
    response = client.post(f"{STRUCTURE}/move-item?form={MOVE}", data=move_data(client, target))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = re.search(rf'<p class="field-error" id="{re.escape(MOVE)}-target-error">([^<]*)</p>', page)
    assert error is not None and message in error.group(1)
    assert f'aria-describedby="{MOVE}-target-error"' in page
    assert drafts() == []


def test_a_name_taken_in_the_target_is_a_field_error(client, auth, people, courses_dir):
    (courses_dir / "tiny-course/02-two/02-second.md").write_text(
        "---\nid: x\ntitle: X\n---\n", encoding="utf-8"
    )
    auth.login("teacher")
    response = client.post(f"{STRUCTURE}/move-item?form={MOVE}", data=move_data(client, "02-two"))
    assert response.status_code == 400
    assert "В модуле 02-two уже есть файл 02-second.md" in response.get_data(as_text=True)
    assert drafts() == []


def test_a_double_submitted_move_item_moves_once(client, auth, people):
    auth.login("teacher")
    data = move_data(client, "02-two")
    assert client.post(f"{STRUCTURE}/move-item?form={MOVE}", data=data).status_code == 302
    again = client.post(f"{STRUCTURE}/move-item?form={MOVE}", data=data)
    assert again.status_code == 400
    assert "Порядок тем временем изменился" in again.get_data(as_text=True)
    assert read_list(text("tiny-course/02-two/module.md"), "items") == ["01-third.md", "02-second.md"]


def move_first(client) -> None:
    prefix = "mv-01-one-01-first.md"
    data = {
        f"{prefix}-csrf_token": page_token(client),
        f"{prefix}-module": "01-one",
        f"{prefix}-name": "01-first.md",
        f"{prefix}-seen": "01-first.md/02-second.md",
        f"{prefix}-target": "02-two",
    }
    assert client.post(f"{STRUCTURE}/move-item?form={prefix}", data=data).status_code == 302


def test_a_move_rewrites_the_links_it_would_break_in_drafts(client, auth, people):
    """l-one's image and link, and l-three's link to l-one: all rewritten, so no warning."""
    auth.login("teacher")
    move_first(client)
    page = client.get(STRUCTURE).get_data(as_text=True)
    assert "Материал перенесён в другой модуль в черновиках" in page
    assert "После переноса не находи" not in page
    relinked = "tiny-course/02-two/01-first.md, tiny-course/02-two/01-third.md"
    assert f"Ссылки, которые перенос сломал бы, переписаны в черновиках 2 файлов: {relinked}." in page
    assert "](../01-one/img/dot.png)" in text("tiny-course/02-two/01-first.md")
    assert "](01-first.md)" in text("tiny-course/02-two/01-third.md")
    assert "tiny-course/02-two/01-third.md" in drafts()


def test_a_move_that_breaks_links_it_cannot_rewrite_says_so(client, auth, people, courses_dir):
    """Targets written with an entity or an escape are not where the scanner reads them: left as
    they are, and named."""
    added = {
        "tiny-course/01-one/01-first.md": "\n![Ещё](img/dot&#46;png)\n",
        "tiny-course/02-two/01-third.md": "\n[Снова](../01-one/01\\-first.md)\n",
    }
    for rel, line in added.items():
        path = courses_dir / rel
        path.write_text(path.read_text(encoding="utf-8") + line, encoding="utf-8")
    auth.login("teacher")
    move_first(client)
    page = client.get(STRUCTURE).get_data(as_text=True)
    assert "После переноса не находятся 2 ссылки или картинки" in page
    assert "переписаны в черновиках 2 файлов" in page  # the rest of their links
    assert "tiny-course/02-two/01-first.md, tiny-course/02-two/01-third.md" in page


def test_a_move_item_post_without_its_hidden_fields_is_refused(client, auth, people):
    auth.login("teacher")
    data = {f"{MOVE}-csrf_token": page_token(client), f"{MOVE}-target": "02-two"}
    assert client.post(f"{STRUCTURE}/move-item?form={MOVE}", data=data).status_code == 400
    assert drafts() == []


@pytest.mark.parametrize("who", ["admin", "staff"])
def test_upload_an_image_without_javascript_shows_the_markdown(client, auth, people, courses_dir, who):
    auth.login(people[who].username)
    token = page_token(client, f"/author/images/{LESSON}")
    data = {"csrf_token": token, "alt": "Схема", "image": (io.BytesIO(PNG), "схема участка.png")}
    response = client.post(f"/author/images/{LESSON}", data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    assert 'value="![Схема](img/skhema-uchastka.png)"' in response.get_data(as_text=True)
    assert (courses_dir / "tiny-course/01-one/img/skhema-uchastka.png").read_bytes() == PNG


def test_upload_with_javascript_answers_json(client, auth, people):
    auth.login("admin1")
    token = page_token(client, f"/author/images/{LESSON}")
    data = {"csrf_token": token, "alt": "", "image": (io.BytesIO(PNG), "a.png")}
    response = client.post(
        f"/author/images/{LESSON}",
        data=data,
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.get_json()["markdown"] == "![](img/a.png)"


def test_a_refused_image_is_a_field_error_and_nothing_is_written(client, auth, people, courses_dir):
    auth.login("admin1")
    token = page_token(client, f"/author/images/{LESSON}")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    data = {"csrf_token": token, "alt": "", "image": (io.BytesIO(svg), "x.png")}
    response = client.post(f"/author/images/{LESSON}", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert 'id="image-error"' in response.get_data(as_text=True)
    assert sorted(p.name for p in (courses_dir / "tiny-course/01-one/img").iterdir()) == ["dot.png"]
    json_answer = client.post(
        f"/author/images/{LESSON}",
        data={"csrf_token": token, "image": (io.BytesIO(svg), "x.png")},
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    assert json_answer.status_code == 400
    assert json_answer.get_json()["errors"]


def test_an_image_over_the_limit_is_refused(app, client, auth, people, courses_dir):
    app.config["AUTHORING_MAX_IMAGE_BYTES"] = 100
    auth.login("admin1")
    token = page_token(client, f"/author/images/{LESSON}")
    data = {"csrf_token": token, "image": (io.BytesIO(PNG + b"\x00" * 100), "big.png")}
    response = client.post(f"/author/images/{LESSON}", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert not (courses_dir / "tiny-course/01-one/img/big.png").exists()


SCENARIO = """---
id: s-one
title: Сценарий
type: scenario
competencies: {listening: Слушать}
---
## a
Текст.

- Ответ → b {listening: +1}

## b [ending good]
Конец.
"""


def test_the_graph_of_typed_text(client, auth, people):
    auth.login("teacher")
    token = page_token(client)
    response = client.post(f"/author/graph/{LESSON}", data={"csrf_token": token, "text": SCENARIO})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'role="img"' in html
    assert "a → b: Ответ {listening: +1}" in html
    empty = client.post(f"/author/graph/{LESSON}", data={"csrf_token": token, "text": "---\nid: x\n---\n"})
    assert "<svg" not in empty.get_data(as_text=True)
    assert client.post(f"/author/graph/{LESSON}", data={"text": SCENARIO}).status_code == 400


def test_the_graph_of_a_text_over_the_size_limit_is_refused(app, client, auth, people):
    app.config["AUTHORING_MAX_FILE_BYTES"] = 100
    auth.login("teacher")
    response = client.post(
        f"/author/graph/{LESSON}", data={"csrf_token": page_token(client), "text": SCENARIO}
    )
    assert response.status_code == 413


def test_the_course_tree_links_to_the_structure_and_admins_to_a_new_course(client, auth, people):
    auth.login("teacher")
    html = client.get("/author/").get_data(as_text=True)
    assert f'href="{STRUCTURE}"' in html
    assert 'href="/author/new-course"' not in html
    auth.logout()
    auth.login("admin1")
    html = client.get("/author/").get_data(as_text=True)
    assert f'href="{STRUCTURE}"' in html
    assert 'href="/author/new-course"' in html
