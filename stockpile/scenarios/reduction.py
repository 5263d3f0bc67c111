"""Scenario reduction by fast forward selection (Heitsch and Roemisch, 2003).

Given scenarios xi_1..xi_N with probabilities p_i and a distance c(i, j), select n of them
greedily so that the Kantorovich distance between the full and the reduced distribution,

    D(J) = sum_{i in J} p_i min_{j not in J} c(i, j)        (J the deleted scenarios)

is small. Step k adds the scenario u minimising sum_{i not selected, i != u} p_i c_k(i, u),
where c_k(i, u) = min(c_{k-1}(i, u), c_{k-1}(i, u_{k-1})) is the distance of i to the
selected set once u is added. At the end each deleted scenario gives its probability to its
nearest selected scenario (the optimal redistribution), so probabilities still sum to 1.

The distance is Euclidean on a feature vector that weights each (t, h, k) deficit by what
it costs when unmet: xi_s = [(mu - a)^+ d L * kappa_mean] (and capacity losses weighted by
the route's capacity), so two scenarios are close when they cost alike without stock.
"""

from __future__ import annotations

import numpy as np

from ..model.data import ModelData


def features(data: ModelData) -> np.ndarray:
    """Cost-weighted deficit features of every scenario of ``data``, (S, F)."""
    weight = (data.tier_share * data.tier_cost).sum(axis=2)  # mean cost per tonne (H, K)
    deficit = data.deficit() * weight[None, None]
    cap_loss = ((1.0 - data.capacity_mult) * data.route_capacity[None, None]
                * data.years[None, :, None, None])
    cap_w = np.zeros(len(data.routes))
    for r, k in enumerate(data.route_to):
        cap_w[r] = float(weight[:, k].mean()) if weight.size else 0.0
    return np.concatenate([deficit.reshape(len(data.scenarios), -1),
                           (cap_loss * cap_w).reshape(len(data.scenarios), -1)], axis=1)


def fast_forward(x: np.ndarray, p: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Select ``n`` rows of ``x`` (S, F) with probabilities ``p``.

    Returns (selected indices in selection order, their new probabilities, the Kantorovich
    distance D of the reduction).
    """
    S = len(p)
    if not 1 <= n <= S:
        raise ValueError(f"reduce to {n}: must be between 1 and the number of scenarios ({S})")
    sq = (x * x).sum(axis=1)
    c = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2.0 * x @ x.T, 0.0))
    np.fill_diagonal(c, 0.0)
    selected: list[int] = []
    free = np.ones(S, bool)
    for _ in range(n):
        z = p[free] @ c[free][:, free]  # sum_i p_i c(i, u) over free i; c(u, u) = 0
        u = int(np.nonzero(free)[0][int(np.argmin(z))])
        selected.append(u)
        free[u] = False
        c = np.minimum(c, c[:, [u]])  # distance to the selected set once u is in it
    sel = np.array(selected)
    d_full = np.sqrt(np.maximum(sq[:, None] + sq[None, sel] - 2.0 * x @ x[sel].T, 0.0))
    nearest = np.argmin(d_full, axis=1)
    nearest[sel] = np.arange(n)
    q = np.bincount(nearest, weights=p, minlength=n)
    dist = float(np.dot(p, np.sqrt(((x - x[sel[nearest]]) ** 2).sum(axis=1))))
    return sel, q / q.sum(), dist
