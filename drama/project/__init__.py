"""A drama project on disk: drama.toml, cast.toml, episodes/, refs/, locations/, music/ and the generated folders."""

from drama.project.config import Cast, Character, DramaConfig
from drama.project.project import Project

__all__ = ["Cast", "Character", "DramaConfig", "Project"]
