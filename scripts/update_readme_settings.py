"""Rewrite the README's settings table from the Settings class (run by `make readme`)."""

from pathlib import Path

from core.settings_doc import settings_table

readme = Path(__file__).resolve().parents[1] / "README.md"
text = readme.read_text()
head, rest = text.split("<!-- settings:start -->\n", 1)
_, tail = rest.split("\n<!-- settings:end -->", 1)
readme.write_text(f"{head}<!-- settings:start -->\n{settings_table()}\n<!-- settings:end -->{tail}")
