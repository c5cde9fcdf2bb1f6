"""Bulk onboarding: users from CSV and XLSX files, previewed row by row before anything is written."""
