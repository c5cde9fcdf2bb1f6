"""Team assignments' operations: one submission per region, contributions, conflicts, grading."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEvent
from lms.core.errors import ValidationError
from lms.exercises import reports, services, team
from lms.exercises.models import Submission
from lms.extensions import db
from lms.notifications.models import Notification
from lms.progress import services as progress
from lms.progress.models import LessonProgress

PLAN = "## Цели\n\nПобедить честно.\n\n## Аудитории\n\nМолодёжь и пенсионеры."


def save(user, item, text, *, version, submit=False, uploads=()):
    return team.save_team_draft(
        user, item, text=text, uploads=list(uploads), remove_ids=[], submit=submit, expected_version=version
    )


@pytest.fixture
def region_77(make_user, team_item):
    """Two members of region 77 on the course, one of region 69, an instructor."""
    anna = make_user("anna", region="77", full_name="Анна")
    boris = make_user("boris", region="77", full_name="Борис")
    vera = make_user("vera", region="69", full_name="Вера")
    igor = make_user("igor", role="instructor", full_name="Игорь")
    for user in (anna, boris, vera):
        progress.enrol(user, team_item.course)
    db.session.commit()
    return anna, boris, vera, igor


def test_the_payload_marks_the_team_and_keeps_the_template(team_item, solo_item):
    assert team.is_team_item(team_item) and not team.is_team_item(solo_item)
    assert team_item.payload["draft_template"].startswith("## Цели")
    assert "team" not in solo_item.payload and "draft_template" not in solo_item.payload
    assert team.draft_text(team_item, None) == team_item.payload["draft_template"]


def test_the_default_template_has_the_plan_sections(app):
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        text = team.default_template()
    for heading in ("## Цели", "## Аудитории", "## Календарь", "## Риски", "бюджета"):
        assert heading in text


def test_members_of_one_region_share_one_submission(region_77, team_item):
    anna, boris, vera, _igor = region_77
    first = save(anna, team_item, PLAN, version=None)
    db.session.commit()
    second = save(boris, team_item, PLAN + "\n\nДобавил Борис.", version=first.version)
    db.session.commit()
    other = save(vera, team_item, "Тверь", version=None)
    db.session.commit()
    assert second.id == first.id and other.id != first.id
    rows = db.session.scalars(sa.select(Submission).order_by(Submission.id)).all()
    assert [(row.team_region_code, row.text_md) for row in rows] == [
        ("77", PLAN + "\n\nДобавил Борис."),
        ("69", "Тверь"),
    ]
    assert team.team_members(team_item, "77") == [anna, boris]


def test_every_save_records_its_contributor_and_word_changes(region_77, team_item):
    anna, boris, _vera, _igor = region_77
    work = save(anna, team_item, "один два три", version=None)
    db.session.commit()
    save(boris, team_item, "один четыре три пять", version=work.version, submit=True)
    db.session.commit()
    entries = [
        (c.user.username, c.action, c.words_before, c.words_after, c.words_added, c.words_removed)
        for c in work.contributions
    ]
    assert entries == [("anna", "saved", 0, 3, 3, 0), ("boris", "submitted", 3, 4, 2, 1)]
    assert [c.version for c in work.contributions] == [2, 3] and work.version == 3


def test_a_stale_save_is_refused_with_both_texts_and_writes_nothing(region_77, team_item):
    anna, boris, _vera, _igor = region_77
    work = save(anna, team_item, "Начало", version=None)
    db.session.commit()
    opened = work.version  # both open the page at this version
    save(anna, team_item, "Текст Анны", version=opened)
    db.session.commit()
    with pytest.raises(team.Conflict) as caught:
        save(boris, team_item, "Текст Бориса", version=opened)
    db.session.rollback()
    assert (caught.value.theirs, caught.value.mine, caught.value.by) == ("Текст Анны", "Текст Бориса", anna)
    db.session.refresh(work)
    assert work.text_md == "Текст Анны" and [c.user_id for c in work.contributions] == [anna.id, anna.id]
    # Saving again from the version the conflict showed goes through: a deliberate choice.
    save(boris, team_item, "Текст Анны и Бориса", version=caught.value.version)
    db.session.commit()
    assert work.text_md == "Текст Анны и Бориса"


def test_a_second_member_starting_the_draft_at_once_conflicts_instead_of_overwriting(region_77, team_item):
    anna, boris, _vera, _igor = region_77
    save(anna, team_item, "Анна первая", version=None)
    db.session.commit()
    with pytest.raises(team.Conflict):
        save(boris, team_item, "Борис тоже первый", version=None)  # he saw no draft yet
    db.session.rollback()


def test_staff_are_no_team(make_user, team_item):
    igor = make_user("igor", role="instructor")
    pavel = make_user("pavel", role="coordinator", region="77")
    for user in (igor, pavel):
        with pytest.raises(ValidationError) as caught:
            save(user, team_item, "x", version=None)
        assert caught.value.code == "no_team"
        db.session.rollback()


def test_an_individual_save_of_a_team_item_is_refused(region_77, team_item):
    anna = region_77[0]
    with pytest.raises(ValidationError) as caught:
        services.save_submission(anna, team_item, text="x", uploads=[], remove_ids=[], submit=False)
    assert caught.value.code == "team"


def test_submitted_work_is_locked_and_the_team_is_told(region_77, team_item):
    anna, boris, _vera, _igor = region_77
    work = save(anna, team_item, PLAN, version=None, submit=True)
    db.session.commit()
    with pytest.raises(ValidationError) as caught:
        save(boris, team_item, "поздно", version=work.version)
    assert caught.value.code == "locked"
    db.session.rollback()
    told = db.session.scalars(sa.select(Notification)).all()
    assert [(n.user_id, n.kind, n.params["name"]) for n in told] == [(boris.id, "team_submitted", "Анна")]


def grade(work, igor, decision, scores, comment=""):
    services.claim_submission(work, igor)
    return services.grade_submission(
        work,
        igor,
        scores=scores,
        criterion_comments={},
        comment=comment,
        decision=decision,
        expected_version=work.version,
    )


def completed_by(item) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(LessonProgress.user_id).where(
                LessonProgress.lesson_id == item.id, LessonProgress.completed_at.is_not(None)
            )
        )
    )


def test_return_then_accept_completes_for_every_member_and_notifies_them(region_77, team_item):
    anna, boris, vera, igor = region_77
    work = save(anna, team_item, PLAN, version=None, submit=True)
    db.session.commit()
    grade(work, igor, "return", {"goals": 0, "risks": 1}, comment="Добавьте риски.")
    db.session.commit()
    assert work.status == "returned" and completed_by(team_item) == set()
    save(boris, team_item, PLAN + "\n\n## Риски\n\nДождь.", version=work.version, submit=True)
    db.session.commit()
    assert [e.action for e in work.events if e.action.endswith("submitted")] == ["submitted", "resubmitted"]
    grade(work, igor, "accept", {"goals": 2, "risks": 2})
    db.session.commit()
    assert completed_by(team_item) == {anna.id, boris.id}  # Vera's region has its own work
    graded = db.session.execute(
        sa.select(Notification.user_id, Notification.kind).where(Notification.kind.like("submission_%"))
    )
    assert sorted(tuple(row) for row in graded) == sorted(
        [
            (anna.id, "submission_returned"),
            (boris.id, "submission_returned"),
            (anna.id, "submission_accepted"),
            (boris.id, "submission_accepted"),
        ]
    )
    assert vera.id not in completed_by(team_item)
    accepted = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "grading.accept"))
    assert (accepted.actor_id, accepted.details["team_region"]) == (igor.id, "77")


def test_region_rows_put_regions_side_by_side_and_scope_them(region_77, team_item):
    anna, _boris, vera, igor = region_77
    work = save(anna, team_item, PLAN, version=None, submit=True)
    save(vera, team_item, "Тверь", version=None)
    db.session.commit()
    grade(work, igor, "return", {"goals": 2, "risks": 0}, comment="Риски?")
    db.session.commit()
    rows = team.region_rows(team_item, scope=None)
    assert [(r.region.code, r.members, r.status) for r in rows] == [("69", 1, "draft"), ("77", 2, "returned")]
    assert rows[1].grading.scores == {"goals": 2, "risks": 0}
    assert [r.region.code for r in team.region_rows(team_item, scope="77")] == ["77"]
    assert [r.region.code for r in team.region_rows(team_item, scope=None, status="draft")] == ["69"]
    assert [r.region.code for r in team.region_rows(team_item, scope=None, region="69")] == ["69"]
    assert team.region_rows(team_item, scope="77", region="69") == []
    assert team.team_items(None) == [team_item]


def test_word_changes_count_replaced_words_both_ways():
    assert team.word_changes("", "раз два") == (2, 0)
    assert team.word_changes("раз два три", "раз четыре три") == (1, 1)
    assert team.word_changes("раз два три", "") == (0, 3)


def test_reports_give_team_work_to_every_member(region_77, team_item):
    anna, boris, vera, igor = region_77
    work = save(anna, team_item, PLAN, version=None)
    db.session.commit()
    save(boris, team_item, PLAN + " Борис.", version=work.version, submit=True)
    db.session.commit()
    grade(work, igor, "accept", {"goals": 2, "risks": 1})
    db.session.commit()
    assert reports.candidate_submissions(boris.id) == [work]
    assert reports.candidate_submission(boris.id, work.id) is not None
    assert reports.candidate_submission(vera.id, work.id) is None
    for member in (anna, boris):
        scores = reports.course_competency_scores(member.id, team_item.course_id)
        assert [(s.label, s.score, s.best) for s in scores] == [(team_item.title, 3, 4)]
    assert reports.course_competency_scores(vera.id, team_item.course_id) == []


def test_the_same_save_sent_twice_is_recorded_once(region_77, team_item):
    anna = region_77[0]
    work = save(anna, team_item, "Один текст", version=None)
    db.session.commit()
    again = save(anna, team_item, "Один текст", version=None)  # the double click's second request
    db.session.commit()
    assert again.id == work.id and len(work.contributions) == 1 and work.version == 2
