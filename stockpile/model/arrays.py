"""The canonical model built directly as sparse arrays for HiGHS, with no Pyomo in between.

The benchmark suite (benchmarks/suite.py) uses it as a lower bound on what building the
model can cost, and tests/test_arrays.py checks that it has the same optimum as
:func:`stockpile.model.build.build_model` on every shipped instance and mode. The L-shaped
engine (solve/benders.py) builds its scenario-bundle subproblems and master from it, and
``--interface arrays`` (solve/direct.py) solves the extensive form from it without Pyomo;
``keys`` gives every column's model indices, so both report through the same extract().

It writes the same variables and rows as the Pyomo builders (first_stage.py,
second_stage.py; the same sparsity rules: only second-stage variables where the deficit
D_hkts > 0, only from stocks that can be positive), vectorised with numpy:

=====================  ==================================================================
block                  Pyomo builder it mirrors
=====================  ==================================================================
n_hk, y_hm, b_a, z_f   add_purchases, add_programmes, add_agreements, add_storage
w_hkf                  add_storage
r, u, e, v             add_second_stage
programme link (2)     add_programmes
storage (3)            add_storage (balance and capacity)
market cap (4)         add_market_cap
budget (1)             add_budget
stock exhaustion (5)   add_stock_exhaustion
demand balance (6)     add_demand_balance
sharing (8)            add_sharing (share cap and agreement link)
tier / conversion      variable bounds, as in add_second_stage (constraints 7 and 9)
=====================  ==================================================================

Row lower and upper bounds hold the senses (-inf / +inf for one-sided rows). The constant of
the objective is the holding cost of the opening inventory, Y sum rho_k I0_hk.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from . import costs
from .data import ModelData

INF = math.inf


@dataclass
class LinearArrays:
    """min c'x + offset  s.t.  row_lo <= A x <= row_hi,  col_lo <= x <= col_hi, x_j integer
    where ``integer[j]``. ``blocks`` names the column ranges {block: (start, stop)}."""

    c: np.ndarray
    offset: float
    A: sp.csr_matrix
    row_lo: np.ndarray
    row_hi: np.ndarray
    col_lo: np.ndarray
    col_hi: np.ndarray
    integer: np.ndarray
    blocks: dict[str, tuple[int, int]] = field(default_factory=dict)
    # the row ranges of each constraint family {family: (start, stop)}, and the model's
    # indices of each family's rows: programme (h, k), storage balance (h, k), storage
    # capacity (f,), market cap (m,), budget (h,), exhaustion (h, k, s), demand (h, k, t, s),
    # share cap (link, s), agreement link (link, s)
    row_blocks: dict[str, tuple[int, int]] = field(default_factory=dict)
    row_keys: dict[str, tuple[np.ndarray, ...]] = field(default_factory=dict)
    # the model's indices of each block's columns, as index arrays into ModelData's lists, in
    # the order of the Pyomo variable's key: buy (h, k), programme (h, m), agree (a,),
    # facility_used (f,), store (h, k, f), release (h, k, t, s), unmet (h, k, q, t, s),
    # ship (h, h', k, t, s), convert (h, r, t, s)
    keys: dict[str, tuple[np.ndarray, ...]] = field(default_factory=dict)

    @property
    def n_vars(self) -> int:
        return int(self.c.shape[0])

    @property
    def n_rows(self) -> int:
        return int(self.A.shape[0])

    @property
    def nnz(self) -> int:
        return int(self.A.nnz)

    @property
    def n_int(self) -> int:
        return int(self.integer.sum())


class _Builder:
    """Columns and rows appended block by block, as COO triplets."""

    def __init__(self) -> None:
        self.n_cols = 0
        self.n_rows = 0
        self.cost: list[np.ndarray] = []
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []
        self.integer: list[np.ndarray] = []
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.row_lo: list[np.ndarray] = []
        self.row_hi: list[np.ndarray] = []
        self.blocks: dict[str, tuple[int, int]] = {}
        self.row_blocks: dict[str, tuple[int, int]] = {}
        self.row_keys: dict[str, tuple[np.ndarray, ...]] = {}

    def cols(self, name: str, cost: np.ndarray, lo: np.ndarray | float,
             hi: np.ndarray | float, integer: bool) -> np.ndarray:
        n = int(cost.shape[0])
        start = self.n_cols
        self.cost.append(np.asarray(cost, float))
        self.lo.append(np.broadcast_to(np.asarray(lo, float), (n,)))
        self.hi.append(np.broadcast_to(np.asarray(hi, float), (n,)))
        self.integer.append(np.full(n, integer))
        self.n_cols += n
        self.blocks[name] = (start, self.n_cols)
        return np.arange(start, self.n_cols)

    def rows(self, family: str, keys: tuple[np.ndarray, ...], lo: np.ndarray,
             hi: np.ndarray | float) -> np.ndarray:
        """Rows of one constraint family, one per entry of the index arrays ``keys``."""
        n = int(np.asarray(lo).shape[0])
        start = self.n_rows
        self.row_lo.append(np.asarray(lo, float))
        self.row_hi.append(np.broadcast_to(np.asarray(hi, float), (n,)))
        self.n_rows += n
        self.row_blocks[family] = (start, self.n_rows)
        self.row_keys[family] = tuple(np.asarray(k, np.int64) for k in keys)
        return np.arange(start, self.n_rows)

    def entries(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray | float) -> None:
        rows, cols = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
        self.r.append(rows)
        self.c.append(cols)
        self.v.append(np.broadcast_to(np.asarray(vals, float), rows.shape))

    def finish(self, offset: float) -> LinearArrays:
        rows, cols, vals = _cat(self.r, np.int64), _cat(self.c, np.int64), _cat(self.v)
        keep = vals != 0
        A = sp.csr_matrix((vals[keep], (rows[keep], cols[keep])),
                          shape=(self.n_rows, self.n_cols))
        return LinearArrays(c=_cat(self.cost), offset=offset, A=A, row_lo=_cat(self.row_lo),
                            row_hi=_cat(self.row_hi), col_lo=_cat(self.lo), col_hi=_cat(self.hi),
                            integer=_cat(self.integer, bool), blocks=self.blocks,
                            row_blocks=self.row_blocks, row_keys=self.row_keys)


def _cat(parts: list[np.ndarray], dtype: type = float) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)


def _col_map(shape: tuple[int, ...], where: tuple[np.ndarray, ...], cols: np.ndarray
             ) -> np.ndarray:
    """An array of ``shape`` holding the column index at ``where`` and -1 elsewhere."""
    out = np.full(shape, -1, dtype=np.int64)
    out[where] = cols
    return out


@dataclass
class _Cols:
    """The column blocks of the extensive form, with the model indices of each column."""

    nmax: np.ndarray  # U_hk (H, K)
    bh: np.ndarray  # buy: holder, product
    bk: np.ndarray
    buy: np.ndarray
    buy_col: np.ndarray  # (H, K): column of n_hk, -1 where none
    ph: np.ndarray  # programme: holder, material
    pm: np.ndarray
    prog: np.ndarray
    prog_col: np.ndarray  # (H, M)
    nA: int  # agreement binaries (bilateral mode only)
    agree: np.ndarray
    fac: np.ndarray
    sh: np.ndarray  # (h, k) pairs with storage variables
    sk: np.ndarray
    w_key: np.ndarray  # which (sh, sk) pair each store column belongs to
    w_fac: np.ndarray  # and its facility
    store: np.ndarray
    D: np.ndarray = field(default_factory=lambda: np.zeros(0))  # deficit (S, T, H, K)
    max_stock: np.ndarray = field(default_factory=lambda: np.zeros(0))
    products_of: list[np.ndarray] = field(default_factory=list)
    release_at: tuple[np.ndarray, ...] = ()  # rs, rt, rh, rk
    release: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    unmet_at: tuple[np.ndarray, ...] = ()  # us, ut, uh, uk, uq
    unmet: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ship_at: tuple[np.ndarray, ...] = ()  # link, k, t, s
    ship: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    convert_at: tuple[np.ndarray, ...] = ()  # h, r, t, s
    convert: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


def _first_stage_cols(b: _Builder, data: ModelData) -> _Cols:
    """n_hk (where U_hk > 0), y_hm (where something of m can be bought), b_a, z_f and w_hkf
    (for every (h, k) held or buyable, one per facility of h, in facility order)."""
    nH, nM, nF = len(data.holders), len(data.materials), len(data.facilities)
    nmax = data.max_lots()
    bh, bk = np.nonzero(nmax)
    buy = b.cols("buy", costs.lot_objective(data)[bk], 0.0,
                 nmax[bh, bk].astype(float), integer=True)
    ph_m = np.zeros((nH, nM), bool)
    ph_m[bh, data.material_of[bk]] = True
    ph, pm = np.nonzero(ph_m)  # row-major: sorted by (holder, material) as add_programmes
    prog = b.cols("programme", data.programme_cost[ph, pm], 0.0, 1.0, integer=True)
    nA = len(data.agreement_material) if data.mode == "bilateral" else 0
    agree = b.cols("agree", data.agreement_cost[:nA], 0.0, 1.0, integer=True)
    fac = b.cols("facility_used", data.facility_cost, 0.0, 1.0, integer=True)

    held = (nmax > 0) | (data.inventory != 0)
    has_fac = np.bincount(data.facility_holder, minlength=nH) > 0 if nF else np.zeros(nH, bool)
    sh, sk = np.nonzero(held & has_fac[:, None])
    fac_of = [np.nonzero(data.facility_holder == h)[0] for h in range(nH)]
    nf = np.array([len(fac_of[h]) for h in sh], dtype=np.int64)
    w_key = np.repeat(np.arange(len(sh)), nf)
    w_fac = (np.concatenate([fac_of[h] for h in sh]) if len(sh) else np.zeros(0, np.int64))
    store = b.cols("store", np.zeros(len(w_key)), 0.0, INF, integer=False)
    return _Cols(nmax=nmax, bh=bh, bk=bk, buy=buy, buy_col=_col_map((nH, len(data.products)),
                                                                    (bh, bk), buy),
                 ph=ph, pm=pm, prog=prog, prog_col=_col_map((nH, nM), (ph, pm), prog),
                 nA=nA, agree=agree, fac=fac, sh=sh, sk=sk, w_key=w_key, w_fac=w_fac,
                 store=store)


def _release_and_unmet_cols(b: _Builder, data: ModelData, c: _Cols) -> None:
    """r_hkts where there is a deficit and stock is possible; u_hkqts where there is a
    deficit and tier q has a share (bound phi mu d L)."""
    pi, pos = data.probability, c.D > 0
    rs, rt, rh, rk = np.nonzero(pos & (c.max_stock > 0)[None, None])
    c.release_at = (rs, rt, rh, rk)
    c.release = b.cols("release", np.zeros(len(rs)), 0.0, INF, integer=False)
    us, ut, uh, uk, uq = np.nonzero(pos[..., None] & (data.tier_share > 0)[None, None])
    u_ub = data.tier_share[uh, uk, uq] * data.demand_mult[us, ut, uh, uk] * data.demand[uh, uk] \
        * data.years[ut]
    c.unmet_at = (us, ut, uh, uk, uq)
    c.unmet = b.cols("unmet", pi[us] * data.tier_cost[uh, uk, uq], 0.0, u_ub, integer=False)


def _ship_cols(b: _Builder, data: ModelData, c: _Cols) -> None:
    """Shipments e_ll'kts: per directed link, products of its material held by the sender,
    where the receiver has a deficit."""
    pos, has_stock = c.D > 0, c.max_stock > 0
    parts: list[list[np.ndarray]] = [[], [], [], []]  # link, k, t, s
    for li in range(len(data.link_from)):
        h, h2 = int(data.link_from[li]), int(data.link_to[li])
        ks = c.products_of[int(data.link_material[li])]
        ks = ks[has_stock[h, ks]]
        if not len(ks):
            continue
        s_, t_, kk = np.nonzero(pos[:, :, h2, ks])
        for part, x in zip(parts, (np.full(len(s_), li), ks[kk], t_, s_)):
            part.append(x)
    e_link, e_k, e_t, e_s = (_cat(x, np.int64) for x in parts)
    c.ship_at = (e_link, e_k, e_t, e_s)
    c.ship = b.cols("ship", data.probability[e_s] * data.link_transport[e_link], 0.0, INF,
                    integer=False)


def _convert_cols(b: _Builder, data: ModelData, c: _Cols) -> None:
    """Conversions v_hrts: route capacity > 0, input stock possible, deficit of the output."""
    pos, has_stock = c.D > 0, c.max_stock > 0
    parts: list[list[np.ndarray]] = [[], [], [], [], []]  # h, r, t, s, upper bound
    for h, r in zip(*np.nonzero(data.route_capacity > 0)):
        k_in, k_out = int(data.route_from[r]), int(data.route_to[r])
        if not has_stock[h, k_in]:
            continue
        s_, t_ = np.nonzero(pos[:, :, h, k_out])
        ub = data.route_capacity[h, r] * data.years[t_] * data.capacity_mult[s_, t_, h, r]
        ok = ub > 0
        for part, x in zip(parts, (np.full(int(ok.sum()), h), np.full(int(ok.sum()), r),
                                   t_[ok], s_[ok], ub[ok])):
            part.append(x)
    v_h, v_r, v_t, v_s = (_cat(x, np.int64) for x in parts[:4])
    c.convert_at = (v_h, v_r, v_t, v_s)
    c.convert = b.cols("convert", data.probability[v_s] * data.route_cost[v_r], 0.0,
                       _cat(parts[4]), integer=False)


def _programme_and_storage_rows(b: _Builder, data: ModelData, c: _Cols) -> None:
    """(2) programme link and (3) storage balance and capacity."""
    lot, mat_of, I0 = data.lot, data.material_of, data.inventory
    # (2) programme link: n_hk - U_hk y_h,m(k) <= 0
    rows = b.rows("programme", (c.bh, c.bk), np.full(len(c.buy), -INF), 0.0)
    b.entries(rows, c.buy, 1.0)
    b.entries(rows, c.prog_col[c.bh, mat_of[c.bk]], -c.nmax[c.bh, c.bk].astype(float))
    # (3) storage balance: sum_f w_hkf - lot_k n_hk = I0_hk
    sh, sk = c.sh, c.sk
    rows = b.rows("storage balance", (sh, sk), I0[sh, sk], I0[sh, sk])
    b.entries(rows[c.w_key], c.store, 1.0)
    bought = c.buy_col[sh, sk] >= 0
    b.entries(rows[bought], c.buy_col[sh, sk][bought], -lot[sk[bought]])
    # (3) storage capacity: sum_k vol_k w_hkf - C_f z_f <= 0, where something with a volume
    # can go into f
    vol_w = data.volume[sk[c.w_key]]
    with_vol = vol_w > 0
    used_f = np.unique(c.w_fac[with_vol])
    row_of_f = _col_map((len(data.facilities),), (used_f,),
                        b.rows("storage capacity", (used_f,), np.full(len(used_f), -INF), 0.0))
    b.entries(row_of_f[c.w_fac[with_vol]], c.store[with_vol], vol_w[with_vol])
    b.entries(row_of_f[used_f], c.fac[used_f], -data.facility_capacity[used_f])


def _market_and_budget_rows(b: _Builder, data: ModelData, c: _Cols) -> None:
    """(4) market cap in contained material, where the purchase bounds alone could exceed it;
    (1) budget."""
    mat_of, bh, bk = data.material_of, c.bh, c.bk
    nM = len(data.materials)
    limit = costs.market_cap(data)
    lot = costs.lot_contained(data)  # metal_content_k lot_k: contained tonnes per lot
    reach = np.bincount(mat_of[bk], weights=lot[bk] * c.nmax[bh, bk], minlength=nM)
    has_buy = np.bincount(mat_of[bk], minlength=nM) > 0
    binding = np.nonzero(has_buy & (reach > limit + 1e-9))[0]
    row_of_m = _col_map((nM,), (binding,), b.rows("market cap", (binding,),
                                                  np.full(len(binding), -INF), limit[binding]))
    sel = row_of_m[mat_of[bk]] >= 0
    b.entries(row_of_m[mat_of[bk]][sel], c.buy[sel], lot[bk][sel])

    # (1) budget of each holder with something to pay for
    budget_rows = b.rows("budget", (np.arange(len(data.holders)),),
                         np.full(len(data.holders), -INF), data.budget)
    b.entries(budget_rows[bh], c.buy, costs.lot_price(data)[bk])
    b.entries(budget_rows[c.ph], c.prog, data.programme_cost[c.ph, c.pm])
    b.entries(budget_rows[data.facility_holder], c.fac, data.facility_cost)
    for side in (0, 1):
        b.entries(budget_rows[data.agreement_pair[:c.nA, side]], c.agree,
                  data.agreement_cost[:c.nA] / 2)


def _exhaustion_and_demand_rows(b: _Builder, data: ModelData, c: _Cols) -> None:
    """(5) stock exhaustion and (6) demand balance."""
    nK, nS, lot, I0 = len(data.products), len(data.scenarios), data.lot, data.inventory
    rs, rt, rh, rk = c.release_at
    e_link, e_k, e_t, e_s = c.ship_at
    v_h, v_r, v_t, v_s = c.convert_at
    # (5) stock exhaustion per (h, k, s) drawn on:
    #     sum_t (r + sum e out + sum v out of k) - lot_k n_hk <= I0_hk
    use_h = np.concatenate([rh, data.link_from[e_link], v_h])
    use_k = np.concatenate([rk, e_k, data.route_from[v_r]])
    use_s = np.concatenate([rs, e_s, v_s])
    use_c = np.concatenate([c.release, c.ship, c.convert])
    key = (use_h * nK + use_k) * nS + use_s
    keys, inv = np.unique(key, return_inverse=True)
    kh, kk = (keys // nS) // nK, (keys // nS) % nK
    rows = b.rows("exhaustion", (kh, kk, keys % nS), np.full(len(keys), -INF), I0[kh, kk])
    b.entries(rows[inv], use_c, 1.0)
    has_n = c.buy_col[kh, kk] >= 0
    b.entries(rows[has_n], c.buy_col[kh, kk][has_n], -lot[kk[has_n]])

    # (6) demand balance per (h, k, t, s) with a deficit:
    #     r + sum e in + sum eta v in + sum_q u >= D_hkts
    D = c.D
    ds, dt, dh, dk = np.nonzero(D > 0)
    rows = b.rows("demand", (dh, dk, dt, ds), D[ds, dt, dh, dk], INF)
    row_of = _col_map(D.shape, (ds, dt, dh, dk), rows)
    us, ut, uh, uk, _uq = c.unmet_at
    b.entries(row_of[rs, rt, rh, rk], c.release, 1.0)
    b.entries(row_of[us, ut, uh, uk], c.unmet, 1.0)
    b.entries(row_of[e_s, e_t, data.link_to[e_link], e_k], c.ship, 1.0)
    b.entries(row_of[v_s, v_t, v_h, data.route_to[v_r]], c.convert, data.route_yield[v_r])


def _sharing_rows(b: _Builder, data: ModelData, c: _Cols) -> None:
    """(8) sharing, bilateral mode: per (link, s) with shipments, the share cap and the
    agreement link."""
    if data.mode != "bilateral" or not len(c.ship):
        return
    nS, lot, I0, products_of = len(data.scenarios), data.lot, data.inventory, c.products_of
    e_link, _e_k, _e_t, e_s = c.ship_at
    lkeys, linv = np.unique(e_link * nS + e_s, return_inverse=True)
    ll, lsc = lkeys // nS, lkeys % nS
    theta = data.link_cap[ll]
    # share cap: sum e - theta sum_{k of m} lot_k n_hk <= theta sum_{k of m} I0_hk
    capped = np.nonzero(theta < 1.0)[0]
    cap_rows = _col_map((len(lkeys),), (capped,), b.rows(
        "share cap", (ll[capped], lsc[capped]), np.full(len(capped), -INF),
        theta[capped] * _material_sum(I0, data.link_from[ll[capped]],
                                      data.link_material[ll[capped]], products_of)))
    sel = cap_rows[linv] >= 0
    b.entries(cap_rows[linv][sel], c.ship[sel], 1.0)
    for j in capped:
        h, mat = int(data.link_from[ll[j]]), int(data.link_material[ll[j]])
        ks = products_of[mat]
        ks = ks[c.buy_col[h, ks] >= 0]
        b.entries(np.full(len(ks), cap_rows[j]), c.buy_col[h, ks], -theta[j] * lot[ks])
    # agreement link: sum e - U b_a <= 0, U = min(theta sum max X, sum_t,k D_h'kts)
    big_m = np.array([min(
        theta[j] * float(c.max_stock[data.link_from[ll[j]],
                                     products_of[data.link_material[ll[j]]]].sum()),
        float(c.D[lsc[j], :, data.link_to[ll[j]],
                  products_of[data.link_material[ll[j]]]].sum()))
        for j in range(len(lkeys))])
    link_rows = b.rows("agreement link", (ll, lsc), np.full(len(lkeys), -INF), 0.0)
    b.entries(link_rows[linv], c.ship, 1.0)
    b.entries(link_rows, c.agree[data.link_agreement[ll]], -big_m)


def build_arrays(data: ModelData) -> LinearArrays:
    """The extensive form of ``data`` (objective first-stage cost + sum_s pi_s Q_s): the
    columns block by block, then the rows constraint family by constraint family."""
    b = _Builder()
    c = _first_stage_cols(b, data)
    c.D = data.deficit()  # (S, T, H, K)
    c.max_stock = data.inventory + data.lot[None, :] * c.nmax
    c.products_of = [np.nonzero(data.material_of == j)[0] for j in range(len(data.materials))]
    _release_and_unmet_cols(b, data, c)
    _ship_cols(b, data, c)
    _convert_cols(b, data, c)
    _programme_and_storage_rows(b, data, c)
    _market_and_budget_rows(b, data, c)
    _exhaustion_and_demand_rows(b, data, c)
    _sharing_rows(b, data, c)

    out = b.finish(costs.inventory_holding(data))
    rs, rt, rh, rk = c.release_at
    us, ut, uh, uk, uq = c.unmet_at
    e_link, e_k, e_t, e_s = c.ship_at
    v_h, v_r, v_t, v_s = c.convert_at
    out.keys = {"buy": (c.bh, c.bk), "programme": (c.ph, c.pm), "agree": (np.arange(c.nA),),
                "facility_used": (np.arange(len(data.facilities)),),
                "store": (c.sh[c.w_key], c.sk[c.w_key], c.w_fac),
                "release": (rh, rk, rt, rs), "unmet": (uh, uk, uq, ut, us),
                "ship": (data.link_from[e_link], data.link_to[e_link], e_k, e_t, e_s),
                "convert": (v_h, v_r, v_t, v_s)}
    return out


def _material_sum(I0: np.ndarray, holders: np.ndarray, materials: np.ndarray,
                  products_of: list[np.ndarray]) -> np.ndarray:
    return np.array([float(I0[h, products_of[m]].sum()) for h, m in zip(holders, materials)])
