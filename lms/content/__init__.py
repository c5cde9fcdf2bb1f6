"""Courses: a Flask-free loader and renderer (loader, render), SQL sync, and lesson pages."""
