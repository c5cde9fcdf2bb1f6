"""Courses: a Flask-free loader and renderer (loader, render), the item-kind registry, SQL sync,
links and assets."""
