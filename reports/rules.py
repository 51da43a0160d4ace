"""The five rules a claim states its prediction with (docs/design.md, "Claims and rules").

Each rule checks one seed's numbers (prediction and measurement rows of that seed, plus the rows that
hold for all seeds) and returns a `Check`: whether the prediction holds, a margin and a detail line.
The margin is positive when the prediction holds and negative when it fails:

- `Bound`: measured ≤ bound (or ≥ with `above=True`) at every x; margin = the worst relative slack
  (bound - measured) / |bound| (1 - max ratio for a positive bound);
- `Rate`: a fitted exponent or rate against the predicted one; margin = 1 - |fitted - predicted| /
  tolerance (the fraction of the tolerance left);
- `Order`: Spearman's rank correlation ρ of value against x, at least (or at most) a threshold;
  margin = ρ - threshold (threshold - ρ for `at_least=False`). When all values tie the order is
  undetermined (the seed's outcome is None: a network that leaves every peak unconverged proves
  nothing). `null_pass_probability(n)` is the exact chance that a uniformly random order of n distinct
  items passes the rule;
- `Equality`: |measured - predicted| ≤ atol + rtol |predicted| at every x; margin = 1 - the largest
  error as a fraction of its tolerance;
- `PairOrder`: within each group of x (one measured and one predicted quantity per group), every pair
  whose predicted values differ by more than a factor is measured in the same strict order; margin = the
  smallest fraction ln(m_a/m_b) / ln(p_a/p_b) over those pairs (1: the predicted ratio; ≤ 0: a pair out of
  order). Its check's null is the exact chance that uniformly random orders pass.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from fpcheck.errors import LimitExceeded
from fpcheck.tables import ALL_SEEDS

MAX_ORDER_ITEMS = 13
"""The exact null of an order rule is computed for up to this many items (a DP over 2^n subsets)."""
RHO_TOLERANCE = 1e-12
"""ρ within this of an order rule's threshold counts as on it (ρ of ranks is a ratio of integers, in floats)."""


class MissingQuantity(KeyError):
    """A rule asked for a quantity that neither the prediction nor the measurement holds."""


class Undetermined(ValueError):
    """A quantity a rule needs holds NaN or inf, or an order whose values all tie: the seed's outcome is
    undetermined."""



@dataclass(frozen=True)
class Check:
    holds: bool
    margin: float
    detail: str
    null: float | None = None


