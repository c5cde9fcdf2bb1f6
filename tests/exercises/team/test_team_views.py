"""Team assignments through the web: the shared draft, conflicts, review, and who may see what."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict
from werkzeug.test import encode_multipart

from lms.exercises import services, team
from lms.exercises.models import Submission
from lms.extensions import db
from lms.progress import services as progress
from lms.progress.models import LessonProgress
from tests.exercises.files import pdf
from tests.teaching import teach

TEAM = "/courses/team-course/team-assignments/tm-plan"
OVERVIEW = "/review/team-projects"


def fresh() -> None:
    db.session.rollback()


def post_draft(auth, *, text: str, version: str = "", submit: bool = False, files=()):
    values = MultiDict(
        {"csrf_token": auth.csrf(TEAM), "text": text, "version": version, "submit" if submit else "save": "1"}
    )
    for name, data in files:
        values.add("files", (name, data))
    boundary, body = encode_multipart(values)
    return auth.client.post(TEAM, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def version_on_page(client) -> str:
    match = re.search(r'name="version"[^>]*value="(\d+)"', client.get(TEAM).get_data(as_text=True))
    return match.group(1) if match else ""


@pytest.fixture
def people(make_user, team_item):
    users = {
        "anna": make_user("anna", region="77", full_name="Анна Петрова"),
        "boris": make_user("boris", region="77", full_name="Борис Иванов"),
        "vera": make_user("vera", region="69", full_name="Вера Тверская"),
        "igor": make_user("igor", role="instructor", full_name="Игорь Петров"),
        "ivan": make_user("ivan", role="instructor", full_name="Иван Непричастный"),
        "pavel": make_user("pavel", role="coordinator", region="77", full_name="Павел Смирнов"),
        "olga": make_user("olga", role="coordinator", full_name="Ольга Кузнецова"),
        "root": make_user("root", role="admin"),
    }
    for name in ("anna", "boris", "vera"):
        progress.enrol(users[name], team_item.course)
    db.session.commit()
    teach("igor")
    return users


def test_a_member_opens_the_template_and_the_team_shares_the_draft(client, auth, people, team_item):
    auth.login("anna")
    html = client.get(TEAM).get_data(as_text=True)
    assert "## Цели" in html and "Борис Иванов" in html  # the template, and the team's members
    fresh()
    assert db.session.scalar(sa.select(sa.func.count(Submission.id))) == 0  # a GET writes no draft
    assert post_draft(auth, text="## Цели\n\nЧестная победа.").status_code == 302
    auth.logout()
    auth.login("boris")
    html = client.get(TEAM).get_data(as_text=True)
    assert "Честная победа." in html and "Анна Петрова" in html
    assert re.search(r"Анна Петрова:\s*сохранил\(а\) черновик", html)
    auth.logout()
    auth.login("vera")  # another region: its own, empty draft
    assert "Честная победа." not in client.get(TEAM).get_data(as_text=True)


def test_the_individual_page_of_a_team_item_leads_to_the_team_page(client, auth, people, team_item):
    auth.login("anna")
    response = client.get("/courses/team-course/assignments/tm-plan")
    assert response.status_code == 302 and response.headers["Location"].endswith(TEAM)
    solo = client.get("/courses/team-course/team-assignments/tm-solo")
    assert solo.status_code == 302 and solo.headers["Location"].endswith("/assignments/tm-solo")


def test_two_members_saving_from_one_version_get_a_conflict_with_both_texts(client, auth, people, team_item):
    auth.login("anna")
    post_draft(auth, text="Начало")
    opened = version_on_page(client)
    assert post_draft(auth, text="Версия Анны", version=opened).status_code == 302
    auth.logout()
    auth.login("boris")
    response = post_draft(auth, text="Версия Бориса", version=opened)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Версия Анны" in html and "Версия Бориса" in html and 'id="conflict"' in html
    fresh()
    assert db.session.scalar(sa.select(Submission.text_md)) == "Версия Анны"
    newer = re.search(r'name="version"[^>]*value="(\d+)"', html).group(1)
    assert post_draft(auth, text="Версия Анны и Бориса", version=newer).status_code == 302
    fresh()
    assert db.session.scalar(sa.select(Submission.text_md)) == "Версия Анны и Бориса"


def test_staff_may_not_write_a_team_draft(client, auth, people, team_item):
    for name in ("igor", "pavel", "root"):
        auth.login(name)
        assert client.get(TEAM).status_code == 200
        assert post_draft(auth, text="чужое").status_code == 403
        auth.logout()
    fresh()
    assert db.session.scalar(sa.select(sa.func.count(Submission.id))) == 0


def test_submit_return_resubmit_accept_through_the_pages(client, auth, people, team_item):
    auth.login("anna")
    post_draft(auth, text="## Цели\n\nПлан.", files=[("план.pdf", pdf())])
    assert (
        post_draft(auth, text="## Цели\n\nПлан.", version=version_on_page(client), submit=True).status_code
        == 302
    )
    auth.logout()
    fresh()
    work = db.session.scalar(sa.select(Submission))
    auth.login("igor")
    queue = client.get("/review").get_data(as_text=True)
    assert "Команда региона 77" in queue
    assert (
        client.post(
            f"/review/submissions/{work.id}/claim", data={"csrf_token": auth.csrf("/review")}
        ).status_code
        == 302
    )
    fresh()
    version = db.session.get(Submission, work.id).version
    page = client.get(f"/review/submissions/{work.id}").get_data(as_text=True)
    assert "Команда региона" in page
    response = client.post(
        f"/review/submissions/{work.id}",
        data={
            "csrf_token": auth.csrf(f"/review/submissions/{work.id}"),
            "version": str(version),
            "score-goals": "0",
            "score-risks": "1",
            "comment": "Нет рисков.",
            "decision": "return",
        },
    )
    assert response.status_code == 302
    auth.logout()
    auth.login("boris")
    told = client.get("/notifications/").get_data(as_text=True)
    assert "Анна Петрова отправил(а) работу вашей команды «План кампании региона» на проверку." in told
    assert "Ваша работа «План кампании региона» возвращена на доработку." in told
    html = client.get(TEAM).get_data(as_text=True)
    assert "Нет рисков." in html and "возвращено на доработку" in html
    assert (
        post_draft(auth, text="## Риски\n\nДождь.", version=version_on_page(client), submit=True).status_code
        == 302
    )
    auth.logout()
    auth.login("igor")
    client.post(f"/review/submissions/{work.id}/claim", data={"csrf_token": auth.csrf("/review")})
    fresh()
    version = db.session.get(Submission, work.id).version
    response = client.post(
        f"/review/submissions/{work.id}",
        data={
            "csrf_token": auth.csrf(f"/review/submissions/{work.id}"),
            "version": str(version),
            "score-goals": "2",
            "score-risks": "2",
            "decision": "accept",
        },
    )
    assert response.status_code == 302
    fresh()
    assert db.session.get(Submission, work.id).status == "accepted"
    done = db.session.scalars(
        sa.select(LessonProgress.user_id).where(
            LessonProgress.lesson_id == team_item.id, LessonProgress.completed_at.is_not(None)
        )
    )
    assert set(done) == {people["anna"].id, people["boris"].id}


def file_status(client, url: str) -> int:
    response = client.get(url)
    response.close()  # a served file is streamed: close it
    return response.status_code


def make_work(people, team_item, *, region_user="anna", submit=True):
    work = team.save_team_draft(
        people[region_user],
        team_item,
        text="План",
        uploads=[services.Upload("p.pdf", pdf())],
        remove_ids=[],
        submit=submit,
        expected_version=None,
    )
    db.session.commit()
    return work


def test_the_overview_puts_regions_side_by_side_for_reviewers(client, auth, people, team_item):
    work = make_work(people, team_item)
    make_work(people, team_item, region_user="vera", submit=False)
    auth.login("igor")
    html = client.get(OVERVIEW).get_data(as_text=True)
    assert 'data-region="77"' in html and 'data-region="69"' in html
    assert 'data-criterion="goals"' in html and 'data-criterion="risks"' in html
    assert f"/review/submissions/{work.id}" in html  # a grading link for the course's staff
    filtered = client.get(OVERVIEW + "?status=draft").get_data(as_text=True)
    assert 'data-region="69"' in filtered and 'data-region="77"' not in filtered
    by_region = client.get(OVERVIEW + "?region=77").get_data(as_text=True)
    assert 'data-region="77"' in by_region and 'data-region="69"' not in by_region


def test_a_regional_coordinator_sees_only_their_region_read_only(client, auth, people, team_item):
    work = make_work(people, team_item)
    other = make_work(people, team_item, region_user="vera")
    auth.login("pavel")
    html = client.get(OVERVIEW + "?region=69").get_data(as_text=True)  # the filter cannot widen it
    assert 'data-region="77"' in html and 'data-region="69"' not in html
    assert "/review/submissions/" not in html  # read-only: no grading link
    assert client.get(f"/review/team-projects/{work.id}").status_code == 200
    assert client.get(f"/review/team-projects/{other.id}").status_code == 404
    assert client.get(f"/review/submissions/{work.id}").status_code == 403
    file_id = work.attachments[0].id
    assert file_status(client, f"/submissions/{work.id}/files/{file_id}") == 200
    assert file_status(client, f"/submissions/{other.id}/files/{other.attachments[0].id}") == 404
    auth.logout()
    auth.login("olga")  # a national coordinator sees every region, still read-only
    html = client.get(OVERVIEW).get_data(as_text=True)
    assert 'data-region="77"' in html and 'data-region="69"' in html and "/review/submissions/" not in html
    assert client.get(f"/review/team-projects/{other.id}").status_code == 200


def test_who_may_open_the_overview_and_a_project(client, auth, people, team_item):
    work = make_work(people, team_item)
    file_url = f"/submissions/{work.id}/files/{work.attachments[0].id}"
    auth.login("boris")  # a member: the files of his team, not the reviewers' pages
    assert client.get(OVERVIEW).status_code == 403
    assert client.get(f"/review/team-projects/{work.id}").status_code == 403
    assert file_status(client, file_url) == 200
    auth.logout()
    auth.login("vera")  # another region's candidate
    assert file_status(client, file_url) == 404
    auth.logout()
    auth.login("ivan")  # an instructor who does not teach the course
    assert "tm-plan" not in client.get(OVERVIEW).get_data(as_text=True)
    assert client.get(f"/review/team-projects/{work.id}").status_code == 404
    assert file_status(client, file_url) == 404
    auth.logout()
    auth.login("root")
    assert client.get(f"/review/team-projects/{work.id}").status_code == 200
    auth.logout()
    assert client.get(OVERVIEW).status_code == 302  # anonymous: to the login page
