"""Conversation scenarios through the loader, and playing their payloads."""

from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.content.loader import load_tree
from lms.content.registry import ITEM_KINDS
from lms.exercises.fields import ASSIGNMENT_FIELDS, SCENARIO_FIELDS
from lms.exercises.graph import Graph, best_scores, find_problems, strong_replies
from lms.exercises.scenario import MAX_FREE_TEXT, apply_choice, debrief, initial_state, passes
from tests.exercises.exfiles import (
    BROKEN_TREE,
    COMPETENCIES,
    EXERCISES_TREE,
    ITEM_PATH,
    SCENARIO_ID,
    item_tree,
    payload_of,
    problems_of,
    scenario_graphs,
    scenario_markdown,
)

FRONT = "competencies:\n  listening: Слушать\n  clarity: Ясность\n"
FRONT_LINES = 6  # id, title, type and the three lines above: the body starts on line 9


@pytest.fixture(scope="module")
def door() -> dict:
    result = load_tree(EXERCISES_TREE, display_prefix="ex")
    assert result.problems == []
    [item] = [item for item in result.courses[0].modules[0].lessons if item.id == SCENARIO_ID]
    assert item.kind == "scenario" and item.payload == result.rendered[item.render_key].payload
    assert item.html.startswith("<p>Вы стучите в дверь. Перед разговором перечитайте <a href=")
    assert [link.target for link in item.links] == ["01-urok.md#приветствие"]
    return item.payload


def test_scenario_and_assignment_kinds_are_registered() -> None:
    assert ITEM_KINDS["scenario"].fields is SCENARIO_FIELDS and ITEM_KINDS["scenario"].body is not None
    assert ITEM_KINDS["assignment"].fields is ASSIGNMENT_FIELDS and ITEM_KINDS["assignment"].body is not None
    assert set(SCENARIO_FIELDS) == {"competencies", "start", "feedback", "counts", "pass"}
    assert set(ASSIGNMENT_FIELDS) == {"pass_points", "attachments", "words", "team", "draft_template"}


def test_fixture_scenario_payload(door: dict) -> None:
    json.dumps(door)  # plain JSON all the way down
    assert door["competencies"] == [
        {"key": "listening", "label": "Умение слушать"},
        {"key": "clarity", "label": "Ясность"},
        {"key": "law", "label": "Соблюдение закона"},
        {"key": "contact", "label": "Просьба о контакте"},
    ]
    assert (door["start"], door["feedback"], door["counts"]) == ("dver", "immediate", "best")
    assert door["pass"] == {"ending": "good", "min": {"listening": 2}}
    assert door["order"] == ["dver", "vopros", "monolog", "problema", "uspeh", "otkaz"]
    assert [(n["key"], n["line"], n["ending"]) for n in door["nodes"].values()] == [
        ("dver", 20, None),
        ("vopros", 29, None),
        ("monolog", 36, None),
        ("problema", 43, None),
        ("uspeh", 52, "good"),
        ("otkaz", 55, "any"),
    ]
    dver = door["nodes"]["dver"]
    assert dver["html"] == (
        "<p><strong>Житель</strong> (приоткрыв дверь): «Опять агитаторы? Мне это неинтересно».</p>"
    )
    assert dver["replies"] == [
        {
            "index": 0,
            "html": "Представиться и спросить, удобно ли сейчас говорить",
            "target": "vopros",
            "effects": {"listening": 1, "law": 1},
            "feedback_html": "<p>Хорошее начало: вы уважаете время человека.</p>",
            "free": False,
        },
        {
            "index": 1,
            "html": "Сразу рассказать о программе кандидата",
            "target": "monolog",
            "effects": {"listening": -1},
            "feedback_html": "<p>Житель не успел сказать ни слова.</p>",
            "free": False,
        },
        {
            "index": 2,
            "html": "Напишите, что вы ответите жителю",
            "target": "vopros",
            "effects": {},
            "feedback_html": "",
            "free": True,
        },
    ]
    assert door["nodes"]["problema"]["html"].endswith(
        '<p><img alt="Двор" src="/courses/ex-course/assets/01-praktika/img/dot.png"></p>'
    )
    assert door["nodes"]["uspeh"]["html"].startswith("<p>Житель оставил телефон. <strong>Хорошо</strong>")
    assert door["best"] == {"listening": 3, "clarity": 2, "law": 1, "contact": 2}
    assert door["strong_reply"] == {"dver": 0, "vopros": 0, "monolog": 0, "problema": 1}
    assert len(door["hash"]) == 64


def _play(payload: dict, *choices: int | tuple[int, str]) -> dict:
    state = initial_state(payload)
    for choice in choices:
        index, text = choice if isinstance(choice, tuple) else (choice, None)
        state = apply_choice(payload, state, index, text)
    return state


