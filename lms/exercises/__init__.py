"""Voter-work exercises: conversation scenarios and field assignments."""
