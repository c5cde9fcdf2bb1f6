"""`flask lms import` and `flask lms check` with seminar programmes: all or nothing, in place."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.content.problems import ContentError
from lms.extensions import db
from lms.seminars import signals
from lms.seminars.importer import import_folder
from lms.seminars.models import Seminar, SeminarSession, SessionLink, SessionMaterial

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GOOD = FIXTURES / "seminars" / "good" / "tiny-seminar.md"


@pytest.fixture
def seminars_dir(app, tmp_path) -> Path:
    folder = tmp_path / "seminars"
    folder.mkdir()
    shutil.copy(GOOD, folder / GOOD.name)
    app.config["SEMINARS_DIR"] = str(folder)
    return folder


def edit(folder: Path, *replacements: tuple[str, str]) -> None:
    path = folder / GOOD.name
    text = path.read_text("utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text, "utf-8")


def sessions() -> dict[str, SeminarSession]:
    return {row.key: row for row in db.session.scalars(sa.select(SeminarSession))}


def test_import_writes_the_seminar_its_sessions_invites_and_links(imported, seminars_dir):
    report = import_folder(seminars_dir)
    db.session.commit()

    seminar = db.session.scalar(sa.select(Seminar))
    assert report.added == ["tiny-seminar"]
    assert (seminar.title, seminar.timezone, seminar.source_path) == (
        "Крошечный семинар",
        "Europe/Moscow",
        "tiny-seminar.md",
    )
    assert [(s.key, s.day, s.position) for s in seminar.sessions] == [
        ("open", 1, 1),
        ("practice", 1, 2),
        ("final", 2, 1),
    ]
    assert [(i.region_id, i.cohort_id) for i in seminar.invites] == [("77", None)]
    links = db.session.scalars(sa.select(SessionLink).order_by(SessionLink.id)).all()
    assert [
        (link.session.key, link.relation, link.module_key, link.item_key, link.due_days) for link in links
    ] == [
        ("open", "prepare", "m-one", None, -3),
        ("practice", "follow_up", None, "l-three", 7),
    ]


def test_reimport_updates_in_place_keeping_ids_and_materials(imported, seminars_dir):
    import_folder(seminars_dir)
    db.session.commit()
    before = {key: row.id for key, row in sessions().items()}
    db.session.add(
        SessionMaterial(
            session_id=before["open"],
            title="Слайды",
            storage_key="k1",
            filename="a.pdf",
            size=3,
            sha256="0" * 64,
        )
    )
    db.session.commit()

    edit(seminars_dir, ("title: Открытие", "title: Открытие семинара"), ("due: -3", "due: -5"))
    report = import_folder(seminars_dir)
    db.session.commit()

    after = sessions()
    assert report.updated == ["tiny-seminar"] and report.sessions_added == 0
    assert {key: row.id for key, row in after.items()} == before
    assert after["open"].title == "Открытие семинара"
    assert [link.due_days for link in after["open"].links] == [-5]
    assert [m.title for m in after["open"].materials] == ["Слайды"]


def test_a_session_dropped_from_the_file_is_deleted(imported, seminars_dir):
    import_folder(seminars_dir)
    db.session.commit()
    edit(
        seminars_dir,
        ('  - sessions:\n      - key: final\n        time: "09:30-10:00"\n        title: Итоги\n', ""),
    )

    report = import_folder(seminars_dir)
    db.session.commit()

    assert report.sessions_removed == 1
    assert sorted(sessions()) == ["open", "practice"]


def test_a_dropped_session_with_attendance_refuses_the_import(imported, seminars_dir):
    import_folder(seminars_dir)
    db.session.commit()
    final_id = sessions()["final"].id

    def attendance(_sender, session_ids):
        return {final_id} & set(session_ids)

    signals.sessions_in_use.connect(attendance)
    try:
        edit(
            seminars_dir,
            ('  - sessions:\n      - key: final\n        time: "09:30-10:00"\n        title: Итоги\n', ""),
            ("title: Практикум", "title: Практикум (изменено)"),
        )
        with pytest.raises(ContentError) as refused:
            import_folder(seminars_dir)
        db.session.rollback()
    finally:
        signals.sessions_in_use.disconnect(attendance)

    assert [p.code for p in refused.value.problems] == ["E930"]
    assert "'final'" in str(refused.value)
    assert sorted(sessions()) == ["final", "open", "practice"]
    assert sessions()["practice"].title == "Практикум"


def test_unknown_regions_cohorts_and_unimported_courses_refuse_everything(app, seminars_dir):
    edit(seminars_dir, ('regions: ["77"]', 'regions: ["99"]\n  cohorts: [Нет такой]'))

    with pytest.raises(ContentError) as refused:
        import_folder(seminars_dir, display_prefix="seminars")
    db.session.rollback()

    assert [str(p).split(" ", 2)[:2] for p in refused.value.problems] == [
        ["seminars/tiny-seminar.md:9:13:", "E925"],
        ["seminars/tiny-seminar.md:10:13:", "E926"],
        ["seminars/tiny-seminar.md:25:21:", "E920"],
        ["seminars/tiny-seminar.md:32:21:", "E920"],
    ]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Seminar)) == 0


def test_a_seminar_whose_file_is_gone_is_archived_and_comes_back(imported, seminars_dir):
    import_folder(seminars_dir)
    db.session.commit()
    moved = seminars_dir.parent / "elsewhere.md"
    (seminars_dir / GOOD.name).rename(moved)

    assert import_folder(seminars_dir).archived == ["tiny-seminar"]
    db.session.commit()
    assert db.session.scalar(sa.select(Seminar)).archived_at is not None

    moved.rename(seminars_dir / GOOD.name)
    import_folder(seminars_dir)
    db.session.commit()
    assert db.session.scalar(sa.select(Seminar)).archived_at is None


def test_an_unchanged_file_is_skipped_until_the_browser_changes_its_seminar(imported, seminars_dir):
    from datetime import time

    from lms.seminars import manage

    import_folder(seminars_dir)
    db.session.commit()
    stamp = db.session.scalar(sa.select(Seminar.updated_at))

    again = import_folder(seminars_dir)
    db.session.commit()
    assert (again.unchanged, again.updated) == (1, [])
    assert db.session.scalar(sa.select(Seminar.updated_at)) == stamp

    seminar = db.session.scalar(sa.select(Seminar))
    manage.save_session(
        seminar, manage.SessionValues(key="extra", title="Лишняя", day=1, starts=time(15), ends=time(16))
    )
    db.session.commit()
    after_edit = import_folder(seminars_dir)
    db.session.commit()
    assert after_edit.updated == ["tiny-seminar"] and after_edit.sessions_removed == 1
    assert sorted(sessions()) == ["final", "open", "practice"]


def test_cli_import_runs_after_the_courses(runner, seminars_dir):
    result = runner.invoke(args=["lms", "import"])

    assert result.exit_code == 0, result.output
    assert "seminars added (1): tiny-seminar" in result.output
    assert db.session.scalar(sa.select(Seminar.key)) == "tiny-seminar"


def test_cli_import_keeps_the_courses_and_refuses_a_broken_programme(runner, seminars_dir):
    edit(seminars_dir, ('time: "10:00-11:30"', "time: утром"))

    result = runner.invoke(args=["lms", "import"])

    assert result.exit_code == 1
    assert "tiny-seminar.md:14:15: E910" in result.output
    assert "no seminar imported" in result.output
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Seminar)) == 0


def test_cli_check_lints_programmes_against_the_course_tree(runner, courses_dir, seminars_dir):
    edit(seminars_dir, ("item: l-three", "item: l-nine"))

    result = runner.invoke(args=["lms", "check"])

    assert result.exit_code == 1
    assert "tiny-seminar.md:32:19: E922 course 'tiny-course' has no item 'l-nine'" in result.output


def test_cli_check_with_a_course_root_checks_seminars_only_when_asked(runner, courses_dir, seminars_dir):
    edit(seminars_dir, ("item: l-three", "item: l-nine"))

    assert runner.invoke(args=["lms", "check", str(courses_dir)]).exit_code == 0
    asked = runner.invoke(args=["lms", "check", str(courses_dir), "--seminars", str(seminars_dir)])
    assert asked.exit_code == 1
    assert "E922" in asked.output


def test_a_room_longer_than_its_column_refuses_the_import(imported, seminars_dir):
    # PostgreSQL refused the 201-character room with a traceback; SQLite stored it.
    edit(seminars_dir, ("room: Зал 1", "room: " + "З" * 201))
    with pytest.raises(ContentError, match=r"tiny-seminar.md:16:15: E108 'room' is too long"):
        import_folder(seminars_dir)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Seminar)) == 0
