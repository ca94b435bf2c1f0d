"""Gauss quadrature rules from three-term recurrences, compiled and spread over cores.

References
----------
Golub, G. H. and Welsch, J. H. (1969). Calculation of Gauss quadrature rules.
    Mathematics of Computation 23, 221-230.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .parallel import in_blocks


def gauss_rules(alpha, beta):
    """Nodes and weights of the Gauss rules with recurrence coefficients ``alpha`` and ``beta``.

    Row ``i`` describes one rule: ``alpha[i]`` (k,) is the Jacobi matrix's diagonal and
    ``beta[i]`` (k - 1,) its off-diagonal. Nodes are the matrix's eigenvalues, found by the
    implicit QL method with Wilkinson shifts, in ascending order; weights are Christoffel
    numbers ``1 / sum_j p_j(x)^2`` from the orthonormal recurrence, normalised to sum to 1.
    """
    alpha, beta = np.ascontiguousarray(alpha, dtype=np.float64), np.ascontiguousarray(beta, dtype=np.float64)
    nodes, weights = np.empty(alpha.shape), np.empty(alpha.shape)
    in_blocks(_gauss_rows, alpha.shape[0], alpha, beta, nodes, weights)
    return nodes, weights


@njit(cache=True, nogil=True)
def _gauss_rows(row_lo, row_hi, alpha, beta, nodes, weights):
    k = alpha.shape[1]
    d = np.empty(k)
    e = np.empty(k)
    inv_beta = np.empty(max(k - 1, 1))
    eps = 2.220446049250313e-16
    for row in range(row_lo, row_hi):
        for i in range(k):
            d[i] = alpha[row, i]
            e[i] = beta[row, i] if i < k - 1 else 0.0
        for first in range(k):
            for _ in range(100):
                m = first
                while m < k - 1:
                    if abs(e[m]) <= eps * (abs(d[m]) + abs(d[m + 1])):
                        break
                    m += 1
                if m == first:
                    break
                g = (d[first + 1] - d[first]) / (2.0 * e[first])
                r = math.sqrt(g * g + 1.0)
                g = d[m] - d[first] + e[first] / (g + (r if g >= 0.0 else -r))
                s = c = 1.0
                p = 0.0
                i = m - 1
                while i >= first:
                    f = s * e[i]
                    b = c * e[i]
                    r = math.sqrt(f * f + g * g)
                    e[i + 1] = r
                    if r == 0.0:
                        d[i + 1] -= p
                        e[m] = 0.0
                        break
                    s = f / r
                    c = g / r
                    g = d[i + 1] - p
                    r = (d[i] - g) * s + 2.0 * c * b
                    p = s * r
                    d[i + 1] = g + p
                    g = c * r - b
                    i -= 1
                if r == 0.0 and i >= first:
                    continue
                d[first] -= p
                e[first] = g
                e[m] = 0.0
        d.sort()
        for i in range(k - 1):
            inv_beta[i] = 1.0 / beta[row, i]
        total_weight = 0.0
        for j in range(k):
            x = d[j]
            p_prev, p_cur, total = 0.0, 1.0, 1.0
            for i in range(k - 1):
                p_next = ((x - alpha[row, i]) * p_cur - (beta[row, i - 1] * p_prev if i else 0.0)) * inv_beta[i]
                p_prev, p_cur = p_cur, p_next
                total += p_cur * p_cur
            nodes[row, j] = x
            weights[row, j] = 1.0 / total
            total_weight += weights[row, j]
        for j in range(k):
            weights[row, j] /= total_weight
