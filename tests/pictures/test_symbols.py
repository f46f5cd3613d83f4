"""Every symbol of every form of every update rule is defined next to it on the page."""

import itertools

import pytest

from optviz import OPTIMIZERS
from optviz.teach.symbols import COMMON, legend, tokens
from optviz.text import LANGUAGES, catalog, hyperparameter_help


def rule_forms(name):
    """The settings that give each form of ``name``'s rule: each switch and non-zero term alone and together."""
    spec = OPTIMIZERS[name]
    defaults = spec.defaults()
    changes = []
    for hp in spec.hyperparameters:
        if hp.kind == "bool":
            changes.append({hp.name: not hp.default})
        elif hp.kind == "float" and hp.default == 0:
            changes.append({hp.name: 0.5})
    forms = []
    for size in range(len(changes) + 1):
        for combination in itertools.combinations(changes, size):
            values = {**defaults}
            for change in combination:
                values.update(change)
            try:
                spec.resolve(values)
            except ValueError:  # e.g. Nesterov without momentum: not a rule anyone runs
                continue
            forms.append(values)
    return forms


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_symbol_of_every_rule_form_has_a_meaning(name, lang):
    spec = OPTIMIZERS[name]
    for values in rule_forms(name):
        latex = spec.rule(values)
        for symbol in legend(spec, latex, [values], lang):
            assert symbol.meaning, f"{name}: {symbol.latex} in {latex!r} has no definition"


def test_no_definition_is_left_unused():
    used = {name: set() for name in OPTIMIZERS}
    for name, spec in OPTIMIZERS.items():
        for values in rule_forms(name):
            used[name] |= {symbol.latex for symbol in legend(spec, spec.rule(values))}
    defined = [key.removeprefix("symbol.") for key in catalog("en") if key.startswith("symbol.")]
    for key in defined:
        optimizer, _, symbol = key.partition(".")
        if optimizer in OPTIMIZERS:  # symbol.<optimizer>.<latex>: that optimizer's own
            assert symbol in used[optimizer], (optimizer, symbol)
        else:  # symbol.<latex>: shared, used by some rule
            assert any(key in symbols for symbols in used.values()), key
    assert all(set(COMMON) <= symbols for symbols in used.values())


def test_hyperparameters_carry_each_runs_value_and_their_help():
    sgd = OPTIMIZERS["sgd"]
    runs = [{**sgd.defaults(), "lr": 0.09, "momentum": 0.9}, {**sgd.defaults(), "lr": 0.02, "momentum": 0.9}]
    symbols = legend(sgd, sgd.rule(runs[0]), runs)
    assert [s.latex for s in symbols] == [r"\gamma", r"\mu", r"\tau", "g_t", r"\theta_t", "b_t"]
    assert symbols[0].values == (0.09, 0.02)
    assert symbols[0].meaning == hyperparameter_help("sgd", "lr")
    assert symbols[5].values == ()


def test_pairs_are_split_into_their_parts():
    adam = OPTIMIZERS["adam"]
    values = {**adam.defaults(), "betas": (0.8, 0.99)}
    symbols = {s.latex: s for s in legend(adam, adam.rule(values), [values])}
    assert symbols[r"\beta_1"].values == (0.8,)
    assert symbols[r"\beta_2"].values == (0.99,)


@pytest.mark.parametrize(
    ("latex", "expected"),
    [
        (r"\theta_t &= \theta_{t-1} - \gamma\, g_t", [r"\theta_t", r"\theta_{t-1}", r"\gamma", "g_t"]),
        (r"\tilde\gamma &= \gamma / (1 + (t - 1)\,\eta)", [r"\tilde\gamma", r"\gamma", r"\eta"]),
        (r"d_t &= \sqrt{v_t - \bar g_t^2} + \epsilon", ["d_t", "v_t", r"\bar g_t", r"\epsilon"]),
        (r"\frac{m_t}{1 - \beta_1^t} \cdot \begin{cases} 1 & \text{otherwise} \end{cases}", ["m_t", r"\beta_1"]),
        (r"\prod_{i=1}^{t} \mu_i, \quad v^{\max}_{t-1}, \rho_\infty", [r"\mu_i", r"v^{\max}_{t-1}", r"\rho_\infty"]),
    ],
)
def test_tokens_are_the_symbols_not_the_operators(latex, expected):
    assert tokens(latex) == expected
