"""Record tests/data/v1_links.json: links that link format v1 accepts, and what each opens.

The table pins down what old links mean, so that a new link reader can be checked against
it (tests/settings/test_old_links.py): every link in it must open the same experiment after a
rewrite as it opened with the v1 reader. It must therefore be recorded from the v1 code,
commit b6cc9ba, never from a later reader. From the repository's root::

    git worktree add --detach /tmp/optviz-v1 b6cc9ba
    . /work/venv/bin/activate  # or any environment with the app's requirements
    python tests/data/make_v1_links.py --v1 /tmp/optviz-v1 --out tests/data/v1_links.json
    git worktree remove /tmp/optviz-v1

The script imports optviz and surfaces from ``--v1`` (default: this checkout) and refuses
to run when their code there differs from b6cc9ba's (``git diff b6cc9ba -- optviz surfaces``).

Each entry holds the raw link (the text after "?", read with urllib.parse.parse_qs and
keep_blank_values=True, as Streamlit reads the address bar), what it covers, its kind
("clean": v1 reported no problem; "repaired": v1 reported problems, ignored or adjusted
something, and opened the sensible experiment recorded here), v1's problems (their wording
may change; only whether there are any is compared), v1's canonical link for the experiment
(``query_string``), and the experiment in a structured form that does not depend on any
serializer: surface, every surface parameter, start, steps, tolerance, speed, and each run's
optimizer with all its hyperparameter values (``Run.values()``, defaults included, pairs as
lists).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs

V1_COMMIT = "b6cc9ba"
HERE = Path(__file__).resolve().parent
README_LINK = (
    "v=1&surface=valley:kappa=20,angle=30&steps=200&run=sgd:lr=0.09&run=sgd:lr=0.02,momentum=0.9&run=adam:lr=0.1"
)

# Non-default values to try for each hyperparameter name: the first one that is in the
# link's range and differs from the optimizer's default is used.
TRY_VALUES = {
    "lr": ("0.05", "0.2"),
    "momentum": ("0.9", "0.5"),
    "dampening": ("0.1", "0.5"),
    "weight_decay": ("0.01", "0.05"),
    "lr_decay": ("0.01", "0.1"),
    "initial_accumulator_value": ("0.1", "1"),
    "eps": ("1e-6", "1e-4"),
    "alpha": ("0.9", "0.95"),
    "rho": ("0.95", "0.8"),
    "beta1": ("0.8", "0.5"),
    "beta2": ("0.99", "0.9"),
    "momentum_decay": ("0.01", "0.002"),
}
FLAG_SPELLINGS = (("true", "false"), ("1", "0"), ("yes", "no"), ("on", "off"))


def _read(link: str) -> dict[str, list[str]]:
    return dict(parse_qs(link, keep_blank_values=True))


def structured(experiment) -> dict:
    """The experiment as plain data: every value, defaults included; pairs as lists."""
    import surfaces

    params = {p.name: p.default for p in surfaces.entry(experiment.surface).param_specs}
    params.update(dict(experiment.surface_params))
    return {
        "surface": experiment.surface,
        "surface_params": params,
        "start": list(experiment.start),
        "steps": experiment.steps,
        "tolerance": experiment.tolerance,
        "speed": experiment.speed,
        "runs": [
            {
                "optimizer": run.optimizer,
                "hyperparameters": {k: list(v) if isinstance(v, tuple) else v for k, v in run.values().items()},
            }
            for run in experiment.runs
        ],
    }


# ------------------------------------------------------------------------------- the links


def _basics() -> list[tuple[str, str]]:
    return [
        ("", "the default page: no query at all"),
        ("v=1", "the default page as the share box writes it"),
        (README_LINK, "the README's example link"),
        (
            "v=1&surface=valley:kappa=100&start=-2.5,1&steps=300&run=sgd:lr=0.015,momentum=0.9&run=adam:lr=0.05,beta1=0.8",
            "the example in optviz/experiment.py's docstring",
        ),
        (
            (
                "v=1&surface=valley:kappa=20,angle=30&steps=200"
                "&run=sgd:lr=0.09&run=sgd:lr=0.02,momentum=0.9&run=adam:lr=0.1&run=rmsprop:lr=0.05"
            ),
            "the screenshot's link (scripts/screenshot.py)",
        ),
    ]


def _surfaces() -> list[tuple[str, str]]:
    import surfaces

    links = []
    for name in surfaces.names():
        links.append((f"v=1&surface={name}", f"surface {name} with its default parameters and start"))
        specs = surfaces.entry(name).param_specs
        for param in specs:
            middle = (param.low + param.high) / 2
            value = middle if middle != param.default else param.low
            links.append((f"v=1&surface={name}:{param.name}={value:g}", f"surface {name}, {param.name} alone"))
        if specs:
            every = ",".join(f"{p.name}={p.high:g}" for p in specs)
            links.append((f"v=1&surface={name}:{every}", f"surface {name}, every parameter at its upper end"))
            defaults = ",".join(f"{p.name}={p.default:g}" for p in specs)
            links.append((f"surface={name}:{defaults}", f"surface {name}, parameters spelled at their defaults"))
    return links


def _optimizers() -> list[tuple[str, str]]:
    from optviz.optimizers import OPTIMIZERS

    links = []
    for name, spec in OPTIMIZERS.items():
        links.append((f"v=1&run={name}", f"{name} alone with torch's defaults"))
        pieces = []
        for hp in spec.hyperparameters:
            for part in hp.parts or (hp,):
                if part.kind == "bool":
                    continue
                value = next(v for v in TRY_VALUES[part.name] if float(v) != part.default)
                pieces.append(f"{part.name}={value}")
            if hp.kind == "bool":
                links.append((f"v=1&run={name}:{hp.name}=true", f"{name}: flag {hp.name} on"))
        links.append((f"v=1&run={name}:{','.join(pieces)}", f"{name}: every number not at its default"))
        defaults = []
        for hp in spec.hyperparameters:
            for part in hp.parts or (hp,):
                text = ("true" if part.default else "false") if part.kind == "bool" else repr(part.default)
                defaults.append(f"{part.name}={text}")
        links.append((f"v=1&run={name}:{','.join(defaults)}", f"{name}: every hyperparameter spelled at its default"))
    # flags in every spelling v1 reads
    for on, off in FLAG_SPELLINGS:
        for yes, no in ((on, off), (off, on)):
            links.append(
                (
                    (
                        f"run=sgd:lr=0.01,momentum=0.9,nesterov={yes}&run=rmsprop:centered={no}"
                        f"&run=adam:amsgrad={yes},decoupled_weight_decay={no}"
                    ),
                    f"flags spelled {yes} and {no}",
                )
            )
    links += [
        ("run=adamw:amsgrad=true,weight_decay=0", "adamw: amsgrad on, no weight decay (its default is 0.01)"),
        ("run=nadam:decoupled_weight_decay=true,weight_decay=0.01", "nadam: decoupled weight decay"),
        ("run=radam:decoupled_weight_decay=true,weight_decay=0.01", "radam: decoupled weight decay"),
        ("run=adam:beta1=0.5,beta2=0.9", "adam: both halves of betas"),
        ("run=adam:beta2=0.9,beta1=0.5", "adam: both halves of betas, in the other order"),
        ("run=adamax:beta1=0.4,beta2=0.9,weight_decay=0.05", "adamax: the combination issue 7 names"),
        ("run=adam:beta1=0,beta2=0.5", "adam: beta1 and beta2 at their lower ends"),
        ("run=sgd:lr=1e-5&run=sgd:lr=10", "sgd: lr at both ends of the link's range"),
        ("run=sgd:momentum=0.999,dampening=1", "sgd: momentum and dampening at their upper ends"),
        ("run=rmsprop:lr=0.01,alpha=0.5,momentum=0.9,centered=true", "rmsprop with momentum, centered"),
        ("run=adagrad:lr=0.5,lr_decay=1,initial_accumulator_value=10,eps=1", "adagrad at upper ends"),
        ("run=adadelta:lr=10,rho=0.9999,eps=1e-12", "adadelta at range ends"),
        ("run=nadam:momentum_decay=0.1", "nadam: momentum_decay at its upper end"),
    ]
    return links


def _top_level() -> list[tuple[str, str]]:
    return [
        ("v=1&start=0,0", "start at the origin"),
        ("v=1&start=-2,-1", "start at the lower corner of rosenbrock's plot"),
        ("v=1&start=2,3", "start at the upper corner of rosenbrock's plot"),
        ("v=1&start=-1.5,2", "start spelled at its default"),
        ("v=1&surface=valley&start=-2.5,1.5", "start on another surface"),
        ("v=1&surface=booth&start=9.5,-9.5", "start far out on a large plot"),
        ("v=1&surface=six_hump_camel&start=0.0898,-0.7126", "start near a minimum"),
        ("v=1&start=-0,-0", "start at minus zero"),
        ("v=1&start=1.5e0,-5e-1", "start in exponent notation"),
        ("v=1&steps=1", "the fewest steps"),
        ("v=1&steps=5000", "the most steps"),
        ("v=1&steps=0500", "steps with a leading zero"),
        ("v=1&tol=1e-6", "tolerance in exponent notation"),
        ("v=1&tol=1E-12", "the smallest tolerance, capital E"),
        ("v=1&tol=1000", "the largest tolerance"),
        ("v=1&tol=0.5", "tolerance as a decimal"),
        ("v=1&speed=slow", "slow animation"),
        ("v=1&speed=fast", "fast animation"),
        ("v=1&speed=normal", "normal animation, spelled out"),
        ("v=1&run=none", "no runs at all"),
        ("surface=saddle&run=none", "no runs, without v"),
        ("surface=saddle&run=adam:lr=0.1", "a link without v"),
        ("run=adam&steps=100&v=1&surface=booth&speed=fast", "keys in an unusual order"),
        ("run=sgd:lr=0.01&tol=0.01&run=adam:lr=0.01&start=1,1", "runs split by other keys"),
        (
            (
                "v=1&surface=rastrigin&start=-4.2,3.8&steps=2000&tol=1e-4&speed=slow"
                "&run=sgd:lr=0.001,momentum=0.99&run=adam:lr=0.1,beta1=0.95,beta2=0.9999,amsgrad=true"
            ),
            "every key at once",
        ),
        (
            (
                "v=1&run=sgd:lr=0.001&run=sgd:lr=0.001,momentum=0.9&run=sgd:lr=0.001,momentum=0.9,nesterov=true"
                "&run=adagrad:lr=0.5&run=rmsprop:lr=0.01&run=adam:lr=0.05&run=adadelta&run=nadam:lr=0.05"
            ),
            "the default runs spelled out",
        ),
        (
            "v=1&"
            + "&".join(
                f"run={name}:lr={lr}"
                for name, lr in [
                    ("sgd", "0.01"),
                    ("adagrad", "0.5"),
                    ("rmsprop", "0.01"),
                    ("adadelta", "1"),
                    ("adam", "0.05"),
                    ("adamw", "0.05"),
                    ("nadam", "0.05"),
                    ("radam", "0.05"),
                    ("adamax", "0.05"),
                    ("sgd", "0.1"),
                ]
            ),
            "ten runs: the most a link holds",
        ),
        ("run=adam:lr=0.05&run=adam:lr=0.05", "the same run twice"),
        ("run=adam:lr=0.1,lr=0.05", "a hyperparameter twice: the last one counts"),
        ("steps=100&steps=200", "steps twice: the last one counts"),
        ("surface=valley&surface=saddle", "surface twice: the last one counts"),
        ("run=adam:%20lr%20=%200.05%20,%20beta1%20=%200.8", "whitespace around names and values in a run"),
        ("surface=%20valley%20:%20kappa%20=%2050&steps=%20300%20", "whitespace in the surface and steps"),
        ("start=%201,%202&tol=%201e-4", "whitespace in start and tol"),
        ("run=adam:lr=5e-2,eps=1E-6,beta2=9.99e-1", "hyperparameters in exponent notation"),
        ("run=sgd:lr=+0.05,momentum=.9", "a leading + and a leading ."),
        ("run=sgd:lr=0.050,momentum=0.90", "trailing zeros"),
        ("run=adam:lr=5.", "a trailing ."),
        ("surface=valley:kappa=1e2,angle=-4.5e1", "surface parameters in exponent notation"),
        ("run=adam%3Alr%3D0.05%2Cbeta1%3D0.8", "a run fully percent-encoded"),
        ("surface=valley%3Akappa%3D50&start=-2%2C1", "surface and start percent-encoded"),
        ("run=adam:lr=0.05&", "a trailing &"),
        ("run=adam:lr=0.05,", "a trailing comma in a run"),
        ("run=adam:", "a run with a colon and nothing after it"),
        ("surface=valley:", "a surface with a colon and nothing after it"),
        ("v=&run=adam", "an empty v"),
        ("speed=&run=adam", "an empty speed: normal"),
    ]


def _repaired() -> list[tuple[str, str]]:
    return [
        ("v=1&run=adam:lr=0.05&utm_source=mail", "a tracking parameter is ignored"),
        ("fbclid=abc123&v=1&surface=saddle", "a tracking parameter first"),
        ("v=2&run=adam", "an unknown version is read as version 1"),
        ("run=adam:lr=0.05,momentum=0.9", "a hyperparameter adam does not have is ignored"),
        ("run=adam:lr=0.05,foo", "a piece without '=' is ignored"),
        ("run=sgd:lr=0.01,nesterov=true", "nesterov without momentum is turned off"),
        ("run=sgd:lr=0.01,momentum=0.9,dampening=0.5,nesterov=true", "nesterov with dampening is turned off"),
        ("run=lbfgs&run=adam:lr=0.05", "an unknown optimizer's run is dropped, the others kept"),
        ("run=none&run=adam", "'none' beside a run is dropped"),
        ("surface=valley:tilt=3,kappa=50", "a parameter the valley does not have is ignored"),
        ("surface=banana&run=adam", "an unknown surface falls back to rosenbrock"),
        ("run=sgd:nesterov=maybe,lr=0.01", "a flag that is not true/false is ignored"),
        ("run=adam:lr=abc", "a number that is not a number is ignored"),
        ("run=adam:lr=nan", "NaN is ignored"),
        ("start=nan,1&steps=200", "a NaN start falls back to the surface's default"),
        ("steps=1e3", "steps in exponent notation is not a whole number: the default"),
        ("speed=warp", "an unknown speed: normal"),
        ("run=bogus&run=junk:", "no valid run: the default runs"),
        ("&".join(["run=adam:lr=0.05"] * 12), "twelve runs: the first ten are kept"),
        ("surface=valley:kappa=5000", "kappa above its range is clamped to 1000 (a range policy of v1)"),
        ("steps=99999", "steps above 5000 are clamped to 5000 (a range policy of v1)"),
        ("steps=-4", "steps below 1 are clamped to 1 (a range policy of v1)"),
        ("start=99,-99", "a start outside the plot is clamped to its edge (a range policy of v1)"),
        ("tol=-1", "a negative tolerance: the default (a range policy of v1)"),
        ("run=adam:beta1=1.5", "beta1 above its range is clamped to 0.999 (a range policy of v1)"),
    ]


# ------------------------------------------------------------------------------------- main


def _check_v1(root: Path) -> None:
    diff = subprocess.run(
        ["git", "-C", str(root), "diff", "--quiet", V1_COMMIT, "--", "optviz", "surfaces"], check=False
    )
    if diff.returncode != 0:
        msg = f"{root}: optviz/ or surfaces/ differ from {V1_COMMIT}; record the table from a worktree of {V1_COMMIT}"
        raise SystemExit(msg)


def record(root: Path) -> dict:
    sys.path.insert(0, str(root))
    from optviz.experiment import parse, query_string

    import optviz

    if not Path(optviz.__file__).resolve().is_relative_to(root):
        msg = f"imported optviz from {optviz.__file__}, not from {root}"
        raise SystemExit(msg)
    entries = []
    seen = set()
    for link, note in _basics() + _surfaces() + _optimizers() + _top_level() + _repaired():
        if link in seen:
            continue
        seen.add(link)
        experiment, problems = parse(_read(link))
        entries.append(
            {
                "link": link,
                "note": note,
                "kind": "repaired" if problems else "clean",
                "v1_problems": problems,
                "v1_query_string": query_string(experiment),
                "experiment": structured(experiment),
            }
        )
    return {
        "about": (
            "Links that link format v1 accepts and the experiment each opens, recorded from commit "
            f"{V1_COMMIT} by tests/data/make_v1_links.py (see its docstring); checked by tests/settings/test_old_links.py."
        ),
        "recorded_from": V1_COMMIT,
        "links": entries,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--v1", type=Path, default=HERE.parent.parent, help="a checkout of the v1 code")
    parser.add_argument("--out", type=Path, default=HERE / "v1_links.json")
    args = parser.parse_args(argv)
    root = args.v1.resolve()
    _check_v1(root)
    table = record(root)
    args.out.write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n")
    clean = sum(entry["kind"] == "clean" for entry in table["links"])
    sys.stdout.write(f"{args.out}: {len(table['links'])} links, {clean} clean\n")


if __name__ == "__main__":
    main()
