"""Shared pieces only: time, errors, role checks, web plumbing."""
