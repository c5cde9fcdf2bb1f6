"""Quizzes: question types, grading, attempts, item analysis."""