class SeedValues:
    """The rows of one seed (and the seed-independent rows), looked up by quantity name."""

    def __init__(self, table: pd.DataFrame, seed: int) -> None:
        rows = table[(table["seed"] == seed) | (table["seed"] == ALL_SEEDS)]
        self._groups = {name: group for name, group in rows.groupby("quantity", sort=False)}
        self.seed = seed

    def curve(self, quantity: str) -> tuple[np.ndarray, np.ndarray]:
        """(x, value) of a quantity, sorted by x; raises MissingQuantity or Undetermined."""
        if quantity not in self._groups:
            raise MissingQuantity(quantity)
        group = self._groups[quantity].sort_values("x", kind="stable")
        values = group["value"].to_numpy(dtype=float)
        if values.size == 0:
            raise MissingQuantity(quantity)
        if not np.all(np.isfinite(values)):
            raise Undetermined(f"{quantity} holds NaN/inf")
        return group["x"].to_numpy(dtype=float), values

    def scalar(self, quantity: str) -> float:
        _, values = self.curve(quantity)
        if values.size != 1:
            raise ValueError(f"quantity {quantity!r} has {values.size} values where one was expected")
        return float(values[0])

    def paired(self, first: str, second: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Two quantities on the same x (the second broadcast when it is a scalar)."""
        x, a = self.curve(first)
        x_b, b = self.curve(second)
        if b.size == 1:
            return x, a, np.full_like(a, b[0])
        if a.size == 1:
            return x_b, np.full_like(b, a[0]), b
        if a.size != b.size or not np.array_equal(np.nan_to_num(x, nan=-1e300), np.nan_to_num(x_b, nan=-1e300)):
            raise ValueError(f"quantities {first!r} and {second!r} are not on the same x")
        return x, a, b


def spearman(x: np.ndarray, values: np.ndarray) -> float:
    """Spearman's ρ of values against x (average ranks for ties); Undetermined when all values tie."""
    if np.ptp(values) == 0 or np.ptp(x) == 0:
        raise Undetermined("every value ties: the order is undetermined")
    return float(stats.spearmanr(x, values).statistic)


@functools.lru_cache(maxsize=64)
def squared_rank_distance_counts(n: int) -> tuple[int, ...]:
    """counts[D] = the number of permutations π of n items with Σ_i (i - π(i))² = D (exact, a DP over the
    set of values already placed: O(2^n n²))."""
    if not 1 <= n <= MAX_ORDER_ITEMS:
        raise LimitExceeded(f"an order of {n} items: the exact null is computed for 1 … {MAX_ORDER_ITEMS} items")
    largest = n * (n * n - 1) // 3
    table = np.zeros((1 << n, largest + 1), dtype=np.int64)
    table[0, 0] = 1
    popcount = np.array([bin(mask).count("1") for mask in range(1 << n)])
    for mask in np.argsort(popcount, kind="stable"):
        row = table[mask]
        if not row.any():
            continue
        position = popcount[mask]
        for value in range(n):
            if mask >> value & 1:
                continue
            cost = (position - value) ** 2
            table[mask | 1 << value, cost:] += row[: largest + 1 - cost]
    return tuple(int(count) for count in table[(1 << n) - 1])


def order_null_probability(n: int, threshold: float, at_least: bool = True) -> float:
    """The exact probability that Spearman's ρ of a uniformly random order of n distinct items against
    its positions is ≥ threshold (≤ with at_least=False): ρ = 1 - 6 D / (n (n² - 1)), D = Σ d²."""
    counts = np.array(squared_rank_distance_counts(n), dtype=float)
    if n < 2:
        raise ValueError("an order needs at least two items")
    rho = 1.0 - 6.0 * np.arange(counts.size) / (n * (n * n - 1))
    passes = rho >= threshold - RHO_TOLERANCE if at_least else rho <= threshold + RHO_TOLERANCE
    return float(counts[passes].sum() / counts.sum())


def _fmt(value: float) -> str:
    return f"{value:.3g}"


class Rule(ABC):
    """A prediction about one seed's numbers."""

    kind: str

    @abstractmethod
    def check(self, values: SeedValues) -> Check: ...

    @abstractmethod
    def reads(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The quantities the rule reads: (measured, predicted); a number compared with is neither."""

    @abstractmethod
    def describe(self) -> str:
        """The prediction in words, e.g. 'abs_coefficient ≤ bound at every x'."""


@dataclass(frozen=True)
class Bound(Rule):
    """`measured` ≤ `bound` everywhere (≥ with above=True); `bound` is a quantity name or a number."""

    measured: str
    bound: str | float
    above: bool = False
    kind = "bound"

    def check(self, values: SeedValues) -> Check:
        if isinstance(self.bound, str):
            x, measured, bound = values.paired(self.measured, self.bound)
        else:
            x, measured = values.curve(self.measured)
            bound = np.full_like(measured, float(self.bound))
        scale = np.where(bound != 0, np.abs(bound), 1.0)
        slack = ((measured - bound) if self.above else (bound - measured)) / scale
        worst = int(np.argmin(slack))
        where = "" if np.isnan(x[worst]) else f" at x = {_fmt(x[worst])}"
        detail = (
            f"{self.measured} = {_fmt(measured[worst])} vs {self._bound_name()} = {_fmt(bound[worst])}{where}"
        )
        return Check(holds=bool(slack[worst] >= 0), margin=float(slack[worst]), detail=detail)

    def reads(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return (self.measured,), ((self.bound,) if isinstance(self.bound, str) else ())

    def _bound_name(self) -> str:
        return self.bound if isinstance(self.bound, str) else "threshold"

    def describe(self) -> str:
        sign = "≥" if self.above else "≤"
        bound = self.bound if isinstance(self.bound, str) else _fmt(self.bound)
        return f"{self.measured} {sign} {bound} at every x"


@dataclass(frozen=True)
class Rate(Rule):
    """A fitted rate within tolerance of the predicted one: rtol × |predicted| or an absolute atol."""

    measured: str
    predicted: str
    rtol: float | None = None
    atol: float | None = None
    kind = "rate"

    def __post_init__(self) -> None:
        if (self.rtol is None) == (self.atol is None):
            raise ValueError("Rate needs exactly one of rtol and atol")

    def check(self, values: SeedValues) -> Check:
        fitted = values.scalar(self.measured)
        predicted = values.scalar(self.predicted)
        allowed = self.atol if self.atol is not None else self.rtol * abs(predicted)
        error = abs(fitted - predicted)
        margin = 1.0 - error / allowed if allowed > 0 else (1.0 if error == 0 else -np.inf)
        detail = f"{self.measured} = {_fmt(fitted)} vs predicted {_fmt(predicted)} (± {_fmt(allowed)})"
        return Check(holds=bool(error <= allowed), margin=float(margin), detail=detail)

    def reads(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return (self.measured,), (self.predicted,)

    def describe(self) -> str:
        tolerance = f"{self.rtol:.0%}" if self.rtol is not None else f"± {_fmt(self.atol)}"
        return f"{self.measured} within {tolerance} of {self.predicted}"


@dataclass(frozen=True)
class Order(Rule):
    """Spearman's ρ of `measured` against its x is ≥ threshold (≤ with at_least=False)."""

    measured: str
    threshold: float
    at_least: bool = True
    kind = "order"

    def check(self, values: SeedValues) -> Check:
        x, value = values.curve(self.measured)
        if x.size < 2:
            raise ValueError(f"quantity {self.measured!r} needs at least two points for a rank correlation")
        rho = spearman(x, value)
        margin = rho - self.threshold if self.at_least else self.threshold - rho
        # the tolerance of order_null_probability: ρ = 0.9 exactly (one adjacent swap of five) is computed as
        # 0.8999999999999999 and would fail the rule its null counts as passing
        return Check(holds=bool(margin >= -RHO_TOLERANCE), margin=float(margin),
                     detail=f"ρ({self.measured}) = {rho:.3f}", null=self.null_pass_probability(x.size))

    def null_pass_probability(self, items: int) -> float:
        """The exact chance that a uniformly random order of `items` distinct values passes the rule."""
        return order_null_probability(items, self.threshold, self.at_least)

    def reads(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return (self.measured,), ()

    def describe(self) -> str:
        sign = "≥" if self.at_least else "≤"
        return f"Spearman ρ(x, {self.measured}) {sign} {self.threshold:g}"


@dataclass(frozen=True)
class Equality(Rule):
    """|measured - predicted| ≤ atol + rtol |predicted| (+ the predicted quantity `tolerance`, e.g. a
    fluctuation band that varies with x) at every x."""

    measured: str
    predicted: str
    rtol: float
    atol: float = 0.0
    tolerance: str | None = None
    kind = "equality"

    def check(self, values: SeedValues) -> Check:
        x, measured, predicted = values.paired(self.measured, self.predicted)
        allowed = self.atol + self.rtol * np.abs(predicted)
        if self.tolerance is not None:
            allowed = allowed + values.paired(self.measured, self.tolerance)[2]
        error = np.abs(measured - predicted)
        with np.errstate(divide="ignore", invalid="ignore"):
            used = np.where(allowed > 0, error / allowed, np.where(error == 0, 0.0, np.inf))
        worst = int(np.argmax(used))
        relative = error[worst] / abs(predicted[worst]) if predicted[worst] != 0 else error[worst]
        detail = f"largest error {_fmt(error[worst])} (relative {_fmt(relative)}) of {self.measured}"
        return Check(holds=bool(used[worst] <= 1.0), margin=float(1.0 - used[worst]), detail=detail)

    def reads(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return (self.measured,), (self.predicted,) + ((self.tolerance,) if self.tolerance is not None else ())

    def describe(self) -> str:
        extra = f" + {self.tolerance}" if self.tolerance is not None else ""
        return f"{self.measured} = {self.predicted} within rtol {self.rtol:g}, atol {self.atol:g}{extra}"


def linear_extension_fraction(precedes: np.ndarray) -> float:
    """The fraction of the n! orders of n items in which a comes before b for every True precedes[a, b] (a
    strict partial order: acyclic), exact: the count of linear extensions by a DP over subsets, O(2^n n)."""
    n = precedes.shape[0]
    if not 1 <= n <= MAX_ORDER_ITEMS:
        raise LimitExceeded(f"an order of {n} items: the exact null is computed for 1 … {MAX_ORDER_ITEMS} items")
    before = [sum(1 << a for a in range(n) if precedes[a, b]) for b in range(n)]
    count = [0] * (1 << n)
    count[0] = 1
    for mask in range(1 << n):
        if count[mask]:
            for item in range(n):
                if not mask >> item & 1 and before[item] & mask == before[item]:
                    count[mask | 1 << item] += count[mask]
    return count[-1] / float(np.prod(np.arange(1, n + 1, dtype=float)))


@dataclass(frozen=True)
class PairOrder(Rule):
    """For each group i (measured[i] and predicted[i], positive values on the same x): every pair a, b with
    predicted_b > separation × predicted_a has measured_b > measured_a. Pairs of different groups are not
    compared. The null is the chance that independent uniformly random orders of each group's measured values
    pass: the product over groups of `linear_extension_fraction` of the compared pairs."""

    measured: tuple[str, ...]
    predicted: tuple[str, ...]
    separation: float
    kind = "order"

    def __post_init__(self) -> None:
        if len(self.measured) != len(self.predicted) or not self.measured:
            raise ValueError("PairOrder needs one predicted quantity per measured one")
        if not self.separation > 1:
            raise ValueError(f"the separation factor must exceed 1, not {self.separation!r}")

    def check(self, values: SeedValues) -> Check:
        pairs: list[tuple[float, str]] = []  # (fraction of the predicted log ratio, where)
        null = 1.0
        for measured_name, predicted_name in zip(self.measured, self.predicted, strict=True):
            x, measured, predicted = values.paired(measured_name, predicted_name)
            if np.any(measured <= 0) or np.any(predicted <= 0):
                raise Undetermined(f"{measured_name} or {predicted_name} is not positive: no ratio to order")
            precedes = predicted[None, :] > self.separation * predicted[:, None]  # [a, b]: b predicted later
            null *= linear_extension_fraction(precedes)
            pairs += [(float(np.log(measured[b] / measured[a]) / np.log(predicted[b] / predicted[a])),
                       f"{measured_name} at x = {_fmt(x[a])} vs {_fmt(x[b])}")
                      for a, b in zip(*np.nonzero(precedes), strict=True)]
        if not pairs:
            raise Undetermined(f"no pair's predicted values differ by more than × {self.separation:g}")
        margin, where = min(pairs)
        return Check(holds=margin > 0, margin=margin, null=null,
                     detail=f"{len(pairs)} pairs compared, smallest {where}: fraction {margin:.3g} of the predicted "
                            "log ratio")

    def reads(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return self.measured, self.predicted

    def describe(self) -> str:
        return (f"{', '.join(self.measured)} in the order of {', '.join(self.predicted)} over every pair predicted "
                f"more than × {self.separation:g} apart")
