"""A course's `completion: {attendance: {seminar: key}}` names a seminar that exists: in the database
(imported, archived or made in the browser) or as a programme on disk that the same `flask lms
import` imports right after the courses. Otherwise E214 at the key, and the import, the check and
the editor's publish refuse it (the requirement could never be met)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms import create_app
from lms.authoring.drafts import open_for_edit, save_draft
from lms.content.models import Course
from lms.content.problems import ContentError
from lms.content.references import known_keys
from lms.content.sync import sync_tree
from lms.core.time import utcnow
from lms.extensions import db
from lms.seminars.importer import known_seminar_keys
from lms.seminars.models import Seminar
from tests.conftest import csrf_from

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PROGRAMME = FIXTURES / "seminars" / "good" / "tiny-seminar.md"
COURSE = "tiny-course/course.md"
RULE = "completion: {{attendance: {{seminar: {key}}}}}"
AT = f":7:{len('completion: {attendance: {seminar: ') + 1}: E214 seminar"


@pytest.fixture
def seminars_dir(app, tmp_path) -> Path:
    """SEMINARS_DIR holding the tiny seminar's programme, not imported."""
    folder = tmp_path / "seminars"
    folder.mkdir()
    shutil.copy(PROGRAMME, folder / PROGRAMME.name)
    app.config["SEMINARS_DIR"] = str(folder)
    return folder


def course_text(courses_dir: Path, key: str) -> str:
    text = (courses_dir / COURSE).read_text("utf-8")
    return text.replace("modules:\n", RULE.format(key=key) + "\nmodules:\n", 1)


def naming(courses_dir: Path, key: str) -> Path:
    """The tiny course asking for the attendance of seminar `key` (on line 7 of its course.md)."""
    (courses_dir / COURSE).write_text(course_text(courses_dir, key), "utf-8")
    return courses_dir


def course_count() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Course))


# --- which seminars exist -------------------------------------------------------------------------


def test_seminars_in_the_database_and_on_disk_exist(app, make_seminar, seminars_dir, tmp_path):
    make_seminar("v-brauzere")  # made in the browser: no file
    make_seminar("staryj").archived_at = utcnow()  # its file is gone; its marks still answer
    db.session.commit()
    (seminars_dir / "README.md").write_text("# Не программа\n", "utf-8")

    assert known_seminar_keys() == {"tiny-seminar", "v-brauzere", "staryj"}
    assert known_keys()["seminar"] == {"tiny-seminar", "v-brauzere", "staryj"}
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(PROGRAMME, other / "drugoj.md")
    assert known_keys({"seminar": other}, database=False)["seminar"] == {"drugoj"}
    app.config["SEMINARS_DIR"] = ""
    assert known_seminar_keys() == {"v-brauzere", "staryj"}


# --- the import -----------------------------------------------------------------------------------


def test_the_import_refuses_an_unknown_seminar_and_writes_nothing(app, courses_dir, seminars_dir):
    with pytest.raises(ContentError) as refused:
        sync_tree(naming(courses_dir, "tiny-seminr"), display_prefix="c")
    assert [str(problem) for problem in refused.value.problems] == [
        f"c/{COURSE}{AT} 'tiny-seminr' not found: it is neither imported nor a file in the seminars"
        " folder, so this requirement could never be met (did you mean 'tiny-seminar'?)"
    ]
    assert course_count() == 0


def test_a_seminar_made_in_the_browser_is_accepted(app, courses_dir, make_seminar):
    make_seminar("vybory")
    sync_tree(naming(courses_dir, "vybory"))
    db.session.commit()
    assert course_count() == 1


def test_cli_import_takes_a_seminar_on_disk_imported_in_the_same_run(runner, courses_dir, seminars_dir):
    naming(courses_dir, "tiny-seminar")

    result = runner.invoke(args=["lms", "import"])

    assert result.exit_code == 0, result.output
    assert "seminars added (1): tiny-seminar" in result.output
    db.session.rollback()
    course = db.session.scalar(sa.select(Course))
    wanted = {"kind": "attendance", "seminar": "tiny-seminar", "percent": None}
    assert course.completion_requirements == [wanted]


def test_cli_import_refuses_an_unknown_seminar_before_any_seminar(runner, courses_dir, seminars_dir):
    naming(courses_dir, "net-takogo")

    result = runner.invoke(args=["lms", "import"])

    assert result.exit_code == 1
    assert re.search(rf"tiny-course/course\.md{AT} 'net-takogo' not found", result.output), result.output
    assert "import refused: 1 error(s), nothing imported" in result.output
    assert course_count() == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Seminar)) == 0


# --- the check ------------------------------------------------------------------------------------


def test_cli_check_reports_an_unknown_seminar_and_reads_the_folder_given(runner, courses_dir, tmp_path):
    naming(courses_dir, "tiny-seminar")  # SEMINARS_DIR is empty in tests: nobody knows it

    result = runner.invoke(args=["lms", "check", str(courses_dir)])

    assert result.exit_code == 1
    assert re.search(rf"^\S*/{COURSE}{AT} 'tiny-seminar' not found", result.output, re.M), result.output
    folder = tmp_path / "given"
    folder.mkdir()
    shutil.copy(PROGRAMME, folder / PROGRAMME.name)
    asked = runner.invoke(args=["lms", "check", str(courses_dir), "--seminars", str(folder)])
    assert asked.exit_code == 0, asked.output


def test_cli_check_without_a_database_reads_the_files(courses_dir, tmp_path):
    folder = tmp_path / "seminars"
    folder.mkdir()
    shutil.copy(PROGRAMME, folder / PROGRAMME.name)
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'never-migrated.sqlite3'}",
            "COURSES_DIR": str(naming(courses_dir, "tiny-seminar")),
            "SEMINARS_DIR": str(folder),
        }
    )

    result = app.test_cli_runner().invoke(args=["lms", "check"])

    assert result.exit_code == 0, result.output
    assert "0 error(s)" in result.output


# --- the browser editor ---------------------------------------------------------------------------


def test_the_editor_lints_the_seminar_and_publish_refuses_it(client, auth, make_user, imported, courses_dir):
    admin = make_user("admin1", role="admin")
    save_draft(COURSE, course_text(courses_dir, "tiny-seminar"), open_for_edit(COURSE).token, admin)
    db.session.commit()
    auth.login("admin1")

    page = client.get(f"/author/edit/{COURSE}").get_data(as_text=True)
    assert "<code>E214</code> seminar &#39;tiny-seminar&#39; not found" in page
    assert 'href="#L7"' in page
    response = client.post("/author/publish/tiny-course", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 422
    assert f"{COURSE}:7:" in response.get_data(as_text=True)
    assert "completion" not in (courses_dir / COURSE).read_text("utf-8")
