"""The link grammar's generators (tests/link_grammar.py) make what they promise.

These tests check the generators, not the parser: that they cover the grammar (every
optimizer, every hyperparameter name, pairs and halves, every surface and parameter, odd
numbers, payloads, long links) and that the Hypothesis strategies run without health-check
trouble. The parser is held to them elsewhere (scripts/fuzz_links.py, the parser's tests).
"""

import random
import re

from hypothesis import HealthCheck, given, settings

import surfaces
from optviz import OPTIMIZERS
from optviz.settings import LINK_KEYS, SETTINGS
from tests.link_grammar import (
    KEYS,
    PAYLOADS,
    link_names,
    queries,
    query_from_string,
    random_query,
    random_raw_query,
    raw_queries,
)


def is_query(query) -> bool:
    return isinstance(query, dict) and all(
        isinstance(key, str) and isinstance(values, list) and values and all(isinstance(v, str) for v in values)
        for key, values in query.items()
    )


def test_query_from_string_reads_as_streamlit_does():
    assert query_from_string("") == {}
    assert query_from_string("v=1&run=adam:lr=0.1&run=sgd") == {"v": ["1"], "run": ["adam:lr=0.1", "sgd"]}
    assert query_from_string("run&steps=") == {"run": [""], "steps": [""]}
    assert query_from_string("run=adam%3Alr%3D0.1%2Cbeta1%3D0.8") == {"run": ["adam:lr=0.1,beta1=0.8"]}
    assert query_from_string("x=a+b%20c") == {"x": ["a b c"]}
    assert query_from_string("x=%zz%e2%82") == {"x": ["%zz\ufffd"]}
    assert query_from_string("x=1=2&&y=") == {"x": ["1=2"], "y": [""]}


def test_the_same_seed_gives_the_same_queries():
    first = [random_query(random.Random(9)) for _ in range(3)]
    assert first == [random_query(random.Random(9)) for _ in range(3)]
    assert random_raw_query(random.Random(4)) == random_raw_query(random.Random(4))


def test_the_generated_queries_cover_the_grammar():
    rng = random.Random(2024)
    samples = [random_query(rng) for _ in range(2500)]
    samples += [query_from_string(random_raw_query(rng)) for _ in range(1500)]
    assert all(is_query(q) for q in samples)

    runs = [run for q in samples for run in q.get("run", [])]
    run_keys = {}
    for run in runs:
        name, _, rest = run.partition(":")
        run_keys.setdefault(name, set()).update(piece.partition("=")[0] for piece in rest.split(","))
    for name in OPTIMIZERS:
        assert name in run_keys, name
        assert set(link_names(name)) <= run_keys[name], (name, set(link_names(name)) - run_keys[name])
    assert "betas" in link_names("adam")
    assert "none" in runs

    never = sorted({spec.link_key for spec in SETTINGS} - {key for q in samples for key in q})
    assert not never, f"settings of the table never fuzzed: {never}"

    surface_texts = [s for q in samples for s in q.get("surface", [])]
    for name in surfaces.names():
        for param in surfaces.entry(name).param_specs:
            assert any(text.startswith(f"{name}:") and f"{param.name}=" in text for text in surface_texts)
        assert name in {text.partition(":")[0] for text in surface_texts}

    text = "\n".join(f"{k}={v}" for q in samples for k, vs in q.items() for v in vs)
    wanted = [
        "betas=0",  # a pair written the torch way: the comma splits it
        "betas=(",
        "lr=0.1,0.2" if "lr=0.1,0.2" in text else "lr=",
        "=inf",
        "=-inf",
        "=nan",
        "=1e309",
        "=-0",
        "=0x",
        "1_",
        "٣" if "٣" in text else "٠",
        "０" if "０" in text else "１",
        "%2",
        "![](http://host/pixel.png)",
        "[Sign in again](https://host/login)",
        ":red-background[**Session expired**]",
        "<script>",
        "$x^2$",
        "nesterov=true",
        "=yes",
        "=off",
    ]
    missing = [w for w in wanted if w not in text]
    assert not missing, missing
    assert any(re.search(r"beta[12]=", run) and "betas=" in run for run in runs)  # a pair and a half together
    assert any(any(p in key for p in PAYLOADS) for q in samples for key in q)
    assert max(len(q.get("run", [])) for q in samples) >= 12
    assert max(sum(len(v) for v in q.values()) for q in samples) >= 500
    assert max(len(v) for q in samples for vs in q.values() for v in vs) >= 2000
    assert any(len(q.get("surface", [])) > 1 for q in samples)  # repeated keys
    assert any(v == "" for q in samples for vs in q.values() for v in vs)  # empty values


def test_the_grammar_writes_every_key_the_reader_reads():
    missing, extra = sorted(set(LINK_KEYS) - set(KEYS)), sorted(set(KEYS) - set(LINK_KEYS))
    assert not missing, f"link keys the grammar never writes: {missing}"
    assert not extra, f"keys the grammar writes that the reader does not know: {extra}"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(queries())
def test_the_strategy_draws_queries(query):
    assert is_query(query)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw_queries())
def test_the_strategy_draws_raw_links(text):
    assert isinstance(text, str)
    assert is_query(query_from_string(text))
