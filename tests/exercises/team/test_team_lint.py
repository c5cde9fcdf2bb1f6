"""`team: region` and `draft_template` in an assignment's front matter, as the loader checks them."""

from __future__ import annotations

from pathlib import Path

from tests.exercises.exfiles import ITEM_PATH, payload_of, problems_of

TASK = "Задание.\n\n"
RUBRIC = "## Критерии оценивания\n\n### plan: План\n- 0: Нет\n- 2: Есть\n"


def test_a_team_assignment_carries_its_team_and_template(tmp_path: Path) -> None:
    front = "pass_points: 1\nteam: region\ndraft_template: |\n  ## Цели\n\n  ## Риски\n"
    payload = payload_of(tmp_path, "assignment", front, TASK + RUBRIC)
    assert (payload["team"], payload["draft_template"]) == ("region", "## Цели\n\n## Риски")


def test_a_team_changes_the_hash_and_an_individual_assignment_keeps_its_own(tmp_path: Path) -> None:
    alone = payload_of(tmp_path / "a", "assignment", "pass_points: 1\n", TASK + RUBRIC)
    team = payload_of(tmp_path / "b", "assignment", "pass_points: 1\nteam: region\n", TASK + RUBRIC)
    assert "team" not in alone and "draft_template" not in alone
    assert team["draft_template"] is None and team["hash"] != alone["hash"]


def test_an_unknown_team_kind_is_an_error_at_its_value(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "assignment", "pass_points: 1\nteam: cohort\n", TASK + RUBRIC)
    assert problems == [f"{ITEM_PATH}:6:7: E108"]


def test_a_template_without_a_team_is_a_warning(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "assignment", "pass_points: 1\ndraft_template: x\n", TASK + RUBRIC)
    assert problems == [f"{ITEM_PATH}:6:17: W602"]
