"""The independent blocks of a second stage, found from its matrix (docs/decomposition.md).

Given the first stage x, a bundle's second stage is the LP

    Q(x) = min { q'y : lo - T x <= W y <= hi - T x, l <= y <= u }.

Rows and columns of W that are not linked through W's non-zeros form separate LPs: Q is the
sum of their values, and the row duals of the whole LP restricted to one part are optimal for
that part (each column's reduced cost involves only its own part's rows, and the
complementary slackness of the whole is the sum of the parts'). So every part k gives its own
optimality cut  Q_k(x) >= Q_k(x^) - lambda_k' T_k (x - x^), and the master can hold one
cost-to-go variable per part: a disaggregated (multi-)cut, never weaker than their sum.

The parts of W are one per scenario and more (a material, a holder ...). One variable per
part and scenario would be too many for the master, so parts are merged into **blocks**:
two parts whose rows read a common first-stage column (through T) go to the same block, and
all parts whose rows read no first-stage column (their value does not depend on x) go to one
constant block. A block's cost-to-go is then a function of its own first-stage columns only,
summed over the bundle's scenarios. On the default data this gives one block per material
with sharing agreements (the agreement's column links the holders) and one per material and
holder otherwise; nothing here knows what a material is, so rows and columns that later
extensions add are grouped by the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components


@dataclass(frozen=True)
class Blocks:
    """The block of every second-stage row and column, and how many blocks there are."""

    row: np.ndarray  # block of each row of W
    col: np.ndarray  # block of each column of W
    count: int
    parts: int  # connected parts of W before merging by first-stage columns


def find_blocks(W: sp.spmatrix, T: sp.spmatrix) -> Blocks:
    """Blocks of the second stage ``W`` (rows x second-stage columns) whose first-stage
    coupling is ``T`` (rows x first-stage columns); see the module docstring."""
    m, n = W.shape
    Wc = sp.coo_matrix(W)
    graph = sp.coo_matrix((np.ones(Wc.nnz), (Wc.row, Wc.col + m)), shape=(m + n, m + n))
    n_parts, part = connected_components(graph, directed=False)
    row_part, col_part = part[:m], part[m:]
    Tc = sp.coo_matrix(T)
    keep = Tc.data != 0
    t_row, t_col = Tc.row[keep], Tc.col[keep]
    n1 = T.shape[1]
    # parts and first-stage columns as one graph: a part is linked to each column it reads
    link = sp.coo_matrix((np.ones(len(t_row)), (row_part[t_row], n_parts + t_col)),
                         shape=(n_parts + n1, n_parts + n1))
    _, label = connected_components(link, directed=False)
    of_part = label[:n_parts]
    reads_x = np.bincount(row_part[t_row], minlength=n_parts) > 0
    of_part = np.where(reads_x, of_part, -1)  # every constant part in one block
    _, block = np.unique(of_part, return_inverse=True)
    block = block.astype(np.int64)
    return Blocks(row=block[row_part], col=block[col_part], count=int(block.max(initial=-1)) + 1,
                  parts=int(n_parts))


def block_values(blocks: Blocks, q: np.ndarray, y: np.ndarray, dual: np.ndarray,
                 T: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Per block k: Q_k(x^) = q_k'y_k and the cut's slope -T_k'lambda_k (k x first-stage)."""
    values = np.bincount(blocks.col, weights=q * y, minlength=blocks.count)
    m = len(dual)
    by_block = sp.csr_matrix((dual, (blocks.row, np.arange(m))), shape=(blocks.count, m))
    slopes = -(by_block @ T).toarray()
    return values, slopes


def block_columns(blocks: Blocks, T: sp.spmatrix) -> list[np.ndarray]:
    """The first-stage columns each block reads (empty for the constant block)."""
    Tc = sp.coo_matrix(T)
    keep = Tc.data != 0
    rb, cols = blocks.row[Tc.row[keep]], Tc.col[keep]
    order = np.lexsort((cols, rb))
    rb, cols = rb[order], cols[order]
    cuts = np.searchsorted(rb, np.arange(blocks.count + 1))
    return [np.unique(cols[cuts[k]:cuts[k + 1]]) for k in range(blocks.count)]


def common_blocks(columns: list[list[np.ndarray]], n_first: int) -> tuple[list[np.ndarray], int]:
    """One numbering of the blocks of several bundles (``columns[b][k]``: the first-stage
    columns block k of bundle b reads): blocks of different bundles that read a common
    first-stage column, directly or through other blocks, get the same number, and every
    constant block the last one. Returns each bundle's block -> common block, and how many.

    A bundle's blocks differ from another's only where a scenario has no deficit in some part
    (the second stage is sparse), so the common blocks are the same grouping for the whole
    scenario set; the sum over bundles of a common block's values is again a function of its
    own first-stage columns."""
    src, dst = [], []
    for blocks in columns:
        for cols in blocks:
            if len(cols) > 1:
                src.append(cols[:-1])
                dst.append(cols[1:])
    s = np.concatenate(src) if src else np.zeros(0, np.int64)
    d = np.concatenate(dst) if dst else np.zeros(0, np.int64)
    graph = sp.coo_matrix((np.ones(len(s)), (s, d)), shape=(n_first, n_first))
    _, label = connected_components(graph, directed=False)
    used = np.unique([label[cols[0]] for blocks in columns for cols in blocks if len(cols)])
    number = {int(lab): i for i, lab in enumerate(used)}
    constant = len(used)
    out = [np.array([number[int(label[cols[0]])] if len(cols) else constant for cols in blocks],
                    dtype=np.int64) for blocks in columns]
    has_constant = any(len(cols) == 0 for blocks in columns for cols in blocks)
    return out, constant + int(has_constant)
