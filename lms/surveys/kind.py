"""The `survey` item kind: questions parsed and rendered from the body at import."""

from __future__ import annotations

from lms.content.registry import ItemKind, no_checks, nothing_after_import
from lms.surveys.fields import SURVEY_FIELDS
from lms.surveys.format import parse_survey

SURVEY = ItemKind(
    name="survey",
    fields=SURVEY_FIELDS,
    body=parse_survey,
    lint=no_checks,  # parse_survey reports every problem of a survey body itself
    page="surveys.overview",
    page_key="survey_key",
    after_import=nothing_after_import,  # answers refer to question and option keys, kept stable
)
