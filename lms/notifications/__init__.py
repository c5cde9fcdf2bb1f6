"""In-app notifications, the daily digest and coordinators' reminders: a low domain, called down into."""
