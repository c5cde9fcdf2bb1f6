"""The audit log: append-only records of who did what, when and from where."""