def test_a_strong_playthrough_passes(door: dict) -> None:
    assert initial_state(door) == {
        "node": "dver",
        "path": [],
        "scores": {"listening": 0, "clarity": 0, "law": 0, "contact": 0},
        "finished": False,
        "ending": None,
    }
    state = _play(door, 0, 0, 1)
    assert state == {
        "node": "uspeh",
        "path": [
            {"node": "dver", "reply": 0},
            {"node": "vopros", "reply": 0},
            {"node": "problema", "reply": 1},
        ],
        "scores": {"listening": 3, "clarity": 2, "law": 1, "contact": 2},
        "finished": True,
        "ending": "uspeh",
    }
    assert passes(door, state)
    report = debrief(door, state)
    assert report["passed"] and report["good"] and report["finished"] and report["ending"] == "uspeh"
    assert all(step["strong"] and step["strong_html"] is None for step in report["steps"])
    assert [(s["key"], s["score"], s["best"], s["min"]) for s in report["scores"]] == [
        ("listening", 3, 3, 2),
        ("clarity", 2, 2, None),
        ("law", 1, 1, None),
        ("contact", 2, 2, None),
    ]


def test_the_loop_back_costs_points_and_the_debrief_shows_stronger_replies(door: dict) -> None:
    state = _play(door, 1, 0, (2, "  Здравствуйте, я от кандидата.  "), 0, 1)
    assert [step["node"] for step in state["path"]] == ["dver", "monolog", "dver", "vopros", "problema"]
    assert state["path"][2] == {"node": "dver", "reply": 2, "free_text": "Здравствуйте, я от кандидата."}
    assert state["scores"]["listening"] == 0 and state["ending"] == "uspeh"
    assert not passes(door, state)  # a good ending, but listening 0 < 2
    report = debrief(door, state)
    assert not report["passed"] and report["good"]
    first, _back, free, *_rest = report["steps"]
    assert (first["reply_html"], first["strong"], first["strong_reply"]) == (
        "Сразу рассказать о программе кандидата",
        False,
        0,
    )
    assert first["strong_html"] == "Представиться и спросить, удобно ли сейчас говорить"
    assert first["feedback_html"] == "<p>Житель не успел сказать ни слова.</p>"
    assert free["free_text"] == "Здравствуйте, я от кандидата." and free["strong_reply"] == 0
    assert report["steps"][-1]["strong"] and report["ending_html"].startswith("<p>Житель оставил телефон.")


def test_a_bad_ending_fails_and_an_unfinished_playthrough_neither_passes_nor_ends(door: dict) -> None:
    refused = _play(door, 0, 1)
    assert refused["ending"] == "otkaz" and not passes(door, refused)
    assert not debrief(door, refused)["good"]
    halfway = _play(door, 0)
    assert not passes(door, halfway)
    report = debrief(door, halfway)
    assert (report["finished"], report["ending"], report["ending_html"]) == (False, None, "")
    assert not report["passed"]


@pytest.mark.parametrize(
    ("choices", "index", "text", "message"),
    [
        ((), 3, None, "node 'dver' has no reply 3"),
        ((), -1, None, "node 'dver' has no reply -1"),
        ((), True, None, "node 'dver' has no reply True"),
        ((), "0", None, "node 'dver' has no reply '0'"),
        ((), 2, None, "this reply needs the candidate's own text"),
        ((), 2, "   ", "this reply needs the candidate's own text"),
        ((), 2, "я" * (MAX_FREE_TEXT + 1), f"the answer is longer than {MAX_FREE_TEXT} characters"),
        ((0, 1), 0, None, "the playthrough is finished"),
    ],
)
def test_invalid_choices_raise_value_error(
    door: dict, choices: tuple, index: object, text: str | None, message: str
) -> None:
    state = _play(door, *choices)
    before = json.dumps(state)
    with pytest.raises(ValueError, match=message):
        apply_choice(door, state, index, text)  # type: ignore[arg-type]
    assert json.dumps(state) == before


def test_an_unknown_node_in_the_state_is_refused(door: dict) -> None:
    with pytest.raises(ValueError, match="unknown node 'gone'"):
        apply_choice(door, {**initial_state(door), "node": "gone"}, 0)


def test_free_text_is_kept_only_for_free_replies(door: dict) -> None:
    assert _play(door, (0, "лишнее"))["path"] == [{"node": "dver", "reply": 0}]


