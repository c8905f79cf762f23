"""Edit: the timeline, subtitles, loudness and exporters that turn picked takes into a finished episode."""
