"""A fake OpenAI-compatible chat server (`POST /v1/chat/completions`), as DeepSeek, DashScope's compatible mode,
Ollama and vLLM answer it: Bearer auth, the documented request fields (`model`, `messages` of {role, content},
optional `temperature` and `max_tokens`), the answer in `choices[0].message.content`, failures in the error envelope
`{"error": {"message", "type", "code"}}`. It refuses a field it does not document, a missing one, a wrong key and a
model it does not have, as the services do.

Its answers are queued: each request takes the next one (the last is repeated), so a test can answer first with a
broken draft and then with a repaired one. An answer is a text (finish_reason "stop"), None (no content), or a
(text, finish_reason) pair: ("…", "length") is an answer cut off at the output limit.
"""

from __future__ import annotations

import time

from tests.fakes.server import FakeServer, Request, Response

FIELDS = {"model", "messages", "temperature", "max_tokens"}
ROLES = {"system", "user", "assistant"}


def error(status: int, message: str, kind: str, code: str | None = None) -> Response:
    return Response(status, {"error": {"message": message, "type": kind, "code": code}})


class OpenAIChat(FakeServer):
    def __init__(self, answers: list[str | None | tuple[str, str]], *, key: str | None = "sk-test-key", models: tuple[str, ...] = ("deepseek-chat",)):
        super().__init__()
        self.answers, self.key, self.models = list(answers), key, models
        self.bodies: list[dict] = []  # every request body that was accepted
        self.route("POST", r"/v1/chat/completions", self._complete)

    def _complete(self, request: Request) -> Response:
        if self.key is not None and request.headers.get("authorization") != f"Bearer {self.key}":
            return error(401, "Incorrect API key provided. You can find your API key at the console.",
                         "invalid_request_error", "invalid_api_key")
        try:
            body = request.json()
        except ValueError:
            return error(400, "We could not parse the JSON body of your request.", "invalid_request_error")
        if not isinstance(body, dict):
            return error(400, "the body must be a JSON object", "invalid_request_error")
        if unknown := sorted(set(body) - FIELDS):
            return error(400, f"Unrecognized request argument supplied: {unknown[0]}", "invalid_request_error")
        for name in ("model", "messages"):
            if name not in body:
                return error(400, f"Missing required parameter: '{name}'.", "invalid_request_error", "missing_required_parameter")
        messages = body["messages"]
        if not isinstance(messages, list) or not messages or not all(
                isinstance(m, dict) and set(m) == {"role", "content"} and m["role"] in ROLES
                and isinstance(m["content"], str) for m in messages):
            return error(400, "Invalid 'messages': each must be {role: system|user|assistant, content: string}.",
                         "invalid_request_error", "invalid_value")
        if "temperature" in body and not (isinstance(body["temperature"], (int, float)) and 0 <= body["temperature"] <= 2):
            return error(400, "Invalid 'temperature': must be between 0 and 2.", "invalid_request_error", "invalid_value")
        if "max_tokens" in body and not (isinstance(body["max_tokens"], int) and body["max_tokens"] > 0):
            return error(400, "Invalid 'max_tokens'.", "invalid_request_error", "invalid_value")
        if body["model"] not in self.models:
            return error(404, f"The model `{body['model']}` does not exist or you do not have access to it.",
                         "invalid_request_error", "model_not_found")
        self.bodies.append(body)
        answer = self.answers[min(len(self.bodies), len(self.answers)) - 1]
        content, finish = answer if isinstance(answer, tuple) else (answer, "stop")
        return Response(200, {
            "id": f"chatcmpl-{len(self.bodies)}", "object": "chat.completion", "created": int(time.time()),
            "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 100, "total_tokens": 200}})
