"""The sharing and conversion recourse of one material, for many scenarios at once.

Where a signed agreement (or pooled mode) or a conversion route couples the holders and
products of a material, the evaluator needs the exact optimum of that material's second
stage (constraints 5 to 9 of docs/model.md) in every scenario where the coupling could
matter. :class:`MaterialLP` takes that LP, once per material and plan, from the model's
own writing of it, :func:`~stockpile.model.arrays.build_arrays` (the builder the L-shaped
engine and ``--interface arrays`` solve, held equal to the Pyomo model by
tests/test_arrays.py): it writes nothing of constraints 5-9 itself. Only the bounds change
from scenario to scenario (the deficits D_hkts, the tier bounds of u and the conversion
capacities of v), never the matrix or the costs.

That is what makes *bunching* exact (Wets 1988; Gassmann's MSLiP): a basis of the LP is
optimal in a scenario exactly when it is primal feasible there and dual feasible, and dual
feasibility (the signs of the reduced costs) depends on the matrix and the costs alone.
So each basis HiGHS finds optimal for one scenario is tried, with numpy, on every scenario
not yet solved: the basic variables are an affine function of the nonbasic ones,
z_B = -B^-1 N z_N, and z_N sits at the scenario's bounds. Where z_B is within its bounds,
that scenario's optimum is c'z, found without a solver call. HiGHS (warm-started from the
last basis) solves only scenarios no basis found so far fits: about 1,800 of 178,000 on
100,000 scenarios of the default instance. New bases are tried while they pay for their
check (:class:`_Bunching`); once they cover too few scenarios, HiGHS solves the rest.

A nonbasic variable whose reduced cost has the wrong sign for its status (HiGHS may mark a
variable fixed in one scenario, lower = upper, either way) proves the basis optimal only in
scenarios where that variable is also fixed; the check says so. Tolerances: primal 1e-9
times the largest bound of the material, dual 1e-9 times the largest cost; a scenario its
own basis does not pass keeps HiGHS's answer. tests/test_evaluate_recourse.py holds the
result equal to one HiGHS solve per scenario, with share caps, releases and route capacity
binding.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse import csc_matrix

from ..model.arrays import LinearArrays, build_arrays
from ..model.data import ModelData, agreement_key
from ..model.plan import Plan

if TYPE_CHECKING:
    from collections.abc import Callable

    import highspy

BASIC, UPPER = 1, 2  # highspy.HighsBasisStatus: kLower 0, kBasic 1, kUpper 2, kZero 3


def tier_segments(deficit: np.ndarray, full: np.ndarray, share_sorted: np.ndarray
                  ) -> np.ndarray:
    """Tonnes of each tier left unmet without stock, cheapest tier first (constraint 7).

    ``deficit`` D and ``full`` mu d L broadcast together (..., H, K); ``share_sorted`` is
    phi_hkq with each (h, k)'s tiers sorted from cheapest to dearest, (H, K, Q). With no
    inflow the cheapest tiers take the deficit first, so tier j's segment is
    clip(D - (caps of cheaper tiers), 0, its cap), cap = phi mu d L."""
    cap = share_sorted * full[..., None]
    before = np.cumsum(cap, axis=-1) - cap
    return np.clip(deficit[..., None] - before, 0.0, cap)


class MaterialLP:
    """The second stage of one material in one scenario; matrix and costs scenario-free.

    Columns r (release), e (shipment on an active link), v (conversion), u (unmet, per
    tier); rows: stock (5) per (h, k), demand (6), share cap (8) per link when theta < 1;
    all taken from :func:`second_stage_template` by :func:`_material_lp`. Bounds: tier (7)
    and conversion capacity (9). Row activities are the slack columns of ``A z = 0``,
    ``z = (x, Ax)``.

    Periods are kept only where they matter: for a product that a route converts into at
    a holder (conversion capacity is per period). Elsewhere every inflow (release and
    shipments, drawn from stocks that cover the whole horizon) can go to any period, so
    the periods of (h, k) merge into one demand row whose deficit is sum_t D_hkt and whose
    tier q is bounded by its segment A_hkq = sum_t A_hkqt (:func:`tier_segments`): the
    unmet demand of a period fills its cheapest tiers first, and tier costs do not depend
    on the period, so covering tonnes of tier q in any period is worth the same (the
    argument of the greedy in evaluate.py). The merge (:func:`_merge_periods`) sums those
    demand rows; the model's columns of (h, k) then coincide period by period and are kept
    once. ``by_period=True`` keeps every period, the model's own LP for the material; the
    tests hold the two equal.
    """

    def __init__(self, data: ModelData, plan: Plan, mat: int, by_period: bool = False,
                 template: LinearArrays | None = None) -> None:
        ks = [int(k) for k in np.nonzero(data.material_of == mat)[0]]
        template = template if template is not None else second_stage_template(data, plan)
        lp = _material_lp(data, plan, template, mat,
                          by_period)
        rows = lp.rows
        self.A, self.cost, self.row_lo, self.row_up = lp.A, lp.cost, lp.row_lo, lp.row_up
        self.data, self.ks, self.cols, self.rows = data, ks, lp.cols, rows
        dem = [i for i, key in enumerate(rows) if key[0] == "dem"]
        self.dem_rows = np.array(dem, dtype=np.int64)
        self.dem_key = np.array([rows[i][1:] for i in dem], dtype=int).reshape(-1, 3)
        self.u_cols, self.u_key = _columns_of(lp.cols, "u", 4)  # (h, k, q, period)
        self.v_cols, self.v_key = _columns_of(lp.cols, "v", 3)  # (h, r, t)
        self.u_cost = self.cost[self.u_cols]
        self._highs: highspy.Highs | None = None

    # ---- bounds of every scenario ----------------------------------------------------------
    def bounds(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of z = (x, Ax) in scenarios ``s``: two (len(s), n + m)."""
        d = self.data
        s = np.asarray(s, dtype=np.int64)
        n, m = len(self.cols), len(self.row_lo)
        ks = np.array(self.ks)
        lo = np.zeros((len(s), n + m))
        up = np.full((len(s), n + m), np.inf)
        lo[:, n:] = self.row_lo
        up[:, n:] = self.row_up
        dL = d.demand[None, :, ks] * d.years[:, None, None]  # (T, H, Km)
        cells = np.ix_(s, np.arange(len(d.periods)), np.arange(len(d.holders)), ks)
        mu = d.demand_mult[cells]  # (S, T, H, Km)
        D = np.clip(mu - d.supply[cells], 0.0, None) * dL
        full = mu * dL
        kpos = {int(k): i for i, k in enumerate(ks)}
        hk, kk, pp = self.dem_key.T
        kj = np.array([kpos[int(k)] for k in kk], dtype=int)
        total = D.sum(axis=1)
        lo[:, n + self.dem_rows] = np.where(pp >= 0, D[:, np.maximum(pp, 0), hk, kj],
                                            total[:, hk, kj])
        h, k, q, p = self.u_key.T
        kj = np.array([kpos[int(x)] for x in k], dtype=int)
        timed = p >= 0
        ub = np.empty((len(s), len(h)))
        ub[:, timed] = full[:, p[timed], h[timed], kj[timed]] * d.tier_share[h, k, q][timed]
        if (~timed).any():
            order = np.argsort(d.tier_cost[:, ks], axis=2, kind="stable")
            seg = tier_segments(D, full, np.take_along_axis(d.tier_share[:, ks], order, 2))
            rank = np.argsort(order, axis=2)  # position of tier q among the sorted tiers
            A = seg.sum(axis=1)  # (S, H, Km, Q) sorted
            a_ = ~timed
            ub[:, a_] = A[:, h[a_], kj[a_], rank[h[a_], kj[a_], q[a_]]]
        up[:, self.u_cols] = ub
        if len(self.v_cols):
            vh, vr, vt = self.v_key.T
            up[:, self.v_cols] = d.capacity_mult[s[:, None], vt, vh, vr] * (
                d.route_capacity[vh, vr] * d.years[vt])
        return lo, up

    # ---- one scenario by HiGHS -------------------------------------------------------------
    def _solver(self) -> highspy.Highs:
        if self._highs is None:
            import highspy

            from ..solve.highs import new_highs
            lp = highspy.HighsLp()
            lp.num_col_, lp.num_row_ = len(self.cols), len(self.row_lo)
            lp.col_cost_ = self.cost
            lp.col_lower_ = np.zeros(len(self.cols))
            lp.col_upper_ = np.full(len(self.cols), highspy.kHighsInf)
            lp.row_lower_ = np.maximum(self.row_lo, -highspy.kHighsInf)
            lp.row_upper_ = np.minimum(self.row_up, highspy.kHighsInf)
            lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
            lp.a_matrix_.start_, lp.a_matrix_.index_ = self.A.indptr, self.A.indices
            lp.a_matrix_.value_ = self.A.data
            self._highs = new_highs()
            self._highs.setOptionValue("output_flag", False)
            self._highs.passModel(lp)
        return self._highs

    def solve_one(self, lo: np.ndarray, up: np.ndarray, name: str, basis: bool = True
                  ) -> tuple[float, np.ndarray, np.ndarray | None]:
        """HiGHS on one scenario's bounds (rows of :meth:`bounds`), from the previous basis:
        optimum, column values, and (``basis``) the status of every z (HighsBasisStatus
        codes)."""
        h = self._solver()
        n = len(self.cols)
        cols = np.arange(n, dtype=np.int32)
        h.changeColsBounds(n, cols, lo[:n], up[:n])
        rows = self.dem_rows.astype(np.int32)
        h.changeRowsBounds(  # type: ignore[attr-defined]  # in highspy, not in its stubs
            len(rows), rows, lo[n + self.dem_rows], up[n + self.dem_rows])
        h.run()
        if h.getModelStatus() != h.getModelStatus().kOptimal:
            h.clearSolver()  # a rare failure from the previous basis: solve from scratch
            h.run()
        if h.getModelStatus() != h.getModelStatus().kOptimal:
            raise RuntimeError(f"evaluation LP, scenario {name}: "
                               f"{h.modelStatusToString(h.getModelStatus())}")
        status = None
        if basis:
            b = h.getBasis()
            status = np.array([int(x) for x in (*b.col_status, *b.row_status)], np.int8)
        x = np.asarray(h.getSolution().col_value)
        return float(h.getInfo().objective_function_value), x, status

    def solve(self, s: int) -> tuple[float, np.ndarray]:
        """Second-stage cost of this material in scenario s and its shortfall cost by holder,
        by HiGHS alone (the reference the batched path is tested against)."""
        lo, up = self.bounds(np.array([s]))
        obj, x, _ = self.solve_one(lo[0], up[0], self.data.scenarios[s])
        return obj, self._by_holder(x[None, self.u_cols])[0]

    def _by_holder(self, u: np.ndarray) -> np.ndarray:
        """Shortfall cost by holder from unmet tonnes u (S, n_u): (S, H)."""
        out = np.zeros((u.shape[0], len(self.data.holders)))
        np.add.at(out.T, self.u_key[:, 0], (u * self.u_cost).T)
        return out

    # ---- every scenario, by bunching ------------------------------------------------------
    def solve_many(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """Cost and shortfall cost by holder in each scenario of ``s`` ((S,), (S, H)), and
        the number of HiGHS solves it took (module docstring)."""
        s = np.asarray(s, dtype=np.int64)
        if not len(s):
            return np.zeros(0), np.zeros((0, len(self.data.holders))), 0
        lo, up = self.bounds(s)
        obj = np.full(len(s), np.nan)
        u = np.zeros((len(s), len(self.u_cols)))
        names = [self.data.scenarios[i] for i in s]
        solves = _Bunching(self, lo, up).run(obj, u, names)
        return obj, self._by_holder(u), solves


def second_stage_template(data: ModelData, plan: Plan) -> LinearArrays:
    """The model's own second stage for ``plan``, in one scenario where every period of
    every demand has a deficit, from :func:`~stockpile.model.arrays.build_arrays`.

    The plan's stock X becomes the opening inventory and nothing can be bought (market cap
    share 0), so the rows of constraints 5-9 read no first-stage column but the agreement
    binaries; the scenario (no supply, demand and conversion capacity at their base) makes
    build_arrays write every column some scenario could need (costs times pi = 1).
    :class:`MaterialLP` takes each material's columns and rows from it; a scenario moves
    only bounds."""
    S, T, H, K = 1, len(data.periods), len(data.holders), len(data.products)
    tmpl = replace(data, scenarios=["template"], probability=np.ones(S),
                   supply=np.zeros((S, T, H, K)), demand_mult=np.ones((S, T, H, K)),
                   capacity_mult=np.ones((S, T, H, len(data.routes))),
                   inventory=plan.stock(data), market_share=np.zeros(len(data.materials)))
    return build_arrays(tmpl)


@dataclass
class _LP:
    """One material's second stage: column and row keys, matrix, costs, scenario-free row
    bounds (a demand row's lower bound is the scenario's deficit, set by bounds())."""

    cols: list[tuple]
    rows: list[tuple]
    A: csc_matrix
    cost: np.ndarray
    row_lo: np.ndarray
    row_up: np.ndarray


_ROW_NAMES = {"exhaustion": "stock", "demand": "dem", "share cap": "share",
              "agreement link": "link"}


def _material_lp(data: ModelData, plan: Plan, arr: LinearArrays, mat: int, by_period: bool
                 ) -> _LP:
    """Material ``mat``'s columns and rows of the template (second_stage_template), with
    the plan's agreements fixed, periods merged unless ``by_period``.

    Keys: columns ('r', h, k, t), ('e', link, k, t), ('v', h, r, t), ('u', h, k, q, t);
    rows ('stock', h, k) (5), ('dem', h, k, t) (6), ('share', link) (8). With b_a fixed,
    the agreement link row reads sum e <= U b_a: an agreement not signed fixes its
    shipments at 0 (they are dropped), and a signed one's row is dropped, since its U
    never binds at b_a = 1 (U is computed from the template's deficits, not a scenario's,
    so keeping it could cut a scenario off)."""
    cols, col_keys = _material_columns(data, arr, mat)
    rows, row_keys = _second_stage_rows(data, arr, mat)
    A = arr.A.tocsr()[rows][:, cols]
    b = np.zeros(arr.n_vars)
    a0, a1 = arr.blocks["agree"]
    b[a0:a1] = [agreement_key(data, a) in plan.agreements for a in range(a1 - a0)]
    hi = arr.row_hi[rows] - arr.A.tocsr()[rows] @ b
    link = np.array([k[0] == "link" for k in row_keys], dtype=bool)
    unsigned = link & (hi <= 0)
    keep_c = np.asarray((A[unsigned] != 0).sum(axis=0)).ravel() == 0
    A = A[:, keep_c]
    keep_r = ~link & (np.diff(A.indptr) > 0)  # rows of this material
    rk = [row_keys[i] for i in np.nonzero(keep_r)[0]]
    dem = np.array([k[0] == "dem" for k in rk], dtype=bool)
    lp = _LP([col_keys[j] for j in np.nonzero(keep_c)[0]], rk, A[keep_r].tocsc(),
             arr.c[cols[keep_c]], np.where(dem, 0.0, -np.inf),
             np.where(dem, np.inf, hi[keep_r]))
    return lp if by_period else _merge_periods(data, lp)


def _material_columns(data: ModelData, arr: LinearArrays, mat: int
                      ) -> tuple[np.ndarray, list[tuple]]:
    """The template's second-stage columns of material ``mat``, with their keys: ('r', h,
    k, t), ('e', link, k, t), ('v', h, r, t), ('u', h, k, q, t) (the template's one
    scenario, the last index, dropped)."""
    link = {(int(a), int(b), int(m)): i for i, (a, b, m) in
            enumerate(zip(data.link_from, data.link_to, data.link_material))}
    of = data.material_of
    product = {"release": lambda key: key[1], "ship": lambda key: key[2],
               "convert": lambda key: data.route_from[key[1]], "unmet": lambda key: key[1]}
    keyed: dict[str, Callable[..., tuple]] = {
        "release": lambda h, k, t: ("r", h, k, t),
        "ship": lambda h, h2, k, t: ("e", link[h, h2, int(of[k])], k, t),
        "convert": lambda h, r, t: ("v", h, r, t),
        "unmet": lambda h, k, q, t: ("u", h, k, q, t),
    }
    idx: list[np.ndarray] = []
    keys: list[tuple] = []
    for block, name in keyed.items():
        index = arr.keys[block]
        sel = np.nonzero(of[product[block](index)] == mat)[0]
        idx.append(arr.blocks[block][0] + sel)
        keys += [name(*(int(x) for x in key[:-1])) for key in zip(*(k[sel] for k in index))]
    return np.concatenate(idx).astype(np.int64), keys


def _second_stage_rows(data: ModelData, arr: LinearArrays, mat: int
                       ) -> tuple[np.ndarray, list[tuple]]:
    """Indices and keys of the template's rows of constraints 5, 6 and 8 for material
    ``mat``: ('stock', h, k), ('dem', h, k, t), ('share', link), ('link', link)."""
    material = {"exhaustion": lambda key: data.material_of[key[1]],
                "demand": lambda key: data.material_of[key[1]],
                "share cap": lambda key: data.link_material[key[0]],
                "agreement link": lambda key: data.link_material[key[0]]}
    idx: list[np.ndarray] = []
    keys: list[tuple] = []
    for family, name in _ROW_NAMES.items():
        if family not in arr.row_blocks:
            continue
        index = arr.row_keys[family]
        sel = np.nonzero(material[family](index) == mat)[0]
        idx.append(arr.row_blocks[family][0] + sel)
        keys += [(name, *(int(x) for x in key[:-1])) for key in zip(*(k[sel] for k in index))]
    return (np.concatenate(idx) if idx else np.zeros(0, np.int64)), keys


def _merge_periods(data: ModelData, lp: _LP) -> _LP:
    """The demand rows of each (h, k) no conversion feeds summed into one (period -1);
    the columns of such an (h, k) then coincide period by period and are kept once
    (MaterialLP's docstring says why this is exact)."""
    timed = {(h, int(data.route_to[r])) for kind, h, r, _t in
             (c for c in lp.cols if c[0] == "v")}

    def into(key: tuple) -> tuple:  # the (h, k) whose demand row a column or row is in
        if key[0] == "e":
            return (int(data.link_to[key[1]]), key[2])
        return key[1:3]

    def merged(key: tuple) -> tuple:
        if key[0] in ("dem", "r", "e", "u") and into(key) not in timed:
            return (*key[:-1], -1)
        return key

    new_rows: dict[tuple, int] = {}
    g = np.array([new_rows.setdefault(merged(k), len(new_rows)) for k in lp.rows], np.int64)
    G = csc_matrix((np.ones(len(g)), (g, np.arange(len(g)))), shape=(len(new_rows), len(g)))
    new_cols: dict[tuple, int] = {}
    for j, key in enumerate(lp.cols):
        new_cols.setdefault(merged(key), j)
    keep = np.array(list(new_cols.values()), dtype=np.int64)
    first = np.unique(g, return_index=True)[1]  # a merged row's bounds: any of its rows'
    return _LP(list(new_cols), list(new_rows), (G @ lp.A).tocsc()[:, keep], lp.cost[keep],
               lp.row_lo[first], lp.row_up[first])


def _columns_of(cols: list[tuple], kind: str, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the columns of one kind and their keys as an (n, width) int array."""
    idx = np.array([j for j, c in enumerate(cols) if c[0] == kind], dtype=np.int64)
    return idx, np.array([cols[j][1:] for j in idx], dtype=int).reshape(-1, width)


class _Bunching:
    """Bases of one material's LP tried on many scenarios at once (module docstring).

    The bounds that vary between scenarios are kept transposed, one row per bound and one
    column per scenario still to solve, so that trying a basis is a few contiguous row
    gathers and one matrix product."""

    SOLVE_S = 3e-4  # a warm-started HiGHS solve, seconds (measured here)
    CHECK_S = 4e-7  # one basis tried on one scenario, seconds (measured here)
    FIRST_TRIES = 8

    def __init__(self, lp: MaterialLP, lo: np.ndarray, up: np.ndarray) -> None:
        self.lp, self.lo, self.up = lp, lo, up
        self.c = np.concatenate([lp.cost, np.zeros(len(lp.row_lo))])
        self.Aext = np.hstack([lp.A.toarray(), -np.eye(len(lp.row_lo))])
        finite = np.abs(np.concatenate([lo[np.isfinite(lo)], up[np.isfinite(up)], [1.0]]))
        self.p_tol = 1e-9 * float(finite.max())
        self.d_tol = 1e-9 * float(np.abs(self.c).max() + 1.0)
        vary_lo = (lo != lo[:1]).any(axis=0)
        vary_up = (up != up[:1]).any(axis=0)
        nz = lo.shape[1]
        self.lo0, self.up0 = lo[0].copy(), up[0].copy()
        self.lo_row = np.full(nz, -1)
        self.lo_row[vary_lo] = np.arange(int(vary_lo.sum()))
        self.up_row = np.full(nz, -1)
        self.up_row[vary_up] = int(vary_lo.sum()) + np.arange(int(vary_up.sum()))
        self.VT = np.ascontiguousarray(np.concatenate([lo[:, vary_lo], up[:, vary_up]],
                                                      axis=1).T)

    def run(self, obj: np.ndarray, u: np.ndarray, names: list[str]) -> int:
        """Fill obj and u for every scenario (``names`` for errors); return the number of
        HiGHS solves.

        Each new basis is tried on the scenarios left while it pays: trying costs about
        CHECK_S per scenario left, and each scenario it covers saves a solve (SOLVE_S). The
        first FIRST_TRIES bases are always tried; after that, while a running mean of the
        scenarios a new basis covers is worth the check."""
        lp = self.lp
        todo = np.arange(self.lo.shape[0])
        VT = self.VT
        solves = tries = 0
        gain = 0.0  # scenarios a new basis covers besides its own, running mean
        while len(todo):
            i = todo[0]
            rest = len(todo) - 1
            want = rest > 0 and (tries < self.FIRST_TRIES
                                 or gain * self.SOLVE_S > rest * self.CHECK_S)
            o, x, status = lp.solve_one(self.lo[i], self.up[i], names[i], basis=want)
            solves += 1
            obj[i], u[i] = o, x[lp.u_cols]
            todo, VT = todo[1:], VT[:, 1:]
            if status is not None:
                found = self.try_basis(status, VT, todo, obj, u)
                n_found = int(found.sum())
                gain = n_found if tries == 0 else 0.8 * gain + 0.2 * n_found
                tries += 1
                if n_found:
                    todo, VT = todo[~found], VT[:, ~found]
        return solves

    @staticmethod
    def _bound(const: np.ndarray, row: np.ndarray, j: np.ndarray, VT: np.ndarray
               ) -> np.ndarray:
        """One bound (lower: lo0, lo_row; upper: up0, up_row) of the z indices j in every
        scenario of VT, (len(j), VT columns)."""
        out = np.repeat(const[j, None], VT.shape[1], axis=1)
        moving = row[j] >= 0
        out[moving] = VT[row[j][moving]]
        return out

    def try_basis(self, status: np.ndarray, VT: np.ndarray, idx: np.ndarray,
                  obj: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Mask of ``idx`` (columns of VT) where the basis is optimal; their obj and u
        filled in."""
        basic = status == BASIC
        none = np.zeros(len(idx), bool)
        if basic.sum() != self.Aext.shape[0]:
            return none
        B, N = self.Aext[:, basic], self.Aext[:, ~basic]
        try:
            T = -np.linalg.solve(B, N)  # z_B = T z_N
            y = np.linalg.solve(B.T, self.c[basic])
        except np.linalg.LinAlgError:
            return none
        nb, bs = np.nonzero(~basic)[0], np.nonzero(basic)[0]
        st = status[nb]
        at_up, at_zero = st == UPPER, st == 3
        reduced = self.c[nb] - N.T @ y
        wrong = np.where(at_up, reduced > self.d_tol, reduced < -self.d_tol) & ~at_zero
        # the value of each nonbasic: a row of VT, or a constant
        row = np.where(at_up, self.up_row[nb], self.lo_row[nb])
        row[at_zero] = -1
        const = np.where(at_up, self.up0[nb], self.lo0[nb])
        const[at_zero | (row >= 0)] = 0.0
        if not np.isfinite(const).all():
            return none
        var = row >= 0
        zv = VT[row[var]]
        zb = (T[:, var] @ zv) + (T @ const)[:, None]
        tol = self.p_tol
        ok = ((zb >= self._bound(self.lo0, self.lo_row, bs, VT) - tol)
              & (zb <= self._bound(self.up0, self.up_row, bs, VT) + tol)).all(axis=0)
        if wrong.any():
            w = nb[wrong]
            ok &= (self._bound(self.up0, self.up_row, w, VT)
                   - self._bound(self.lo0, self.lo_row, w, VT) <= tol).all(axis=0)
        if ok.any():
            hit = idx[ok]
            z = np.zeros((len(hit), len(self.c)))
            z[:, nb] = const
            z[:, nb[var]] = zv[:, ok].T
            z[:, bs] = zb[:, ok].T
            obj[hit] = z @ self.c
            u[hit] = z[:, self.lp.u_cols]
        return ok
