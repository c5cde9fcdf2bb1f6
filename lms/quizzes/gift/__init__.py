"""GIFT import: a Moodle question bank read and written as one of this LMS's Markdown quiz files."""
