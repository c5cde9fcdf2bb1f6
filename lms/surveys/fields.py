"""What a survey's front matter may contain besides the common item keys."""

from __future__ import annotations

from lms.content.schema import Field, boolean

# `anonymous` has no default: whether answers carry a name is a promise made to the people who
# answer, so the author states it in every survey.
SURVEY_FIELDS: dict[str, Field] = {
    "anonymous": Field(boolean, required=True),
}
