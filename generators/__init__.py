"""Hypothesis strategies and data laws for the ntkverify suite (DESIGN.md, THEOREMS.md §2).

* :mod:`generators.seeds` -- deterministic trial seeds from (session seed, statement, check, scenario).
* :mod:`generators.laws` -- data laws ``P_X`` tagged with the assumptions of THEOREMS.md §2 they satisfy
  or violate (A2.1 scaling, A2.2 Lipschitz concentration, zero mean; i.i.d./full dimension).
* :mod:`generators.scenarios` -- size budgets and strategies for architectures, β presets, ``r``, laws,
  datasets; they draw deterministic hypotheses only, never arrays.
"""

from .laws import (
    ALL_LAWS,
    ASSUMPTION_TAGS,
    IMPLICIT_TAGS,
    LAWS_SATISFYING,
    LAWS_VIOLATING,
    BinaryHypercube,
    DataLaw,
    Gaussian,
    GeneratorPushforward,
    HeavyTailed,
    Hypercube,
    LowDimensional,
    NonCentered,
    RepeatedPoints,
    Sphere,
    law_from_params,
)
from .scenarios import (
    BETA_PRESETS,
    BUDGETS,
    Architecture,
    Budget,
    DatasetSpec,
    Dims,
    architectures,
    budget_from_env,
    data_laws,
    datasets,
    dims,
    even_r,
    max_n_for_wide_layer,
    pick_beta_preset,
    violating_laws,
    wide_threshold,
)
from .seeds import (
    DEFAULT_SESSION_SEED,
    canonical,
    replay_rng,
    replay_seed_description,
    scenario_entropy,
    trial_rngs,
    trial_seeds,
)

__all__ = [
    "ALL_LAWS", "ASSUMPTION_TAGS", "IMPLICIT_TAGS", "LAWS_SATISFYING", "LAWS_VIOLATING",
    "BinaryHypercube", "DataLaw", "Gaussian", "GeneratorPushforward", "HeavyTailed", "Hypercube",
    "LowDimensional", "NonCentered", "RepeatedPoints", "Sphere", "law_from_params",
    "BETA_PRESETS", "BUDGETS", "Architecture", "Budget", "DatasetSpec", "Dims", "architectures",
    "budget_from_env", "data_laws", "datasets", "dims", "even_r", "max_n_for_wide_layer",
    "pick_beta_preset", "violating_laws", "wide_threshold",
    "DEFAULT_SESSION_SEED", "canonical", "replay_rng", "replay_seed_description", "scenario_entropy",
    "trial_rngs", "trial_seeds",
]
