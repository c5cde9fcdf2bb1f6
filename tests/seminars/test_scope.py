"""Who takes part in a seminar and who sees it: seminars_for, participants and the rights."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import NotFound

from lms.core.time import utcnow
from lms.extensions import db
from lms.seminars import services


def usernames(query) -> list[str]:
    return [user.username for user in db.session.scalars(query)]


def keys(seminars) -> list[str]:
    return [seminar.key for seminar in seminars]


def test_participants_are_candidates_of_invited_regions_and_cohorts(make_user, make_seminar, make_cohort):
    moscow = make_user("moscow", full_name="Анна", region="77")
    make_user("spb", full_name="Борис", region="78")
    in_cohort = make_user("kazan", full_name="Вера", region="16")
    make_user("moscow-coordinator", role="coordinator", region="77")
    gone = make_user("gone", full_name="Глеб", region="77")
    gone.is_active_account = False
    db.session.commit()
    cohort = make_cohort("Казань", region="16", members=[in_cohort])

    seminar = make_seminar(regions=["77"], cohorts=[cohort])

    assert usernames(services.participants(seminar)) == ["moscow", "kazan"]
    assert services.is_participant(moscow, seminar)


def test_a_cohort_invite_takes_only_its_members_not_their_whole_region(make_user, make_seminar, make_cohort):
    member = make_user("member", region="16")
    make_user("neighbour", region="16")
    seminar = make_seminar(cohorts=[make_cohort("Казань", region="16", members=[member])])

    assert usernames(services.participants(seminar)) == ["member"]


def test_candidates_see_only_the_seminars_they_are_invited_to(make_user, make_seminar, make_cohort):
    moscow = make_user("moscow", region="77")
    kazan = make_user("kazan", region="16")
    make_seminar("by-region", regions=["77"])
    make_seminar("by-cohort", cohorts=[make_cohort("Казань", region="16", members=[kazan])])
    make_seminar("elsewhere", regions=["78"])

    assert keys(services.seminars_for(moscow)) == ["by-region"]
    assert keys(services.seminars_for(kazan)) == ["by-cohort"]


def test_archived_seminars_are_left_out(make_user, make_seminar):
    moscow = make_user("moscow", region="77")
    seminar = make_seminar(regions=["77"])
    seminar.archived_at = utcnow()
    db.session.commit()

    assert services.seminars_for(moscow) == []


def test_admins_and_national_coordinators_see_and_manage_all(make_user, make_seminar):
    admin = make_user("admin", role="admin")
    national = make_user("national", role="coordinator", region=None)
    make_seminar("a", regions=["77"])
    make_seminar("b", regions=["78"])

    assert keys(services.seminars_for(admin)) == ["a", "b"]
    assert keys(services.seminars_for(national)) == ["a", "b"]
    seminar = services.seminar_or_404("a")
    assert services.may_manage(admin, seminar) and services.may_manage(national, seminar)


def test_regional_coordinators_see_their_regions_seminars_read_only(make_user, make_seminar, make_cohort):
    coordinator = make_user("coordinator", role="coordinator", region="16")
    from_kazan = make_user("from-kazan", region="16")
    make_seminar("their-region", regions=["16"])
    make_seminar("national-cohort", cohorts=[make_cohort("Все", region=None, members=[from_kazan])])
    make_seminar("empty-national-cohort", cohorts=[make_cohort("Никто", region=None)])
    other = make_seminar("other", regions=["78"])

    assert keys(services.seminars_for(coordinator)) == ["national-cohort", "their-region"]
    assert not services.may_manage(coordinator, other)
    assert not services.may_view(coordinator, other)
    assert services.may_take_attendance(coordinator, services.seminar_or_404("their-region"))
    assert not services.may_take_attendance(coordinator, other)


def test_candidates_neither_manage_nor_take_attendance(make_user, make_seminar):
    moscow = make_user("moscow", region="77")
    seminar = make_seminar(regions=["77"])

    assert services.may_view(moscow, seminar)
    assert not services.may_manage(moscow, seminar)
    assert not services.may_take_attendance(moscow, seminar)


def test_lookups_answer_404_for_unknown_keys(make_seminar):
    seminar = make_seminar("vybory", sessions=2)

    assert services.session_or_404(seminar, "s2").title == "Сессия 2"
    with pytest.raises(NotFound):
        services.seminar_or_404("nothing")
    with pytest.raises(NotFound):
        services.session_or_404(seminar, "s9")


def test_instructors_see_seminars_linking_a_course_they_teach(app, imported, make_user, make_seminar):
    import sqlalchemy as sa

    from lms.content.models import Course, CourseStaff
    from lms.seminars.models import SessionLink

    teacher = make_user("teacher", role="instructor")
    idle = make_user("idle", role="instructor")
    course = db.session.scalar(sa.select(Course).where(Course.key == "tiny-course"))
    db.session.add(CourseStaff(course_id=course.id, user_id=teacher.id))
    linked = make_seminar("linked")
    make_seminar("unlinked")
    db.session.add(SessionLink(session_id=linked.sessions[0].id, course_id=course.id, relation="prepare"))
    db.session.commit()

    assert keys(services.seminars_for(teacher)) == ["linked"]
    assert services.may_take_attendance(teacher, linked)
    assert not services.may_manage(teacher, linked)
    assert services.seminars_for(idle) == []
    assert not services.may_take_attendance(idle, linked)


def test_the_agenda_marks_the_running_session_and_today(make_user, make_seminar):
    from datetime import UTC, datetime

    from lms.seminars.agenda import agenda

    anna = make_user("anna", region="77")
    seminar = make_seminar(regions=["77"], sessions=2)  # 07:00-08:00 and 08:00-09:00 UTC, 15 March 2027

    days = agenda(seminar, anna, with_progress=True, now=datetime(2027, 3, 15, 8, 0, tzinfo=UTC))

    assert [(row.session.key, row.now) for row in days[0].sessions] == [("s1", False), ("s2", True)]
    assert days[0].today
    later = agenda(seminar, anna, with_progress=True, now=datetime(2027, 3, 16, 8, 0, tzinfo=UTC))
    assert not later[0].today and not any(row.now for row in later[0].sessions)
