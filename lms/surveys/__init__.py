"""Feedback surveys: ungraded questionnaires (scales, choices, free text), anonymous or named."""
