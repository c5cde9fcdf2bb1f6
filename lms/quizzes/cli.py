"""`flask lms import-gift`: a Moodle GIFT question bank turned into a Markdown quiz file, kept with
the GIFT converter it wraps."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lms.cli import lms_cli
from lms.quizzes.gift.convert import convert_gift
from lms.quizzes.gift.files import add_to_module_items, default_quiz_id


@lms_cli.command("import-gift")
@click.argument("gift_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--into",
    "module_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Module folder to write the quiz into, e.g. courses/osnovy-kampanii/03-finansy.",
)
@click.option("--id", "quiz_id", default=None, help="Quiz id (default: from the file name).")
@click.option("--title", default=None, help="Quiz title (default: from the file name).")
@click.option("--force", is_flag=True, help="Overwrite an existing quiz file.")
def import_gift_command(
    gift_file: Path, module_dir: Path, quiz_id: str | None, title: str | None, force: bool
) -> None:
    """Convert a Moodle GIFT question bank into a Markdown quiz in a module folder."""
    if not (module_dir / "module.md").is_file():
        raise click.ClickException(f"{module_dir} has no module.md: give a module folder")
    try:
        text = gift_file.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        line = gift_file.read_bytes()[: error.start].count(b"\n") + 1
        click.echo(f"{gift_file}:{line}:1: file is not valid UTF-8; save it as UTF-8", err=True)
        sys.exit(1)
    quiz_id = quiz_id or default_quiz_id(gift_file)
    try:
        result = convert_gift(text, quiz_id=quiz_id, title=title or gift_file.stem)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    for note in result.notes:
        click.echo(f"{gift_file}: note: {note}", err=True)
    if result.errors:
        for error in result.errors:
            click.echo(f"{gift_file}:{error.line}:{error.col}: {error.message}", err=True)
        click.echo(f"nothing written: {len(result.errors)} error(s)", err=True)
        sys.exit(1)
    target = module_dir / f"{quiz_id}.md"
    if target.exists() and not force:
        raise click.ClickException(f"{target} exists; use --force to overwrite it")
    target.write_text(result.markdown, encoding="utf-8")
    listed = add_to_module_items(module_dir / "module.md", target.name)
    click.echo(f"wrote {target} ({result.questions} questions)")
    if not listed:
        click.echo(f"add `- {target.name}` to the items of {module_dir / 'module.md'}", err=True)
    click.echo("next: flask lms check, then flask lms import")
