"""ntk — exact and fast neural-tangent-kernel objects of bias-free deep ReLU networks.

Pure numpy/scipy functions (no global state, no test-framework imports) for the objects of
Nguyen, Mondelli & Montúfar (ICML 2021), as restated in ``shared/THEOREMS.md`` §1:
networks and features (:mod:`ntk.network`), the empirical NTK by the layerwise identity
(:mod:`ntk.empirical`), the limiting NTK by the arc-cosine recursion (:mod:`ntk.limiting`),
Hermite coefficients (:mod:`ntk.hermite`), spectra with numerical floors (:mod:`ntk.spectra`) and
Lipschitz estimates of the feature maps (:mod:`ntk.lipschitz`) and their exact value for small
networks by activation-region enumeration (:mod:`ntk.regions`).
"""

from .empirical import (
    empirical_ntk,
    empirical_ntk_batch,
    empirical_ntk_terms,
    gram,
    jacobian,
    limit_scaling,
    parameter_count,
)
from .hermite import hadamard_power, hermite_coefficients, hermite_functions, khatri_rao_power, relu_hermite
from .limiting import (
    LimitingNTK,
    arccos_kernels,
    input_angles,
    limiting_ntk,
    limiting_ntk_matrix,
    relu_derivative_expectation,
    relu_expectation,
)
from .lipschitz import LipschitzEstimate, lipschitz_lower_estimate, naive_lipschitz_upper, pattern_jacobian
from .regions import ExactLipschitz, activation_regions, exact_lipschitz
from .network import BETA_PRESETS, Forward, backprop_rows, forward, init_weights, init_weights_batch, resolve_betas
from .spectra import Eig, lambda_min, sigma_min

__all__ = [
    "BETA_PRESETS",
    "Eig",
    "ExactLipschitz",
    "Forward",
    "LimitingNTK",
    "LipschitzEstimate",
    "activation_regions",
    "arccos_kernels",
    "backprop_rows",
    "empirical_ntk",
    "empirical_ntk_batch",
    "empirical_ntk_terms",
    "exact_lipschitz",
    "forward",
    "gram",
    "hadamard_power",
    "hermite_coefficients",
    "hermite_functions",
    "init_weights",
    "init_weights_batch",
    "input_angles",
    "jacobian",
    "khatri_rao_power",
    "lambda_min",
    "limit_scaling",
    "limiting_ntk",
    "limiting_ntk_matrix",
    "lipschitz_lower_estimate",
    "naive_lipschitz_upper",
    "parameter_count",
    "pattern_jacobian",
    "relu_derivative_expectation",
    "relu_expectation",
    "relu_hermite",
    "resolve_betas",
    "sigma_min",
]
