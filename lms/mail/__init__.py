"""Outgoing mail: an outbox written in the request's transaction, sent later by `flask lms send-mail`."""
