"""drama.toml and cast.toml mistakes: each an error naming the file, the line and the fix."""

import pytest

from drama.errors import DramaError
from drama.project import Project

CAST = """[[character]]
name = "沈清"
color = "#d8dee9"

[[character]]
name = "白薇"
{extra}
"""


def _load(tmp_path, drama='title = "t"\n', cast=None):
    (tmp_path / "drama.toml").write_text(drama, encoding="utf-8")
    if cast is not None:
        (tmp_path / "cast.toml").write_text(cast, encoding="utf-8")
    with pytest.raises(DramaError) as caught:
        Project.load(tmp_path)
    return caught.value


def test_toml_syntax_error_names_the_line(tmp_path):
    error = _load(tmp_path, 'title = "t"\n[video]\nwidth = \n')
    assert (error.path.name, error.line) == ("drama.toml", 3) and "not valid TOML" in error.message


def test_unknown_key_in_a_table_suggests_the_right_one(tmp_path):
    error = _load(tmp_path, 'title = "t"\n\n[render]\ndraw = 3\n')
    assert error.line == 4 and "render.draw" in error.message and "'draws'" in error.hint


def test_bad_value_in_the_second_character_points_at_the_second_character(tmp_path):
    error = _load(tmp_path, cast=CAST.format(extra='color = "red"'))
    assert (error.path.name, error.line) == ("cast.toml", 7) and "character[2].color" in error.message


def test_unknown_key_in_a_character(tmp_path):
    error = _load(tmp_path, cast=CAST.format(extra='descripton = "x"'))
    assert error.line == 7 and "'description'" in error.hint


def test_missing_reference_image_names_cast_line_and_path(tmp_path):
    error = _load(tmp_path, cast=CAST.format(extra='references = ["refs/baiwei.png"]'))
    assert error.line == 7 and str(tmp_path / "refs" / "baiwei.png") in error.message


def test_a_name_used_by_two_characters(tmp_path):
    error = _load(tmp_path, cast=CAST.format(extra='aliases = ["沈清"]'))
    assert error.line == 7 and "沈清" in error.message


def test_unknown_style_suggests_a_preset(tmp_path):
    error = _load(tmp_path, 'title = "t"\nstyle = "anmie"\n')
    assert error.line == 2 and "'anime'" in error.hint


def test_existing_references_load(tmp_path):
    (tmp_path / "refs").mkdir()
    (tmp_path / "refs" / "baiwei.png").write_bytes(b"\x89PNG")
    (tmp_path / "drama.toml").write_text('title = "t"\n', encoding="utf-8")
    (tmp_path / "cast.toml").write_text(CAST.format(extra='references = ["refs/baiwei.png"]'), encoding="utf-8")
    assert Project.load(tmp_path).cast.find("白薇").references == ["refs/baiwei.png"]


def test_two_characters_of_one_name_point_at_the_second(tmp_path):
    error = _load(tmp_path, cast=CAST.format(extra="") + '\n[[character]]\nname = "沈清"\n')
    assert (error.path.name, error.line) == ("cast.toml", 10) and "'沈清' is used twice" in error.message


def test_an_alias_that_is_another_characters_name_is_refused(tmp_path):
    error = _load(tmp_path, cast=CAST.format(extra='aliases = ["沈清"]'))
    assert (error.path.name, error.line) == ("cast.toml", 7) and "'沈清' is used twice" in error.message


def test_an_empty_name_or_alias_is_refused_at_its_line(tmp_path):
    error = _load(tmp_path, cast=CAST.format(extra="").replace('name = "白薇"', 'name = "  "'))
    assert (error.path.name, error.line) == ("cast.toml", 6) and "character[2].name" in error.message
    error = _load(tmp_path, cast=CAST.format(extra='aliases = ["薇薇", ""]'))
    assert (error.path.name, error.line) == ("cast.toml", 7) and "aliases" in error.message