BROKEN_SCENARIOS = [
    "xb/bad-exercises/01-m/01-headings.md:15:4: E503",
    "xb/bad-exercises/01-m/01-headings.md:20:4: E503",
    "xb/bad-exercises/01-m/01-headings.md:23:11: E503",
    "xb/bad-exercises/01-m/01-headings.md:26:4: E504",
    "xb/bad-exercises/01-m/01-headings.md:29:4: E515",
    "xb/bad-exercises/01-m/01-headings.md:29:4: W501",
    "xb/bad-exercises/01-m/02-replies.md:6:3: W502",
    "xb/bad-exercises/01-m/02-replies.md:12:3: E505",
    "xb/bad-exercises/01-m/02-replies.md:13:3: E505",
    "xb/bad-exercises/01-m/02-replies.md:14:19: E505",
    "xb/bad-exercises/01-m/02-replies.md:15:10: E506",
    "xb/bad-exercises/01-m/02-replies.md:16:10: E507",
    "xb/bad-exercises/01-m/02-replies.md:17:20: E508",
    "xb/bad-exercises/01-m/02-replies.md:18:18: E508",
    "xb/bad-exercises/01-m/02-replies.md:19:31: E508",
    "xb/bad-exercises/01-m/02-replies.md:20:11: E508",
    "xb/bad-exercises/01-m/02-replies.md:21:20: E509",
    "xb/bad-exercises/01-m/02-replies.md:22:23: E301",
    "xb/bad-exercises/01-m/02-replies.md:23:18: E304",
    "xb/bad-exercises/01-m/02-replies.md:24:1: E510",
    "xb/bad-exercises/01-m/03-graph.md:7:3: W502",
    "xb/bad-exercises/01-m/03-graph.md:12:3: E520",
    "xb/bad-exercises/01-m/03-graph.md:21:4: E516",
    "xb/bad-exercises/01-m/03-graph.md:26:4: E511",
    "xb/bad-exercises/01-m/03-graph.md:29:4: E515",
    "xb/bad-exercises/01-m/03-graph.md:35:1: E512",
    "xb/bad-exercises/01-m/03-graph.md:37:4: E513",
    "xb/bad-exercises/01-m/03-graph.md:37:4: E515",
    "xb/bad-exercises/01-m/04-front.md:7:8: E514",
    "xb/bad-exercises/01-m/04-front.md:9:11: E519",
    "xb/bad-exercises/01-m/04-front.md:11:5: E517",
    "xb/bad-exercises/01-m/05-pass.md:9:16: E518",
    "xb/bad-exercises/01-m/06-nonodes.md:6:3: E501",
    "xb/bad-exercises/01-m/06-nonodes.md:7:11: E108",
    "xb/bad-exercises/01-m/06-nonodes.md:9:3: E106",
    "xb/bad-exercises/01-m/06-nonodes.md:10:1: E502",
]


def test_broken_scenarios_report_every_problem_at_its_exact_place() -> None:
    result = load_tree(BROKEN_TREE, display_prefix="xb")
    found = [f"{p.path}:{p.line}:{p.col}: {p.code}" for p in result.problems]
    scenario_files = {f"0{number}" for number in range(1, 7)}  # 07-10 are assignments
    assert [line for line in found if line.rsplit("/", 1)[1][:2] in scenario_files] == BROKEN_SCENARIOS
    assert result.courses == []


def test_broken_scenario_messages_explain_the_fix() -> None:
    problems = load_tree(BROKEN_TREE, display_prefix="xb").problems
    messages = {str(p).removeprefix("xb/bad-exercises/01-m/") for p in problems}
    for expected in [
        "01-headings.md:23:11: E503 unknown mark [end]: use `## node-id`, `## node-id [ending]` or"
        " `## node-id [ending good]`",
        "01-headings.md:26:4: E504 duplicate node id 'start' (first on line 10)",
        "02-replies.md:16:10: E507 reply leads to unknown node 'konex' (did you mean 'konec'?)",
        "02-replies.md:21:20: E509 effect on 'listning', which is not in the scenario's competencies"
        " (did you mean 'listening'?)",
        "03-graph.md:12:3: E520 the loop a → b → a earns listening every time round: a loop's effects must"
        " add up to 0 or less for each competency",
        "03-graph.md:21:4: E516 no ending can be reached from node 'petlya'"
        " (a dead end or a loop without exit)",
        "04-front.md:7:8: E514 start 'nachal' is not a node (did you mean 'nachalo'?)",
        "04-front.md:11:5: E517 pass.min names 'listenin', which is not a competency"
        " (did you mean 'listening'?)",
        "05-pass.md:9:16: E518 pass.min listening: 5 is more than the best achievable 2",
        "06-nonodes.md:9:3: E106 unknown key 'endign' in 'pass' (did you mean 'ending'?)",
    ]:
        assert expected in messages


