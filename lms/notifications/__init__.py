"""In-app notifications, the daily digest mail and coordinators' reminders (a low domain: called down into)."""
