"""The one statistical test the learning loop uses: a two-proportion z-test, with the normal CDF through `math.erf`
(no scipy needed)."""

import math

SIGNIFICANCE = 0.05
"""One-sided: a change is acted on when chance alone would show it less than 5 % of the time."""


def normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def two_proportion_z(x_control: int, n_control: int, x_treat: int, n_treat: int) -> dict[str, float | None]:
    """z of the treatment's rate minus the control's, with the pooled standard error; the one-sided p-values that
    the treatment's rate is lower (`p_lower`) or higher (`p_higher`)."""
    if not n_control or not n_treat:
        return {"z": None, "p_lower": None, "p_higher": None}
    p_c, p_t = x_control / n_control, x_treat / n_treat
    pooled = (x_control + x_treat) / (n_control + n_treat)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_control + 1 / n_treat))
    if se == 0:
        return {"z": 0.0, "p_lower": 0.5, "p_higher": 0.5}
    z = (p_t - p_c) / se
    return {"z": round(z, 4), "p_lower": round(normal_cdf(z), 6), "p_higher": round(1 - normal_cdf(z), 6)}
