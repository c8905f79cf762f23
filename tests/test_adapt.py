"""`drama adapt STORY PROJECT` against an in-process fake OpenAI-compatible chat server (tests/fakes/chat.py): a draft
that drama's parser and check find errors in goes back with its findings and the repaired one is written; one that
never passes is kept as a draft with its findings; nothing is overwritten without --force; the server's faults
(401, 429 with Retry-After, no content, a context too long, nothing listening) end in messages saying what to do."""

from __future__ import annotations

import json
import tomllib

import pytest

from drama.adapt import llm
from drama.adapt.story import STORY_SECONDS_PER_EPISODE, split_story
from drama.cli import main
from drama.project import Project
from drama.project.scaffold import create_project
from tests.fakes.chat import OpenAIChat, error
from tests.fakes.server import Response

KEY = "sk-test-key"
STORY = """林夏是个外卖骑手。一个雨夜，她骑车冲进城中村的巷口，差点撞上蹲在路边的周野。

周野抱着一把旧吉他，说他的命早就押在这把吉他上了。林夏看见吉他上贴着一张泛黄的演出票。
"""
BROKEN = """1-1 夜 外 城中村巷口
人物：林夏、周野
△ 小雨。林夏骑着电动车冲进巷口，差点撞上蹲在路边的周野。
林下：（怒）你不要命了？
周野：（苦笑）命？早就押在这把吉他上了。
"""
REPAIRED = """人物小传：
老王：60岁，城中村的门卫，秃顶，穿旧军大衣。

1-1 夜 外 城中村巷口
人物：林夏、周野、老王
△ 小雨。林夏骑着电动车冲进巷口，差点撞上蹲在路边的周野。
林夏：（怒）你不要命了？
周野：（苦笑）命？早就押在这把吉他上了。
老王：大半夜的，吵什么！
△ 林夏低头，看见吉他上贴着一张泛黄的演出票。
"""


@pytest.fixture
def project(tmp_path):
    """A Chinese project as `drama new` makes it (cast: 林夏, 周野), its sample episode taken out."""
    root = tmp_path / "proj"
    create_project(root, language="zh", title="雨季")
    (root / "episodes" / "ep01.txt").unlink()
    (tmp_path / "story.txt").write_text(STORY, encoding="utf-8")
    return root


