"""An OpenAI-compatible chat client (DeepSeek, Qwen on DashScope, a local Ollama or vLLM): `POST {base}/chat/completions`
with `model`, `messages` and `temperature`, the reply read from `choices[0].message.content`.

Settings come from the environment only: DRAMA_LLM_BASE (the OpenAI SDK's base_url, ending in /v1 for most servers),
DRAMA_LLM_MODEL, and DRAMA_LLM_KEY (optional: local servers take none). The key is sent as a Bearer token and never
written anywhere: every message that might carry it (a server echoing it back) has it masked.

Faults are LLMErrors saying what to do: an unreachable server, a refused key (401/403), a rate limit (429: waits as
long as Retry-After asks, a few times, then stops), a model the server does not have, a prompt longer than the model's
context, an answer with no content.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Literal

import httpx
from pydantic import BaseModel, Field

from drama.errors import DramaError

BASE_ENV, KEY_ENV, MODEL_ENV = "DRAMA_LLM_BASE", "DRAMA_LLM_KEY", "DRAMA_LLM_MODEL"
EXAMPLES = "https://api.deepseek.com/v1, https://dashscope.aliyuncs.com/compatible-mode/v1, http://localhost:11434/v1"
RETRIES = 3  # a 429 or a 5xx is tried again this many times
LONGEST_WAIT = 120.0  # seconds: a Retry-After longer than this is reported, not waited out
_CONTEXT_WORDS = ("context_length_exceeded", "context length", "maximum context", "too many tokens",
                  "prompt is too long", "input is too long")
_sleep = time.sleep  # tests replace it to see the waits without waiting


class LLMError(DramaError):
    """The chat server: unset, unreachable, refusing, or answering with nothing usable."""


class Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class ChatSettings(BaseModel):
    base: str = Field(pattern=r"^https?://\S+$")
    model: str = Field(min_length=1)
    key: str | None = Field(None, repr=False)
    timeout: float = 600.0  # seconds for one answer: a long episode from a slow local model takes minutes

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "ChatSettings":
        base, model = environ.get(BASE_ENV, "").strip(), environ.get(MODEL_ENV, "").strip()
        if not base:
            raise LLMError(f"{BASE_ENV} is not set: drama does not know which chat server to ask",
                           hint=f"export {BASE_ENV}=URL of an OpenAI-compatible API, e.g. {EXAMPLES}")
        if not base.startswith(("http://", "https://")):
            raise LLMError(f"{BASE_ENV} is not an http(s) URL: {base!r}", hint=f"e.g. {EXAMPLES}")
        if not model:
            raise LLMError(f"{MODEL_ENV} is not set: drama does not know which model to ask",
                           hint=f"export {MODEL_ENV}=NAME, e.g. deepseek-chat, qwen-plus, qwen2.5:7b (Ollama)")
        return cls(base=base.rstrip("/"), model=model, key=environ.get(KEY_ENV, "").strip() or None)

    @property
    def url(self) -> str:
        return self.base if self.base.endswith("/chat/completions") else f"{self.base}/chat/completions"


class Reply(BaseModel):
    content: str
    finish_reason: str | None = None


class ChatClient:
    def __init__(self, settings: ChatSettings, transport: httpx.BaseTransport | None = None):
        self.settings = settings
        headers = {"authorization": f"Bearer {settings.key}"} if settings.key else {}
        self._http = httpx.Client(headers=headers, timeout=httpx.Timeout(settings.timeout, connect=10.0),
                                  transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "ChatClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def complete(self, messages: list[Message], *, temperature: float = 0.7) -> Reply:
        body = {"model": self.settings.model, "messages": [m.model_dump() for m in messages], "temperature": temperature}
        attempt = 0
        while True:
            response = self._post(body)
            if response.status_code == 429 or response.status_code >= 500:
                wait = _retry_after(response, attempt)
                if attempt >= RETRIES or wait > LONGEST_WAIT:
                    raise self._busy(response, wait, attempt + 1)
                _sleep(wait)
                attempt += 1
                continue
            if response.status_code != 200:
                raise self._refused(response)
            return self._reply(response)

    def _post(self, body: dict) -> httpx.Response:
        try:
            return self._http.post(self.settings.url, json=body)
        except httpx.TimeoutException:
            raise LLMError(f"the chat server at {self.settings.base} did not answer within {self.settings.timeout:.0f} s",
                           hint="a slow local model: try a smaller one, or more episodes (--episodes N) so each "
                                "answer is shorter") from None
        except httpx.TransportError as error:
            raise LLMError(f"cannot reach the chat server at {self.settings.base}: {self._mask(str(error))}",
                           hint=f"check {BASE_ENV} and that the server is running (ollama serve, vllm serve …)") from None

    def _mask(self, text: str) -> str:
        return text.replace(self.settings.key, "***") if self.settings.key else text

    def _said(self, response: httpx.Response) -> tuple[str, str]:
        """The server's own words for a failure (OpenAI's error envelope, else the body) and its error code."""
        try:
            data = response.json()
        except ValueError:
            return self._mask(response.text.strip()[:300]), ""
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict):
            return self._mask(str(error.get("message") or error)), str(error.get("code") or error.get("type") or "")
        if isinstance(error, str):
            return self._mask(error), ""
        return self._mask(str(data)[:300]), ""

    def _busy(self, response: httpx.Response, wait: float, tries: int) -> LLMError:
        said, _ = self._said(response)
        if response.status_code == 429:
            return LLMError(f"the chat server keeps refusing for too many requests (HTTP 429): {said}",
                            hint=f"wait {wait:.0f} s (the server's Retry-After) and run again, or raise the "
                                 "account's rate limit; episodes already written are kept")
        return LLMError(f"the chat server failed (HTTP {response.status_code}, {tries} time{'s' if tries != 1 else ''}): {said}",
                        hint="try again later, or another server or model")

    def _refused(self, response: httpx.Response) -> LLMError:
        said, code = self._said(response)
        status = response.status_code
        if status in (401, 403):
            return LLMError(f"the chat server refused the key (HTTP {status}): {said}",
                            hint=f"set {KEY_ENV} to a valid API key for {self.settings.base} "
                                 f"({'it is not set' if not self.settings.key else 'the one set was refused'})")
        if any(word in f"{code} {said}".lower() for word in _CONTEXT_WORDS):
            return LLMError(f"the story is too long for the model's context (HTTP {status}): {said}",
                            hint="split it into more episodes (--episodes N, larger), or use a model with a "
                                 f"longer context ({MODEL_ENV})")
        if status == 404:
            if "model" in f"{code} {said}".lower():
                return LLMError(f"the chat server has no model {self.settings.model!r} (HTTP 404): {said}",
                                hint=f"set {MODEL_ENV} to a model the server lists (GET {self.settings.base}/models)")
            return LLMError(f"no chat API at {self.settings.url} (HTTP 404)",
                            hint=f"{BASE_ENV} is the OpenAI SDK's base_url, usually ending in /v1: {EXAMPLES}")
        return LLMError(f"the chat server refused the request (HTTP {status}): {said}",
                        hint=f"check {BASE_ENV} and {MODEL_ENV}; run again with --debug for the details")

    def _reply(self, response: httpx.Response) -> Reply:
        try:
            choice = response.json()["choices"][0]
            content, finish = choice["message"].get("content"), choice.get("finish_reason")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise LLMError(f"the server at {self.settings.base} did not answer as an OpenAI-compatible chat API "
                           f"(no choices[0].message): {self._mask(response.text[:200])}",
                           hint=f"check {BASE_ENV}: it should be the API's base_url, e.g. {EXAMPLES}") from None
        if not isinstance(content, str) or not content.strip():
            reason = {"length": "it ran out of output tokens before writing anything (a reasoning model thinking "
                                "too long)", "content_filter": "the provider's content filter withheld it"}
            raise LLMError(f"the model {self.settings.model!r} returned no content (finish_reason: {finish})",
                           hint=reason.get(finish, "try again, or another model") if finish else "try again, or another model")
        return Reply(content=content, finish_reason=finish)


def _retry_after(response: httpx.Response, attempt: int) -> float:
    """Seconds the server asks to wait (Retry-After in seconds), else an exponential back-off from 1 s."""
    try:
        return max(0.0, float(response.headers["retry-after"]))
    except (KeyError, ValueError):
        return float(2 ** attempt)
