"""`drama adapt STORY PROJECT`: a story, outline or novel chapter drafted into episode screenplays by any
OpenAI-compatible chat model, each draft parsed by drama's parser and checked by `drama check`, the findings sent
back for repairs, what still fails kept beside the draft with its findings.

story.py cuts the story into episodes, prompts.py writes the messages (templates/prompts/adapt_*.j2), llm.py talks
to the chat server, verdict.py judges a draft, cast.py adds new characters to cast.toml, adapt.py runs the loop.
"""

from drama.adapt.adapt import AdaptReport, EpisodeResult, adapt
from drama.adapt.llm import ChatClient, ChatSettings, LLMError

__all__ = ["AdaptReport", "ChatClient", "ChatSettings", "EpisodeResult", "LLMError", "adapt"]
