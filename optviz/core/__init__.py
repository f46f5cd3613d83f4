"""The numerical core: what an optimizer is and how it steps, in NumPy and nothing else.

- ``primitives``, ``portable``: the arithmetic, correctly rounded on every CPU (one ``**``
  and one set of transcendental functions, so that every machine computes the same bits).
- ``specs``: the one record for a setting (:class:`~optviz.core.specs.Spec`) and for a
  problem found in one (:class:`~optviz.core.specs.Problem`), records only, never words.
- ``hyperparameters``: the optimizers' settings, with torch's checks.
- ``optimizers/``: the update rules, one module per family, each a registration.
- ``schedules``: learning-rate schedules, stepped as torch.optim.lr_scheduler steps them.
- ``rules``: what makes a run runnable (an optimizer with a schedule, a batch size).
- ``engine/``: the stepping loop over any surface of any dimension, and what it records.
- ``budget``: the one work budget, in seconds of this machine, that every caller asks.

The core knows no surface by name and no page: it takes a surface as an object and reports
problems as records that :mod:`optviz.text.problems` words.

May import: optviz.text.
"""
