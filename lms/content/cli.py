"""`flask lms render FILE`: one Markdown file through the import pipeline, for authors checking a page."""

from __future__ import annotations

from pathlib import Path

import click

from lms.cli import lms_cli
from lms.content.loader import render_file


@lms_cli.command("render")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def render_command(file: Path) -> None:
    """Print the sanitised HTML of one Markdown file, through the import pipeline."""
    click.echo(render_file(file))
