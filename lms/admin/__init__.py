"""The administration area: users, invitations and course staff, for admins and coordinators.

A page layer over accounts, progress and content (arrows point down into them); the account
operations themselves live in lms.accounts.services.
"""
