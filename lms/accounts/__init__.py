"""Users, roles, regions, sessions, login and bulk import."""