def test_reply_syntax_variants(tmp_path: Path) -> None:
    body = (
        "## a ##\nТекст.\n\n```\n## not-a-node\n- not a reply\n```\n\n"
        "- Первый -> b {listening: −2, clarity: +0}\n  > Строка один,\n  > строка два.\n\n"
        "- (FREE) Своими словами →b {}\n- Ещё → end {clarity: 3,}\n\n"
        "## b\nТекст.\n\n- Дальше → end {listening: +1}\n\n## end [ Ending   GOOD ]\nИтог.\n"
    )
    payload = payload_of(tmp_path, "scenario", FRONT, body)
    a = payload["nodes"]["a"]
    assert a["html"] == "<p>Текст.</p>\n<pre><code>## not-a-node\n- not a reply\n</code></pre>"
    assert [(r["target"], r["effects"], r["free"]) for r in a["replies"]] == [
        ("b", {"listening": -2, "clarity": 0}, False),
        ("b", {}, True),
        ("end", {"clarity": 3}, False),
    ]
    assert a["replies"][0]["feedback_html"] == "<p>Строка один,\nстрока два.</p>"
    assert payload["start"] == "a" and payload["nodes"]["end"]["ending"] == "good"
    assert payload["best"] == {"listening": 1, "clarity": 3}  # a → b by the free reply, then +1
    assert payload["strong_reply"] == {"a": 2, "b": 0}


def test_hash_follows_the_graph_not_the_introduction_or_positions(tmp_path: Path) -> None:
    body = "## a\nТекст.\n\n- Дальше → end {listening: +1, clarity: +1}\n\n## end [ending]\nИтог.\n"
    first = payload_of(tmp_path / "1", "scenario", FRONT, body)["hash"]
    moved = payload_of(tmp_path / "2", "scenario", FRONT, "Введение.\n\n\n" + body)["hash"]
    edited = body.replace("+1, clarity", "+2, clarity")
    changed = payload_of(tmp_path / "3", "scenario", FRONT, edited)["hash"]
    assert first == moved != changed


def test_explicit_start_and_pass_defaults(tmp_path: Path) -> None:
    body = (
        "## a\nТекст.\n\n- Дальше → b\n\n## b\nТекст.\n\n- Назад → a\n"
        "- Конец → end {listening: +1, clarity: 1}\n\n## end [ending]\nИтог.\n"
    )
    payload = payload_of(tmp_path, "scenario", FRONT + "start: b\nfeedback: debrief\ncounts: last\n", body)
    assert (payload["start"], payload["feedback"], payload["counts"]) == ("b", "debrief", "last")
    assert payload["pass"] == {"ending": "any", "min": {}}
    assert passes(payload, _play(payload, 1)) and payload["strong_reply"] == {"a": 0, "b": 1}


def test_problems_in_a_small_file_point_at_file_lines(tmp_path: Path) -> None:
    body = "## a\n- Дальше → a\n"
    assert problems_of(tmp_path, "scenario", FRONT, body) == [
        f"{ITEM_PATH}:6:3: W502",
        f"{ITEM_PATH}:7:3: W502",
        f"{ITEM_PATH}:9:4: E516",
        f"{ITEM_PATH}:9:4: W501",
    ]
    assert problems_of(tmp_path / "no-competencies", "scenario", "", "## a [ending]\nИтог.\n") == [
        f"{ITEM_PATH}:1:1: E105",
    ]


def _playable(graph: Graph) -> bool:
    return not find_problems(graph, COMPETENCIES)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_graphs(max_nodes=6), st.integers(0, 2**32))
def test_random_scenarios_through_the_loader(graph: Graph, seed: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = item_tree(Path(folder), "scenario", "", "")
        (root / "c" / "m" / "item.md").write_text(scenario_markdown(graph), encoding="utf-8")
        result = load_tree(root, display_prefix="")
    errors = [str(p) for p in result.errors]
    assert (not errors) == _playable(graph), errors
    if errors:
        return
    payload = result.courses[0].modules[0].lessons[0].payload
    assert payload["best"] == best_scores(graph, COMPETENCIES)
    assert payload["strong_reply"] == strong_replies(graph)
    chooser = random.Random(seed)
    state = initial_state(payload)
    for _step in range(30):
        if state["finished"]:
            break
        replies = payload["nodes"][state["node"]]["replies"]
        state = apply_choice(payload, state, chooser.randrange(len(replies)))
        assert state["node"] in payload["nodes"]
    if state["finished"]:
        assert payload["nodes"][state["ending"]]["ending"] in ("any", "good")
        assert all(state["scores"][c] <= best for c, best in payload["best"].items())
        assert passes(payload, state)  # no pass rule: any ending passes
