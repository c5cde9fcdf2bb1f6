"""Attendance marks: one row per participant and session, a client_id applied once, the share
of sessions attended, and the coordinators' counts within their scope."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.content.problems import ContentError
from lms.core.errors import ValidationError
from lms.extensions import db
from lms.seminars import attendance
from lms.seminars.attendance_models import Attendance
from lms.seminars.importer import import_folder
from lms.seminars.models import Seminar
from lms.seminars.signals import sessions_with_records
from tests.seminars.attendance.conftest import session

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def rows() -> list[tuple[str, str, str | None]]:
    query = sa.select(Attendance).order_by(Attendance.id)
    return [(a.user.username, a.status, a.client_id) for a in db.session.scalars(query)]


def test_the_same_client_id_twice_makes_one_row(people, seminar):
    s1 = session(seminar, "s1")
    key = str(uuid.uuid4())
    first = attendance.mark(s1, people.anna, "present", by=people.igor, client_id=key)
    again = attendance.mark(s1, people.anna, "present", by=people.igor, client_id=key)
    db.session.commit()

    assert (first.replayed, again.replayed) == (False, True)
    assert again.attendance.id == first.attendance.id
    assert rows() == [("anna", "present", key)]


def test_a_retry_of_the_latest_mark_changes_nothing(people, seminar):
    s1 = session(seminar, "s1")
    late_key, absent_key = str(uuid.uuid4()), str(uuid.uuid4())
    attendance.mark(s1, people.anna, "late", by=people.igor, client_id=late_key)
    attendance.mark(s1, people.anna, "absent", note="болеет", by=people.igor, client_id=absent_key)
    attendance.mark(s1, people.anna, "absent", by=people.igor, client_id=absent_key)  # its retry
    db.session.commit()

    assert rows() == [("anna", "absent", absent_key)]
    assert db.session.scalar(sa.select(Attendance.note)) == "болеет"


def test_a_later_mark_updates_the_row(people, seminar):
    s1 = session(seminar, "s1")
    attendance.mark(s1, people.anna, "absent", by=people.igor)
    attendance.mark(s1, people.anna, "excused", note="  справка  ", by=people.pavel)
    db.session.commit()

    row = db.session.scalar(sa.select(Attendance))
    assert rows() == [("anna", "excused", None)]
    assert (row.note, row.marked_by_id, row.source) == ("справка", people.pavel.id, "list")


def test_marks_of_different_sessions_and_people_are_separate(people, seminar):
    attendance.mark(session(seminar, "s1"), people.anna, "present", by=people.igor)
    attendance.mark(session(seminar, "s2"), people.anna, "absent", by=people.igor)
    attendance.mark(session(seminar, "s1"), people.boris, "late", by=people.igor)
    db.session.commit()

    assert sorted(rows()) == [("anna", "absent", None), ("anna", "present", None), ("boris", "late", None)]


@pytest.mark.parametrize(
    ("status", "note", "client_id", "code"),
    [
        ("here", "", None, "status"),
        ("present", "x" * 501, None, "note"),
        ("present", "", "not a uuid!", "client_id"),
    ],
)
def test_bad_marks_are_refused(people, seminar, status, note, client_id, code):
    with pytest.raises(ValidationError) as refused:
        attendance.mark(
            session(seminar, "s1"), people.anna, status, note, by=people.igor, client_id=client_id
        )
    assert refused.value.code == code
    assert rows() == []


def test_a_regional_coordinator_marks_only_their_regions_participants(people, seminar):
    assert attendance.participant_for(people.pavel, seminar, people.anna.id) == people.anna
    assert attendance.participant_for(people.pavel, seminar, people.vera.id) is None
    assert attendance.participant_for(people.olga, seminar, people.vera.id) == people.vera
    assert attendance.participant_for(people.igor, seminar, people.vera.id) == people.vera
    assert attendance.participant_for(people.root, seminar, people.stranger.id) is None  # not invited


def test_session_marks_list_the_viewers_participants_with_their_marks(people, seminar):
    s1 = session(seminar, "s1")
    attendance.mark(s1, people.boris, "late", by=people.igor)
    db.session.commit()

    listed = attendance.session_marks(people.pavel, seminar, s1)
    assert [(user.username, mark.status if mark else None) for user, mark in listed] == [
        ("anna", None),
        ("boris", "late"),
    ]
    assert [user.username for user, _ in attendance.session_marks(people.igor, seminar, s1)] == [
        "anna",
        "boris",
        "vera",
    ]


def test_check_in_is_present_then_late_after_the_grace(app, people, seminar):
    s1 = session(seminar, "s1")
    on_time = attendance.check_in(s1, people.anna, now=s1.starts_at + timedelta(minutes=5))
    late = attendance.check_in(s1, people.boris, now=s1.starts_at + timedelta(minutes=11))
    db.session.commit()

    assert (on_time.attendance.status, on_time.attendance.source) == ("present", "qr")
    assert late.attendance.status == "late"
    assert on_time.attendance.marked_by_id == people.anna.id


def test_checking_in_again_keeps_the_first_arrival(people, seminar):
    s1 = session(seminar, "s1")
    attendance.check_in(s1, people.anna, now=s1.starts_at)
    again = attendance.check_in(s1, people.anna, now=s1.starts_at + timedelta(minutes=30))
    db.session.commit()

    assert again.replayed
    assert rows() == [("anna", "present", None)]


def test_checking_in_replaces_an_absent_mark(people, seminar):
    s1 = session(seminar, "s1")
    attendance.mark(s1, people.anna, "absent", by=people.igor)
    attendance.check_in(s1, people.anna, now=s1.starts_at + timedelta(minutes=30))
    db.session.commit()

    assert rows() == [("anna", "late", None)]


def test_attendance_percent_counts_present_and_late_out_of_all_sessions(people, seminar):
    s1, s2 = session(seminar, "s1"), session(seminar, "s2")
    assert attendance.attendance_percent(seminar, people.anna) == 0.0
    attendance.mark(s1, people.anna, "late", by=people.igor)
    attendance.mark(s2, people.anna, "excused", by=people.igor)
    attendance.mark(s1, people.boris, "present", by=people.igor)
    attendance.mark(s2, people.boris, "present", by=people.igor)
    db.session.commit()

    assert attendance.attendance_percent(seminar, people.anna) == 50.0
    assert attendance.attendance_percent(seminar, people.boris) == 100.0


def test_the_requirement_is_met_at_the_seminars_percent(people, seminar):
    attendance.mark(session(seminar, "s1"), people.anna, "present", by=people.igor)
    db.session.commit()
    assert attendance.attendance_summary(seminar, people.anna).met is None  # no requirement set

    seminar.attendance_required_percent = 50
    assert attendance.attendance_summary(seminar, people.anna).met is True
    seminar.attendance_required_percent = 75
    summary = attendance.attendance_summary(seminar, people.anna)
    assert (summary.attended, summary.total, summary.met) == (1, 2, False)


def test_the_report_counts_by_session_and_region_within_the_scope(people, seminar):
    s1, s2 = session(seminar, "s1"), session(seminar, "s2")
    attendance.mark(s1, people.anna, "present", by=people.igor)
    attendance.mark(s1, people.boris, "late", by=people.igor)
    attendance.mark(s1, people.vera, "absent", by=people.igor)
    attendance.mark(s2, people.vera, "present", by=people.igor)
    db.session.commit()

    national = attendance.attendance_report(people.olga, seminar, None)
    assert [(s.key, dict(t.counts), t.unmarked) for s, t in national.sessions] == [
        ("s1", {"present": 1, "late": 1, "absent": 1}, 0),
        ("s2", {"present": 1}, 2),
    ]
    assert [(r.code, t.participants, t.attended, t.percent) for r, t in national.regions] == [
        ("69", 1, 1, 50.0),
        ("77", 2, 2, 50.0),
    ]

    asked_for_69 = attendance.report_region(people.pavel, "69")
    assert asked_for_69 == "77"
    regional = attendance.attendance_report(people.pavel, seminar, asked_for_69)
    assert [(r.code, t.attended) for r, t in regional.regions] == [("77", 2)]
    assert [dict(t.counts) for _, t in regional.sessions] == [{"present": 1, "late": 1}, {}]
    assert regional.total.participants == 2


def test_export_rows_have_every_participant_and_session(people, seminar):
    attendance.mark(session(seminar, "s1"), people.anna, "present", by=people.igor)
    db.session.commit()

    exported = [
        (user.username, s.key, mark.status if mark else None)
        for user, s, mark in attendance.export_rows(people.pavel, seminar, "77")
    ]
    assert exported == [
        ("anna", "s1", "present"),
        ("anna", "s2", None),
        ("boris", "s1", None),
        ("boris", "s2", None),
    ]


def test_sessions_with_marks_are_reported_in_use(people, seminar):
    s1, s2 = session(seminar, "s1"), session(seminar, "s2")
    attendance.mark(s1, people.anna, "absent", by=people.igor)
    db.session.commit()

    assert sessions_with_records([s1.id, s2.id]) == {s1.id}


def write_programme(folder, extra: str) -> None:
    source = (FIXTURES / "seminars" / "good" / "tiny-seminar.md").read_text("utf-8")
    text = source.replace("timezone: Europe/Moscow\n", f"timezone: Europe/Moscow\n{extra}", 1)
    assert text != source or not extra
    (folder / "tiny-seminar.md").write_text(text, "utf-8")


def test_a_programme_file_sets_the_attendance_requirement(imported, tmp_path):
    write_programme(tmp_path, "attendance_required_percent: 75\n")
    import_folder(tmp_path)
    db.session.commit()
    assert db.session.scalar(sa.select(Seminar.attendance_required_percent)) == 75

    write_programme(tmp_path, "")
    import_folder(tmp_path)
    db.session.commit()
    assert db.session.scalar(sa.select(Seminar.attendance_required_percent)) is None


def test_a_requirement_over_100_is_a_problem_at_its_line(imported, tmp_path):
    write_programme(tmp_path, "attendance_required_percent: 150\n")
    with pytest.raises(ContentError) as refused:
        import_folder(tmp_path)
    db.session.rollback()
    assert [(p.line, p.code) for p in refused.value.problems] == [(8, "E108")]
    assert "attendance_required_percent" in str(refused.value)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Seminar)) == 0


def test_participant_shares_within_the_scope(people, seminar):
    attendance.mark(session(seminar, "s1"), people.anna, "present", by=people.igor)
    attendance.mark(session(seminar, "s2"), people.anna, "late", by=people.igor)
    attendance.mark(session(seminar, "s1"), people.vera, "excused", by=people.igor)
    seminar.attendance_required_percent = 100
    db.session.commit()

    shares = attendance.participant_shares(people.olga, seminar, None)
    assert [(u.username, s.attended, s.met) for u, s in shares] == [
        ("vera", 0, False),  # region 69 first; excused is not attended
        ("anna", 2, True),
        ("boris", 0, False),
    ]
    regional = attendance.participant_shares(people.pavel, seminar, "77")
    assert [u.username for u, _ in regional] == ["anna", "boris"]
