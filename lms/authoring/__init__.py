"""Authoring in the browser (issue 14): drafts in the database, files under `courses/` the truth.

A page layer like `admin`: it may import content, progress, the item kinds, audit, accounts and
core; nothing imports it but the app factory.
"""