@pytest.fixture
def waits(monkeypatch):
    """The Retry-After waits the client would sleep, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(llm, "_sleep", slept.append)
    return slept


def _env(monkeypatch, server, key=KEY):
    monkeypatch.delenv("DRAMA_ENV_FILE", raising=False)
    monkeypatch.setenv("DRAMA_LLM_BASE", f"{server.url}/v1")
    monkeypatch.setenv("DRAMA_LLM_MODEL", "deepseek-chat")
    monkeypatch.setenv("DRAMA_LLM_KEY", key)


def _adapt(project, *extra):
    return main(["adapt", str(project.parent / "story.txt"), str(project), "--episodes", "1", *extra])


def test_errors_go_back_to_the_model_and_the_repaired_draft_is_written(project, monkeypatch, capsys):
    cast_before = (project / "cast.toml").read_text(encoding="utf-8")
    with OpenAIChat([BROKEN, REPAIRED]) as server:
        _env(monkeypatch, server)
        assert _adapt(project) == 0
    first, second = server.bodies
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    assert "林夏" in first["messages"][1]["content"] and "周野" in first["messages"][1]["content"]  # the cast, by name
    assert "城中村的巷口" in first["messages"][1]["content"]  # the story
    assert [m["role"] for m in second["messages"]] == ["system", "user", "assistant", "user"]
    assert second["messages"][2]["content"] == BROKEN
    repair = second["messages"][3]["content"]
    assert "第 4 行" in repair and "'林下'" in repair and "'林夏'" in repair  # the unknown speaker, its line, the name meant
    assert (project / "episodes" / "ep01.txt").read_text(encoding="utf-8") == REPAIRED
    assert not list((project / "episodes").glob("*.draft")) and not list((project / "episodes").glob("*.json"))
    # the new character is added to cast.toml, the cast already there kept byte for byte
    cast_after = (project / "cast.toml").read_text(encoding="utf-8")
    assert cast_after.startswith(cast_before.rstrip())
    added = tomllib.loads(cast_after)["character"][2]
    assert added["name"] == "老王" and "门卫" in added["description"]
    assert added["age"] == "old" and "sex" not in added  # 60岁 says the age; nothing says the sex: left to fill in
    assert [c.name for c in Project.load(project).cast.character] == ["林夏", "周野", "老王"]
    assert not any(KEY in path.read_text(encoding="utf-8", errors="replace")
                   for path in project.rglob("*") if path.is_file())  # the key is in no file
    assert "老王" in capsys.readouterr().out
    assert main(["check", str(project)]) == 0  # what was written passes drama check


def test_without_a_cast_the_draft_makes_one_and_a_misspelt_cue_is_still_caught(project, monkeypatch):
    (project / "cast.toml").unlink()
    with OpenAIChat([BROKEN, REPAIRED]) as server:
        _env(monkeypatch, server)
        assert _adapt(project) == 0
    # 林下 is close to 林夏, whom the 人物 line lists, and is never introduced: a misspelling, sent back
    assert "'林下'" in server.bodies[1]["messages"][3]["content"]
    text = (project / "cast.toml").read_text(encoding="utf-8")
    assert text.startswith("# Added by `drama adapt story.txt`")
    assert sorted(c.name for c in Project.load(project).cast.character) == sorted(["林夏", "周野", "老王"])


def test_a_draft_that_never_passes_is_kept_with_its_findings(project, monkeypatch, capsys):
    with OpenAIChat([BROKEN]) as server:
        _env(monkeypatch, server)
        assert _adapt(project, "--repairs", "1") == 1
    assert len(server.bodies) == 2  # the draft and one repair
    episodes = project / "episodes"
    assert not (episodes / "ep01.txt").exists()
    assert (episodes / "ep01.txt.draft").read_text(encoding="utf-8") == BROKEN
    saved = json.loads((episodes / "ep01.findings.json").read_text(encoding="utf-8"))
    assert saved["attempts"] == 2 and saved["counts"]["error"] == 1
    [speaker] = [f for f in saved["findings"] if f["severity"] == "error"]
    assert speaker["kind"] == "speaker" and speaker["line"] == 4 and speaker["file"] == str(episodes / "ep01.txt.draft")
    assert "林夏" in speaker["message"]
    err = capsys.readouterr().err
    assert "ep01.txt.draft" in err and "ep01.findings.json" in err


def test_an_answer_cut_off_at_the_output_limit_is_repaired_not_taken(project, monkeypatch):
    cut = REPAIRED[:REPAIRED.index("老王：")]  # parses and checks clean, but the episode's end is missing
    with OpenAIChat([(cut, "length"), REPAIRED]) as server:
        _env(monkeypatch, server)
        assert _adapt(project) == 0
    repair = server.bodies[1]["messages"][3]["content"]
    assert f"第 {len(cut.splitlines())} 行" in repair and "output limit" in repair
    assert (project / "episodes" / "ep01.txt").read_text(encoding="utf-8") == REPAIRED


def test_zero_repairs_sends_one_request(project, monkeypatch):
    with OpenAIChat([BROKEN, REPAIRED]) as server:
        _env(monkeypatch, server)
        assert _adapt(project, "--repairs", "0") == 1
    assert len(server.bodies) == 1


def test_nothing_is_overwritten_without_force(project, monkeypatch, capsys):
    mine = project / "episodes" / "ep01.txt"
    mine.write_text("1-1 日 内 客厅\n林夏：我自己写的。\n", encoding="utf-8")
    with OpenAIChat([REPAIRED]) as server:
        _env(monkeypatch, server)
        assert _adapt(project) == 2
        assert "--force" in capsys.readouterr().err
        assert server.log == []  # refused before asking the model anything
        assert mine.read_text(encoding="utf-8") == "1-1 日 内 客厅\n林夏：我自己写的。\n"
        assert _adapt(project, "--force") == 0
    assert mine.read_text(encoding="utf-8") == REPAIRED


def test_force_replaces_an_earlier_draft_and_its_findings(project, monkeypatch):
    with OpenAIChat([BROKEN]) as server:
        _env(monkeypatch, server)
        assert _adapt(project, "--repairs", "0") == 1
    with OpenAIChat([REPAIRED]) as server:
        _env(monkeypatch, server)
        assert _adapt(project) == 2  # the draft and its findings are not overwritten either
        assert _adapt(project, "--force") == 0
    episodes = project / "episodes"
    assert (episodes / "ep01.txt").exists()
    assert not (episodes / "ep01.txt.draft").exists() and not (episodes / "ep01.findings.json").exists()


def test_start_numbers_the_episodes_after_those_written(project, monkeypatch):
    with OpenAIChat([REPAIRED]) as server:
        _env(monkeypatch, server)
        assert _adapt(project) == 0
        assert _adapt(project, "--start", "2") == 0
    assert sorted(p.name for p in (project / "episodes").iterdir()) == ["ep01.txt", "ep02.txt"]


def test_an_outline_with_episode_markers_is_one_request_per_episode(project, monkeypatch):
    (project.parent / "outline.txt").write_text("故事梗概：外卖骑手和落魄歌手的雨季。\n\n第一集：雨夜\n林夏在巷口撞见周野。\n\n第二集：演出票\n林夏去看周野的演出。\n",
                                                 encoding="utf-8")
    with OpenAIChat([REPAIRED]) as server:
        _env(monkeypatch, server)
        assert main(["adapt", str(project.parent / "outline.txt"), str(project)]) == 0
    first, second = (body["messages"][1]["content"] for body in server.bodies)
    assert "共 2 集" in first and "第 1 集「雨夜」" in first and "林夏在巷口撞见周野" in first
    assert "外卖骑手和落魄歌手的雨季" in first and "外卖骑手和落魄歌手的雨季" in second  # the premise, for each
    assert "第 2 集「演出票」" in second and "林夏去看周野的演出" in second and "巷口撞见" not in second
    assert "老王" in second  # a character the first episode introduced is in the cast of the next
    assert "上一集的结尾" in second and "1-1 夜 外 城中村巷口" in second
    assert [p.name for p in sorted((project / "episodes").iterdir())] == ["ep01.txt", "ep02.txt"]
    assert [c.name for c in Project.load(project).cast.character].count("老王") == 1


def test_fountain_project_and_a_character_introduced_in_capitals(tmp_path, monkeypatch):
    root = tmp_path / "en"
    create_project(root, language="en", title="Last Train")
    (root / "episodes" / "ep01.fountain").unlink()
    (tmp_path / "story.txt").write_text("Maya rides the last train home. Leo, her ex, gets on at the next stop.\n",
                                        encoding="utf-8")
    broken = "INT. SUBWAY CAR - NIGHT\n\nThe car rattles.\n\nMAYAA\nOne more stop.\n"
    fixed = ("INT. SUBWAY CAR - NIGHT\n\nThe car rattles. MAYA clutches a cup. DREW (60s), a conductor in a "
             "faded cap, punches tickets.\n\nMAYA\nOne more stop.\n\nDREW\nLast stop, miss.\n")
    with OpenAIChat([broken, fixed]) as server:
        _env(monkeypatch, server)
        assert main(["adapt", str(tmp_path / "story.txt"), str(root), "--episodes", "1"]) == 0
    repair = server.bodies[1]["messages"][3]["content"]
    assert "line 5" in repair and "'MAYAA'" in repair and "'MAYA'" in repair
    assert (root / "episodes" / "ep01.fountain").read_text(encoding="utf-8") == fixed
    drew = Project.load(root).cast.find("DREW")
    assert drew is not None and drew.description == "DREW (60s), a conductor in a faded cap, punches tickets."


def test_a_reply_in_a_code_fence_after_thinking_is_the_screenplay(project, monkeypatch):
    wrapped = f"<think>\n先想想人物。\n</think>\n\n```\n{REPAIRED}```\n"
    with OpenAIChat([wrapped]) as server:
        _env(monkeypatch, server)
        assert _adapt(project) == 0
    assert (project / "episodes" / "ep01.txt").read_text(encoding="utf-8") == REPAIRED


# --- the server's faults --------------------------------------------------------------------------------------

def test_a_refused_key_names_the_variable_and_never_shows_the_key(project, monkeypatch, capsys):
    with OpenAIChat([REPAIRED]) as server:
        _env(monkeypatch, server, key="sk-wrong-secret-123")
        assert _adapt(project) == 2
    err = capsys.readouterr().err
    assert "401" in err and "DRAMA_LLM_KEY" in err
    assert "sk-wrong-secret-123" not in err
    assert not list((project / "episodes").iterdir())


def test_a_key_the_server_echoes_back_is_masked(project, monkeypatch, capsys):
    with OpenAIChat([REPAIRED]) as server:
        server.fault("POST", r"/v1/chat/completions",
                     error(403, f"key {KEY} is not allowed to use this model", "permission_error"))
        _env(monkeypatch, server)
        assert _adapt(project) == 2
    err = capsys.readouterr().err
    assert "403" in err and KEY not in err and "***" in err


def test_429_waits_as_long_as_retry_after_says_then_goes_on(project, monkeypatch, waits):
    with OpenAIChat([REPAIRED]) as server:
        server.fault("POST", r"/v1/chat/completions",
                     Response(429, {"error": {"message": "Rate limit reached", "type": "rate_limit_error", "code": None}},
                              {"retry-after": "7"}))
        _env(monkeypatch, server)
        assert _adapt(project) == 0
    assert waits == [7.0]
    assert len(server.log) == 2


def test_429_that_does_not_stop_ends_in_a_message(project, monkeypatch, waits, capsys):
    with OpenAIChat([REPAIRED]) as server:
        server.fault("POST", r"/v1/chat/completions",
                     Response(429, {"error": {"message": "Rate limit reached", "type": "rate_limit_error", "code": None}},
                              {"retry-after": "3"}), times=100)
        _env(monkeypatch, server)
        assert _adapt(project) == 2
    assert waits == [3.0] * llm.RETRIES
    err = capsys.readouterr().err
    assert "429" in err and "wait 3 s" in err


def test_a_server_error_is_tried_again_after_a_back_off(project, monkeypatch, waits):
    with OpenAIChat([REPAIRED]) as server:
        server.fault("POST", r"/v1/chat/completions", error(503, "The server is overloaded", "server_error"), times=2)
        _env(monkeypatch, server)
        assert _adapt(project) == 0
    assert waits == [1.0, 2.0]  # no Retry-After: 1 s, then 2 s


def test_a_retry_after_too_long_to_wait_is_reported_at_once(project, monkeypatch, waits, capsys):
    with OpenAIChat([REPAIRED]) as server:
        server.fault("POST", r"/v1/chat/completions", Response(429, {"error": {"message": "quota"}},
                                                                {"retry-after": "3600"}))
        _env(monkeypatch, server)
        assert _adapt(project) == 2
    assert waits == [] and "wait 3600 s" in capsys.readouterr().err


def test_no_content_is_an_error_and_a_draft_under_repair_is_kept(project, monkeypatch, capsys):
    with OpenAIChat([BROKEN, ""]) as server:
        _env(monkeypatch, server)
        assert _adapt(project) == 2
    err = capsys.readouterr().err
    assert "returned no content" in err
    assert (project / "episodes" / "ep01.txt.draft").read_text(encoding="utf-8") == BROKEN
    assert json.loads((project / "episodes" / "ep01.findings.json").read_text(encoding="utf-8"))["counts"]["error"] == 1


def test_a_context_too_long_says_to_cut_the_story_into_more_episodes(project, monkeypatch, capsys):
    with OpenAIChat([REPAIRED]) as server:
        server.fault("POST", r"/v1/chat/completions", error(
            400, "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens.",
            "invalid_request_error", "context_length_exceeded"))
        _env(monkeypatch, server)
        assert _adapt(project) == 2
    assert "--episodes" in capsys.readouterr().err


def test_a_model_the_server_does_not_have(project, monkeypatch, capsys):
    with OpenAIChat([REPAIRED], models=("qwen-plus",)) as server:
        _env(monkeypatch, server)
        assert _adapt(project) == 2
    assert "DRAMA_LLM_MODEL" in capsys.readouterr().err


def test_a_base_url_without_the_api_path_says_where_it_should_end(project, monkeypatch, capsys):
    with OpenAIChat([REPAIRED]) as server:
        _env(monkeypatch, server)
        monkeypatch.setenv("DRAMA_LLM_BASE", server.url)  # no /v1: POST /chat/completions finds nothing
        assert _adapt(project) == 2
    err = capsys.readouterr().err
    assert "no chat API at" in err and "/v1" in err and "DRAMA_LLM_BASE" in err


def test_no_server_listening_names_the_base_variable(project, monkeypatch, capsys):
    monkeypatch.delenv("DRAMA_ENV_FILE", raising=False)
    monkeypatch.setenv("DRAMA_LLM_BASE", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("DRAMA_LLM_MODEL", "deepseek-chat")
    assert _adapt(project) == 2
    err = capsys.readouterr().err
    assert "cannot reach" in err and "DRAMA_LLM_BASE" in err


def test_unset_settings_name_the_variable(project, monkeypatch, capsys):
    monkeypatch.delenv("DRAMA_ENV_FILE", raising=False)
    monkeypatch.delenv("DRAMA_LLM_BASE", raising=False)
    assert _adapt(project) == 2
    assert "DRAMA_LLM_BASE is not set" in capsys.readouterr().err


def test_a_missing_story_file(project, monkeypatch, capsys):
    with OpenAIChat([REPAIRED]) as server:
        _env(monkeypatch, server)
        assert main(["adapt", str(project.parent / "nope.txt"), str(project)]) == 2
    assert "no such story file" in capsys.readouterr().err


def test_the_fake_refuses_what_the_api_does_not_document():
    """The fake is as strict as the services, so the tests above prove drama sends exactly the documented request."""
    import httpx

    good = {"model": "deepseek-chat", "messages": [{"role": "user", "content": "hi"}]}
    auth = {"authorization": f"Bearer {KEY}"}
    with OpenAIChat(["ok"]) as server:
        url = f"{server.url}/v1/chat/completions"
        assert httpx.post(url, json=good, headers=auth).json()["choices"][0]["message"]["content"] == "ok"
        assert httpx.post(url, json={**good, "top_k": 5}, headers=auth).status_code == 400
        assert httpx.post(url, json={"model": "deepseek-chat"}, headers=auth).status_code == 400
        assert httpx.post(url, json={**good, "messages": [{"role": "narrator", "content": "x"}]}, headers=auth).status_code == 400
        refused = httpx.post(url, json=good, headers={"authorization": "Bearer nope"})
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"


# --- cutting the story into episodes --------------------------------------------------------------------------

def test_a_story_is_cut_at_paragraphs_by_its_reading_time():
    paragraph = "雨" * 360 + "。"  # 360 CJK characters: 80 s read aloud
    story = "\n\n".join([paragraph] * 6)  # 480 s
    parts = split_story(story)
    assert len(parts) == round(480 / STORY_SECONDS_PER_EPISODE) == 2
    assert [part.text.count("。") for part in parts] == [3, 3]
    assert [part.line for part in parts] == [1, 7]  # each part's first line in the file


def test_more_episodes_than_paragraphs_cuts_at_sentences():
    parts = split_story("One. Two! Three?\n", 3)
    assert [part.text for part in parts] == ["One.", "Two!", "Three?"]
