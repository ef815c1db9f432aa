"""Record what the real Agently 3 and 4 hand out for a corpus of replies (run by hand, once).

This is not a test: it writes ``tests/data/agently_recorded.json``, which
``tests/test_seeds.py`` compares instant's compat layers against, so the tests never need
Agently. To record again (each Agently in its own virtualenv; nothing here is Agently's code)::

    python3 -m venv /tmp/agently3 && /tmp/agently3/bin/pip install "agently<4" "mcp<2"
    python3 -m venv /tmp/agently4 && /tmp/agently4/bin/pip install agently
    python3 tests/agently_record.py --agently3 /tmp/agently3/bin/python \
        --agently4 /tmp/agently4/bin/python

The script runs itself under each interpreter (``--child v3`` / ``--child v4``); each child
starts a loopback OpenAI-compatible server (``POST /v1/chat/completions``, one
``chat.completion.chunk`` per piece, standard library only) and drives the whole Agently
stack against it, as a user of each version does:

- Agently 3.5: ``agent.use_instant().input(...).output(schema).get_complete_generator()``
  through its OpenAI plugin; every item is recorded with the index of the raw chunk it came
  after (its ``response:delta_origin``). The key filter ``get_instant_keys_generator(expr)``
  is recorded for a few expressions, and a reply without ``.output()`` (plain prose).
- Agently 4.1: ``agent.input(...).output(schema).get_generator(type="instant")``, keeping
  the items of the model request (``source == "model_request"``, path not starting with
  ``$``). The full stack does not say which chunk an item came after, so the same chunks are
  also fed to the parser the stack uses (``agently.utils.StreamingJSONParser``: one
  ``parse_chunk`` per piece, then ``flush_observed_boundaries()`` and
  ``flush_final_data(result)``); the script checks that both give the same items and keeps
  the chunk indexes of the second. ``wait_keys`` and ``get_key_result`` are recorded too.

Raw chunk indexes: every reply is sent as :func:`raw_chunks` makes it, ``[role chunk,
piece 0, ..., piece n-1, finish chunk]`` (the finish chunk carries ``finish_reason`` and
``usage``), so piece ``i`` is raw chunk ``i + 1``, ``n + 2`` means "after the stream ended"
and ``-1`` "before the first chunk". Tuples are stored as lists; Agently 3's
``complete_value`` is kept for the document's own completion only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "data" / "agently_recorded.json"

# -- the corpus ------------------------------------------------------------------------------
# Each reply: a name, the text the "model" sends, and the output schema the caller gives
# Agently (leaves: "str", "int", "float", "bool", "any"; a one-item list is "a list of").

_LONG = (
    "Lisbon rewards slow walking. Start in Alfama before the tour buses, when the lanes "
    "still smell of bread and the fado houses are shuttered; climb to the Miradouro de "
    "Santa Luzia for the river. Ride tram 28 once, early, then walk: the city is small, "
    "steep and kind to the curious. In Belém, eat a pastel de nata warm, with cinnamon, "
    'and skip the queue by ordering "to take away". Evenings belong to Bairro Alto.'
)

CORPUS: list[dict[str, Any]] = [
    {
        "name": "seed_v3_keys",
        "text": json.dumps(
            {
                "value_a": "Hello from instant mode",
                "dict_a": {"key_1": "first value", "key_2": 42},
                "list_b": [
                    {
                        "key_3": "alpha",
                        "list_with_dict_in_list_b": [{"key_3": "a0"}, {"key_3": "a1"}],
                    },
                    {"key_3": "beta", "list_with_dict_in_list_b": [{"key_3": "b0"}]},
                ],
            }
        ),
        "schema": {
            "value_a": "str",
            "dict_a": {"key_1": "str", "key_2": "int"},
            "list_b": [{"key_3": "str", "list_with_dict_in_list_b": [{"key_3": "str"}]}],
        },
    },
    {
        "name": "words_sentence_numbers",
        "text": json.dumps(
            {
                "words": ["apple", "river", "lantern"],
                "sentence": "An apple floated down the river past a lantern.",
                "numbers": [{"value": 7}, {"value": 42}, {"value": -3}, {"value": 100}],
            }
        ),
        "schema": {"words": ["str"], "sentence": "str", "numbers": [{"value": "int"}]},
    },
    {
        "name": "words_phrases_sentence",
        "text": json.dumps(
            {
                "words": ["compiler", "kernel", "cache", "socket", "thread"],
                "phrases": {"red": "a red sunset", "blue": "deep blue sea", "green": "go"},
                "sentence": "The kernel flushed the cache before the thread woke.",
            }
        ),
        "schema": {
            "words": ["str"],
            "phrases": {"red": "str", "blue": "str", "green": "str"},
            "sentence": "str",
        },
    },
    {
        "name": "thinking_result_reply",
        "text": json.dumps(
            {
                "thinking": "34643523 + 52131231: add the units, carry, and so on.",
                "result": 86774754.0,
                "reply": "34643523 + 52131231 = 86774754",
            }
        ),
        "schema": {"thinking": "str", "result": "float", "reply": "str"},
    },
    {
        "name": "fenced_with_prose",
        "text": "Sure! Here is the plan:\n```json\n"
        + json.dumps(
            {
                "title": "Lisbon in 3 days",
                "stops": [{"name": "Belém"}, {"name": "Alfama"}],
                "budget_eur": 120,
            },
            ensure_ascii=False,
        )
        + "\n```\nEnjoy!",
        "schema": {"title": "str", "stops": [{"name": "str"}], "budget_eur": "int"},
    },
    {
        "name": "escapes",
        "text": json.dumps(
            {
                "quote": 'She said "hi"\nthen left',
                "path": "C:\\temp\\x",
                "accent": "café naïve",
                "tab": "a\tb",
            }
        ),
        "schema": {"quote": "str", "path": "str", "accent": "str", "tab": "str"},
    },
    {
        "name": "emoji_escapes",
        "text": json.dumps({"title": "Launch 🚀 today", "mood": "😀", "plain": "ok"}),
        "schema": {"title": "str", "mood": "str", "plain": "str"},
    },
    {
        "name": "repeated_substrings",
        "text": json.dumps(
            {"chant": "abc abc abc", "echo": "la la la la", "digits": "1212 12", "end": "x"}
        ),
        "schema": {"chant": "str", "echo": "str", "digits": "str", "end": "str"},
    },
    {
        "name": "empty_strings",
        "text": json.dumps({"name": "", "note": "", "tags": ["", "x", ""], "after": "ok"}),
        "schema": {"name": "str", "note": "str", "tags": ["str"], "after": "str"},
    },
    {
        "name": "numbers",
        "text": '{"price": 10.05, "count": 12, "neg": -7, "exp": 1.5e3, "zero": 0, '
        '"ratio": 0.125, "big": 12345678901234567890}',
        "schema": {
            "price": "float",
            "count": "int",
            "neg": "int",
            "exp": "float",
            "zero": "int",
            "ratio": "float",
            "big": "int",
        },
    },
    {
        "name": "literals",
        "text": '{"ok": true, "done": false, "missing": null, "flags": [true, null, false], '
        '"tail": "t"}',
        "schema": {"ok": "bool", "done": "bool", "missing": "any", "flags": ["any"], "tail": "str"},
    },
    {
        "name": "empty_containers",
        "text": '{"items": [], "meta": {}, "groups": [[], ["a"]], "last": "end"}',
        "schema": {"items": ["str"], "meta": {"k": "str"}, "groups": [["str"]], "last": "str"},
    },
    {
        "name": "long_answer",
        "text": json.dumps({"answer": _LONG, "sources": [1, 2]}, ensure_ascii=False),
        "schema": {"answer": "str", "sources": ["int"]},
    },
    {
        "name": "chinese",
        "text": json.dumps(
            {"标题": "杭州三日游", "景点": ["西湖", "灵隐寺", "河坊街"], "预算": 1500},
            ensure_ascii=False,
        ),
        "schema": {"标题": "str", "景点": ["str"], "预算": "int"},
    },
    {
        "name": "nested_pretty",
        "text": json.dumps(
            {
                "plan": {
                    "days": [
                        {
                            "day": 1,
                            "slots": [
                                {"time": "09:00", "what": "Tram 28"},
                                {"time": "12:30", "what": "Lunch"},
                            ],
                        },
                        {"day": 2, "slots": [{"time": "10:00", "what": "Belém"}]},
                    ]
                }
            },
            indent=2,
            ensure_ascii=False,
        ),
        "schema": {"plan": {"days": [{"day": "int", "slots": [{"time": "str", "what": "str"}]}]}},
    },
    {
        "name": "prose_around",
        "text": 'Here you go: {"city": "Paris", "days": 3, "tags": ["art", "food"]} Let me know!',
        "schema": {"city": "str", "days": "int", "tags": ["str"]},
    },
    {
        "name": "matrix",
        "text": '{"matrix": [[1, 2, 3], [4, 5, 6]], "det": 0.0, "note": "singular"}',
        "schema": {"matrix": [["int"]], "det": "float", "note": "str"},
    },
    {
        "name": "tool_command",
        "text": json.dumps(
            {
                "first_time_response": "Let me check the time.",
                "tool_using_judgement": True,
                "tool_using_command": {
                    "name": "get_current_time",
                    "kwargs": {"timezone_str": "Asia/Shanghai"},
                },
            }
        ),
        "schema": {
            "first_time_response": "str",
            "tool_using_judgement": "bool",
            "tool_using_command": {"name": "str", "kwargs": {"timezone_str": "str"}},
        },
    },
]

#: the key filters recorded for Agently 3's get_instant_keys_generator (reply, expression)
V3_KEY_FILTERS: list[tuple[str, str]] = [
    ("seed_v3_keys", "value_a"),
    ("seed_v3_keys", "value_a.$delta"),
    ("seed_v3_keys", "value_a&dict_a.key_1&list_b.[].list_with_dict_in_list_b.[].key_3?_,0"),
    ("seed_v3_keys", "list_b.[].list_with_dict_in_list_b.[].key_3?_"),
    ("seed_v3_keys", "list_b.[].list_with_dict_in_list_b.[].key_3?1,_"),
    ("seed_v3_keys", "list_b.[].key_3?0&list_b.[].key_3.$delta?1"),
    ("seed_v3_keys", "dict_a&list_b.[]"),
    ("seed_v3_keys", "value_a.$done"),
    ("words_sentence_numbers", "numbers.[].value?*&words.[]?2"),
    ("words_sentence_numbers", "sentence.$delta&words.[].$delta"),
]

#: the key waits recorded for Agently 4 (reply, keys)
V4_KEY_WAITS: list[tuple[str, list[str]]] = [
    ("thinking_result_reply", ["thinking", "reply"]),
    ("seed_v3_keys", ["list_b[0].key_3", "list_b[1].list_with_dict_in_list_b[0].key_3", "dict_a"]),
    ("words_sentence_numbers", ["numbers[2].value", "sentence"]),
]

#: the plain-text reply (no output schema), Agently 3's first generator example
PROSE = (
    "Call me Ishmael. Some years ago - never mind how long precisely - having little or no "
    "money in my purse [1], I thought I would sail about a little."
)


def tokens(text: str) -> list[str]:
    """Cut like a tokenizer: a word with its leading space, a run of punctuation, blanks."""
    return re.findall(r" ?[^\W_]+| ?[^\w\s]+| ?_+|\s+", text)


def random_pieces(text: str, seed: int) -> list[str]:
    rng = random.Random(seed)
    out, i = [], 0
    while i < len(text):
        k = rng.randint(1, 9)
        out.append(text[i : i + k])
        i += k
    return out


def chunkings(text: str, seed: int) -> dict[str, list[str]]:
    out = {
        "tokens": tokens(text),
        "random": random_pieces(text, seed),
        "fixed3": [text[i : i + 3] for i in range(0, len(text), 3)],
    }
    for name, pieces in out.items():
        assert "".join(pieces) == text, name
    return out


# -- the loopback server ---------------------------------------------------------------------


def raw_chunks(pieces: list[str]) -> list[dict[str, Any]]:
    """The ``chat.completion.chunk`` objects the server sends for ``pieces``."""
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    first = {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
    out = [{**base, "choices": [first]}]
    for piece in pieces:
        choice = {"index": 0, "delta": {"content": piece}, "finish_reason": None}
        out.append({**base, "choices": [choice]})
    usage = {"prompt_tokens": 9, "completion_tokens": len(pieces), "total_tokens": 9 + len(pieces)}
    last = {"index": 0, "delta": {}, "finish_reason": "stop"}
    out.append({**base, "choices": [last], "usage": usage})
    return out


class _Server:
    """Streams the pieces in ``self.pieces`` for every request."""

    def __init__(self) -> None:
        self.pieces: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                for chunk in raw_chunks(owner.pieces):
                    self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/v1"


# -- Agently 3 -------------------------------------------------------------------------------


def _schema_v3(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _schema_v3(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_schema_v3(schema[0])]
    return (schema, "")


def _v3_item(name: str, data: Any) -> Any:
    if name == "instant":
        out = {k: data[k] for k in ("key", "indexes", "delta", "value")}
        if data["key"] == "":
            out["complete_value"] = data["complete_value"]
        return out
    if name == "response:delta_origin":
        return None  # the raw chunk itself: the server's
    return data


def child_v3() -> dict[str, Any]:
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    import Agently  # type: ignore[import-not-found]

    server = _Server()

    def agent() -> Any:
        a = Agently.create_agent()
        a.set_settings("current_model", "OpenAI")
        a.set_settings("model.OpenAI.url", server.url)
        a.set_settings("model.OpenAI.auth", {"api_key": "k"})
        a.set_settings("model.OpenAI.options", {"model": "m"})
        return a

    def complete(pieces: list[str], schema: Any) -> list[Any]:
        server.pieces = pieces
        a = agent().use_instant().input("the question")
        if schema is not None:
            a = a.output(_schema_v3(schema))
        out, raw = [], -1
        for name, data in a.get_complete_generator():
            if name == "response:delta_origin":
                raw += 1
            out.append(
                [raw if raw < len(pieces) + 2 else len(pieces) + 2, name, _v3_item(name, data)]
            )
        return out

    runs: dict[str, Any] = {}
    for reply in CORPUS:
        for cname, pieces in reply["chunkings"].items():
            runs[f"{reply['name']}/{cname}"] = complete(pieces, reply["schema"])
    prose = {c: complete(p, None) for c, p in chunkings(PROSE, 99).items()}
    keys = []
    for reply_name, expr in V3_KEY_FILTERS:
        reply = next(r for r in CORPUS if r["name"] == reply_name)
        server.pieces = reply["chunkings"]["tokens"]
        a = agent().input("the question").output(_schema_v3(reply["schema"]))
        got = [
            {k: d[k] for k in ("key", "indexes", "delta", "value")}
            for d in a.get_instant_keys_generator(expr)
        ]
        keys.append({"reply": reply_name, "chunking": "tokens", "expr": expr, "items": got})
    return {
        "version": Agently.__version__ if hasattr(Agently, "__version__") else _dist("Agently"),
        "runs": runs,
        "prose": prose,
        "key_filters": keys,
    }


# -- Agently 4 -------------------------------------------------------------------------------


def _schema_v4(schema: Any) -> Any:
    types = {"str": str, "int": int, "float": float, "bool": bool, "any": Any}
    if isinstance(schema, dict):
        return {k: _schema_v4(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_schema_v4(schema[0])]
    return (types[schema],)


_V4_FIELDS = ("path", "wildcard_path", "indexes", "event_type", "delta", "value", "is_complete")


def _v4_item(item: Any) -> dict[str, Any]:
    out = {k: getattr(item, k) for k in _V4_FIELDS}
    out["indexes"] = list(out["indexes"])
    return out


def child_v4() -> dict[str, Any]:
    from agently import Agently  # type: ignore[import-not-found]
    from agently.utils import StreamingJSONParser  # type: ignore[import-not-found]

    server = _Server()
    Agently.set_settings(
        "OpenAICompatible", {"base_url": server.url, "model": "m", "auth": "k"}
    ).set_settings("debug", False)

    def request(pieces: list[str], schema: Any) -> Any:
        server.pieces = pieces
        return Agently.create_agent().input("the question").output(_schema_v4(schema))

    def full_stack(pieces: list[str], schema: Any) -> tuple[list[dict[str, Any]], Any]:
        items, result = [], None
        for item in request(pieces, schema).get_generator(type="instant"):
            if getattr(item, "source", None) == "model_request" and not item.path.startswith("$"):
                items.append(_v4_item(item))
            elif getattr(item, "source", None) == "agent_execution" and item.path == "result":
                result = item.value
        # when Agently could not parse the whole reply, "result" is a status, and the stack
        # flushes nothing but the observed boundaries
        if (
            isinstance(result, dict)
            and result.get("kind") == "agent_execution_terminal_result_unavailable"
        ):
            result = None
        return items, result

    async def direct(pieces: list[str], schema: Any, result: Any) -> list[Any]:
        parser = StreamingJSONParser(_schema_v4(schema))
        out: list[Any] = []
        for i, piece in enumerate(pieces):
            async for item in parser.parse_chunk(piece):
                if not item.path.startswith("$"):
                    out.append([i + 1, _v4_item(item)])
        end = len(pieces) + 2
        async for item in parser.flush_observed_boundaries():
            out.append([end, _v4_item(item)])
        async for item in parser.flush_final_data(result):
            out.append([end, _v4_item(item)])
        return out

    runs: dict[str, Any] = {}
    for reply in CORPUS:
        for cname, pieces in reply["chunkings"].items():
            items, result = full_stack(pieces, reply["schema"])
            tagged = asyncio.run(direct(pieces, reply["schema"], result))
            if [i for _, i in tagged] != items:
                raise SystemExit(f"v4 parser and full stack differ on {reply['name']}/{cname}")
            runs[f"{reply['name']}/{cname}"] = {"items": tagged, "result": result}
    waits = []
    for reply_name, keys in V4_KEY_WAITS:
        reply = next(r for r in CORPUS if r["name"] == reply_name)
        pieces = reply["chunkings"]["tokens"]
        got = [list(x) for x in request(pieces, reply["schema"]).wait_keys(keys)]
        first = request(pieces, reply["schema"]).get_key_result(keys[0])
        waits.append(
            {
                "reply": reply_name,
                "chunking": "tokens",
                "keys": keys,
                "wait_keys": got,
                "get_key_result": first,
            }
        )
    return {"version": _dist("agently"), "runs": runs, "key_waits": waits}


def _dist(name: str) -> str:
    from importlib.metadata import version

    return version(name)


# -- main ------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--agently3", help="a Python with agently<4 installed")
    ap.add_argument("--agently4", help="a Python with agently 4 installed")
    ap.add_argument("--child", choices=["v3", "v4"], help=argparse.SUPPRESS)
    ap.add_argument("--child-out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    for seed, reply in enumerate(CORPUS):
        reply["chunkings"] = chunkings(reply["text"], seed)
    if args.child:
        data = child_v3() if args.child == "v3" else child_v4()
        Path(args.child_out).write_text(json.dumps(data), encoding="utf-8")
        return
    if not (args.agently3 and args.agently4):
        ap.error("give --agently3 and --agently4")
    out: dict[str, Any] = {
        "how": "tests/agently_record.py (see its docstring); raw chunk indexes as it says",
        "corpus": CORPUS,
        "prose": {"text": PROSE, "chunkings": chunkings(PROSE, 99)},
    }
    for tag, python in (("v3", args.agently3), ("v4", args.agently4)):
        part = OUT.with_suffix(f".{tag}.part")
        cmd = [python, __file__, "--child", tag, "--child-out", str(part)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode:
            raise SystemExit(f"{tag} failed:\n{proc.stderr[-4000:]}")
        out["agently3" if tag == "v3" else "agently4"] = json.loads(part.read_text("utf-8"))
        part.unlink()
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(out, separators=(",", ":")) + "\n", encoding="ascii")
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
