"""A synthetic shop with planted, known truth.

:func:`make_crm_data` simulates every table of the canonical data model
(:mod:`crmwb.schema`) from processes whose parameters are known, so tests can
check that each analysis recovers them:

- **Purchases** follow a BG/NBD process in days: each customer buys repeatedly
  at a rate ``lambda ~ Gamma(r, alpha)`` and, after each repeat purchase,
  drops out with probability ``p ~ Beta(a, b)``. Wholesale customers buy less
  often (their ``alpha`` is larger). Time runs in *operational* days that
  follow weekday and month seasonality and Nowruz (the busiest weeks before it,
  15-29 Esfand; a near closure on 1-4 Farvardin and quiet days to the 13th), so
  calendar dates show all three while the process is exactly BG/NBD in
  operational time.
- **Spend per purchase** (an invoice's value over its product lines) follows
  the Gamma-Gamma model: ``z ~ Gamma(p, nu)`` with ``nu ~ Gamma(q, gamma)``
  per customer (wholesale customers have a smaller ``gamma``: larger orders).
  Line prices on an invoice share one factor (promotions, negotiated prices)
  so that the lines add up to ``z``.
- **Baskets** have a main item drawn by popularity, season and budget (and,
  before Nowruz, spring cleaning and gifts: detergent, sponges and toys); planted
  rules add accessories (camera -> tripod, camera bag, memory card; bread ->
  butter; ...). The brand of every line follows the customer's planted
  loyalty type (hard-core, split, shifting, switcher).
- **Complaints** follow the course's facts: a purchase leaves the customer
  dissatisfied now and then (always the purchase after which they drop out), and
  only about 5% of dissatisfied customers complain. An ordinary complaint is
  resolved within a day or two; the complaint at dropout slowly or never, so that
  quickly handled complainants stay as often as customers who buy as often,
  and slow or no handling goes with leaving. **Survey** scores fall with a bad
  experience and with each earlier complaint.
- A **campaign** (an SMS offer) randomises targeted customers to treatment and
  control. Its effect differs from customer to customer, as the course's four
  kinds of customer have it: small for loyal customers who buy anyway (sure
  things), large for active customers at risk (persuadables), next to nothing
  for those already gone (lost causes), and negative for the demanding
  customers who contact the shop all the time (do not disturb). Each targeted
  customer's kind, response probabilities and true uplift are in
  ``truth["campaign"]``.
- **Leads** (prospects) and **suspects** stand beside the customers.
- **Subscriptions** to the shop's membership plan: some customers hold a
  month-to-month, one-year or two-year contract, each subscriber leaving at
  the end of a month with a probability ``theta ~ Beta(alpha, beta)`` of the
  contract type's (the shifted-beta-geometric model). ``tenure`` counts the
  whole months completed by the end of the window, ``churned`` says whether
  they left; subscribers who joined in the last month have no total charges
  yet (as in Telco's table).
- **Dirt** for the cleaning notebook: cancellations matching an earlier line,
  anonymous invoices without a customer id, exact duplicate lines, postage,
  bank charges and manual adjustments, free (zero-price) lines, and some
  people recorded under a second customer id with name, email and phone
  written differently. Removing the dirt gives back exactly the simulated
  purchases, so the ground truth holds for the cleaned data.

The same seed gives identical tables. :func:`write_large_crm_data` writes a
large data set in chunks to partitioned Parquet without holding all lines in
memory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from crmwb.datasets import catalogue as cat
from crmwb.io import write_folder

#: The planted parameters. Time unit: days; money: the shop's currency.
DEFAULT_TRUTH = {
    "time_unit": "days",
    "wholesale_share": 0.1,
    "bgnbd": {
        "retail": {"r": 0.9, "alpha": 16.0, "a": 0.8, "b": 4.0},
        "wholesale": {"r": 0.9, "alpha": 40.0, "a": 0.8, "b": 4.0},
    },
    "gamma_gamma": {
        "retail": {"p": 4.0, "q": 5.0, "gamma": 60.0},
        "wholesale": {"p": 4.0, "q": 5.0, "gamma": 900.0},
    },
    # time-invariant covariates (Fader & Hardie 2007): the parameters above are those of
    # customers acquired through the reference channel; another channel scales a
    # customer's alpha by exp(-purchase effect) (a positive effect, more purchases) and a
    # by exp(dropout effect) (a positive effect, a likelier dropout after each purchase)
    "acquisition_effects": {
        "reference": "marketplace",
        "purchase": {"online ads": 0.0, "referral": 0.4, "social media": -0.2,
                     "store visit": 0.25},
        "dropout": {"online ads": 0.0, "referral": -0.6, "social media": 0.4,
                    "store visit": -0.3},
    },
    "loyalty_mix": {"hard-core": 0.35, "split": 0.30, "shifting": 0.15, "switcher": 0.20},
    # a basket holds about value / line_value lines (a main item, accessories, extras)
    "line_value": {"retail": 7.0, "wholesale": 30.0},
    "max_lines": 30,
    # the course's facts about complaints (session 8, TARP): few dissatisfied customers
    # complain (4-6%), and those whose complaint is handled quickly stay about as often as
    # those who never complained, while slow or no handling goes with leaving
    "complaints": {
        # a purchase leaves the customer dissatisfied (a bad experience) with this chance;
        # the purchase after which a customer drops out always does
        "bad_experience_rate": 0.10,
        # a dissatisfied customer complains with this chance (the silent majority)
        "complain_when_dissatisfied": 0.04,
        "complain_at_dropout": 0.05,
        # an ordinary complaint is resolved quickly (exponential days); the complaint at
        # dropout takes days beyond the service level, or is never resolved
        "mean_days_to_resolve": 1.0,
        "days_to_resolve_at_dropout": [4.0, 20.0],
        "unresolved_share_at_dropout": 0.3,
        "other_contacts_per_purchase": 0.04,
        # demanding customers ask and request far more (each contact costs the shop): with
        # the small baskets, what makes about 20% of customers unprofitable at the default
        # costs (the course: about 20% of customers are unprofitable)
        "demanding_share": 0.15,
        "demanding_contacts_per_purchase": 2.0,
    },
    "survey_rate_per_purchase": 0.12,
    "campaign": {
        "campaign_id": "SPRING-25",
        "at_fraction_of_window": 0.75,
        "targeted_share": 0.9,
        "response_window_days": 30,
        # who buys in the window without the offer: a customer still active buys more often
        # the more recently they bought (``risk`` = 1 - exp(-expected purchases missed since
        # their last one): 0 for a loyal customer who just bought, near 1 for one at risk);
        # a customer already gone rarely buys
        "control_response_alive": {"loyal": 0.20, "at_risk": 0.04},
        "control_response_dropped": 0.01,
        # what the offer changes (the course's four kinds of customer): little for the loyal
        # who buy anyway (sure things), most for the active at risk (persuadables; from
        # loyal to at risk with risk squared, so that it grows late), next to
        # nothing for those already gone (lost causes), and it puts off the demanding
        # customers who contact the shop all the time (do not disturb)
        "uplift": {"loyal": 0.01, "at_risk": 0.40, "dropped": 0.005, "do_not_disturb": -0.08},
        "cost_per_contact": 0.3,  # an SMS offer
    },
    # the shop's membership plan (free delivery, members' prices), billed monthly: an sBG
    # process per contract type, a subscriber leaving at the end of any month with a
    # probability theta ~ Beta(alpha, beta) of their own (periods: months, for every
    # contract type, as in Telco's tenure)
    "subscriptions": {
        "share_of_customers": 0.3,
        "join_rate": 1 / 3,
        "contracts": {
            "month-to-month": {"share": 0.5, "alpha": 0.8, "beta": 3.0, "monthly_charge": 9.9},
            "one year": {"share": 0.3, "alpha": 1.0, "beta": 15.0, "monthly_charge": 8.5},
            "two year": {"share": 0.2, "alpha": 1.2, "beta": 40.0, "monthly_charge": 7.5},
        },
    },
    "leads_per_customer": 0.6,
    "suspects_per_customer": 3.0,
    "dirt": {
        "second_id_share": 0.03,
        "second_id_invoice_share": 0.4,
        "twin_without_phone_share": 0.3,
        "twin_name_typo_share": 0.3,
        "placeholder_phone_share": 0.02,
        "placeholder_email_share": 0.02,
        "family_phone_share": 0.02,
        "anonymous_invoice_share": 0.03,
        "duplicate_line_share": 0.005,
        "postage_invoice_share": 0.03,
        "bank_charge_invoice_share": 0.003,
        "manual_invoice_share": 0.003,
        "free_line_invoice_share": 0.004,
        "cancelled_line_invoice_share": 0.015,
        "split_return_share": 0.004,
        "partial_return_share": 0.006,
        "return_under_other_id_share": 0.5,
    },
}

NON_PRODUCT_CODES = {"POST": "POSTAGE", "BANK CHARGES": "Bank Charges", "ADJUST": "Manual"}

_CITIES = [
    ("Tehran", "Tehran", 9.0), ("Karaj", "Alborz", 2.0), ("Isfahan", "Isfahan", 2.2),
    ("Shiraz", "Fars", 1.9), ("Mashhad", "Khorasan Razavi", 3.3),
    ("Tabriz", "East Azerbaijan", 1.7), ("Rasht", "Gilan", 0.8), ("Ahvaz", "Khuzestan", 1.3),
    ("Kerman", "Kerman", 0.6), ("Yazd", "Yazd", 0.6),
]
_FEMALE = ["Sara", "Maryam", "Fatemeh", "Zahra", "Narges", "Leila", "Shirin", "Mina",
           "Parisa", "Niloofar", "Roya", "Azadeh", "Elham", "Neda", "Samira", "Yasaman"]
_MALE = ["Ali", "Reza", "Mohammad", "Hossein", "Amir", "Mehdi", "Saeed", "Hamid",
         "Omid", "Babak", "Kaveh", "Arash", "Dariush", "Farhad", "Navid", "Peyman"]
_LAST = ["Ahmadi", "Hosseini", "Karimi", "Rezaei", "Moradi", "Mohammadi", "Jafari",
         "Rahimi", "Ebrahimi", "Hashemi", "Sadeghi", "Kazemi", "Bagheri", "Ghasemi",
         "Amini", "Salehi", "Najafi", "Mousavi", "Tehrani", "Shirazi", "Esfahani",
         "Farahani", "Kamali", "Azizi"]
_DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "chmail.ir"]
_ACQUISITION = ["online ads", "referral", "store visit", "social media", "marketplace"]
_ACQ_P = [0.3, 0.2, 0.25, 0.15, 0.1]
_LOYALTY = ["hard-core", "split", "shifting", "switcher"]


@dataclass
class CRMData:
    """The tables of a synthetic data set and the truth they were drawn from.

    Attributes
    ----------
    transactions, customers, contacts, surveys, campaigns, leads, suspects, subscriptions
        The canonical tables (see :mod:`crmwb.schema`), dirt included.
    catalogue : DataFrame
        The products, with product type, brand and list price.
    truth : dict
        ``params`` (the planted parameters), ``customers`` (one row per person:
        type, loyalty type, rate, dropout probability, spend scale, alive at
        the end...), ``identity`` (each customer id and the person behind it),
        ``rules`` (the planted co-purchase rules) and ``subscribers`` (each
        subscriber's contract, monthly churn probability ``theta`` and lifetime
        in months, observed or not).
    """

    transactions: pd.DataFrame
    customers: pd.DataFrame
    contacts: pd.DataFrame
    surveys: pd.DataFrame
    campaigns: pd.DataFrame
    leads: pd.DataFrame
    suspects: pd.DataFrame
    catalogue: pd.DataFrame
    subscriptions: pd.DataFrame
    truth: dict = field(default_factory=dict)

    TABLE_NAMES = (
        "transactions", "customers", "contacts", "surveys", "campaigns", "leads",
        "suspects", "catalogue", "subscriptions",
    )

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The data tables by name (truth excluded)."""
        return {name: getattr(self, name) for name in self.TABLE_NAMES}

    def write(self, out_dir: str | Path, overwrite: bool = False) -> Path:
        """Write every table as Parquet, and the truth under ``truth/``.

        The folder is written whole or not at all: files go to a temporary
        folder beside it, which is renamed into place at the end.
        """
        out_dir = Path(out_dir)

        def fill(tmp: Path) -> None:
            for name, table in self.tables.items():
                table.to_parquet(tmp / f"{name}.parquet", index=False)
            _write_truth(self.truth, tmp / "truth")

        return write_folder(out_dir, fill, overwrite)


def _write_truth(truth: dict, folder: Path, part: str | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "params.json").write_text(json.dumps(truth["params"], indent=2, default=str))
    for name in ("customers", "identity", "rules", "subscribers", "campaign"):
        if part is None:
            truth[name].to_parquet(folder / f"{name}.parquet", index=False)
        elif name != "rules" or part == "part-00000":
            (folder / name).mkdir(exist_ok=True)
            truth[name].to_parquet(folder / name / f"{part}.parquet", index=False)


#: Prefixes of Iranian mobile numbers (MCI, Irancell, RighTel), all valid for phonenumbers.
_MOBILE_PREFIXES = ["0912", "0913", "0914", "0915", "0916", "0917", "0918", "0919", "0935",
                    "0936", "0937", "0938", "0939", "0901", "0902", "0903", "0921", "0922",
                    "0990", "0991"]
#: What shop staff type when a customer gives no phone or email: shared by many people.
PLACEHOLDER_PHONE = "09999999999"
PLACEHOLDER_EMAIL = "noemail@gmail.com"


def _mobile_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    prefix = np.array(_MOBILE_PREFIXES)[rng.integers(0, len(_MOBILE_PREFIXES), n)]
    return np.char.add(prefix, np.char.zfill(rng.integers(0, 10**7, n).astype(str), 7))


def _typo(rng: np.random.Generator, word: str) -> str:
    """One slip of the keyboard in a word of four letters or more: a letter doubled,
    dropped or swapped with its neighbour, or i/y, e/a confused."""
    if len(word) < 5:
        return word
    i = int(rng.integers(1, len(word) - 2))
    kind = int(rng.integers(0, 4))
    if kind == 0:
        return word[:i] + word[i] + word[i:]
    if kind == 1:
        return word[:i] + word[i + 1:]
    if kind == 2:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    swap = {"i": "y", "y": "i", "e": "a", "a": "e", "o": "ou"}
    j = next((k for k in range(len(word) - 1, 0, -1) if word[k] in swap), None)
    return word if j is None else word[:j] + swap[word[j]] + word[j + 1:]


def _mix(levels: dict, risk: np.ndarray) -> np.ndarray:
    """From a loyal customer's value (``risk`` 0) to an at-risk customer's (``risk`` 1)."""
    return levels["loyal"] + (levels["at_risk"] - levels["loyal"]) * risk


def _group_rank(groups: np.ndarray) -> np.ndarray:
    """0-based position of each element within its run of equal, sorted groups."""
    n = len(groups)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(groups[1:] != groups[:-1]) + 1]
    lengths = np.diff(np.r_[starts, n])
    return np.arange(n) - np.repeat(starts, lengths)


def _choice_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """Draw one column index per row of a non-negative weight matrix."""
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cum[:, -1]
    return np.minimum((cum < u[:, None]).sum(axis=1), weights.shape[1] - 1)


def _choice_by_rows(rng, row_weights, index, block: int = 100_000) -> np.ndarray:
    """:func:`_choice_rows` over ``row_weights(index[i:j])``, a block of rows at a time."""
    out = np.empty(len(index), dtype=np.int64)
    for i in range(0, len(index), block):
        out[i:i + block] = _choice_rows(rng, row_weights(index[i:i + block]))
    return out


def _nowruz_periods(days: pd.DatetimeIndex) -> pd.Series:
    """Each day's place around Nowruz: ``pre_nowruz`` (15-29 Esfand), ``closed`` (1-4
    Farvardin), ``holidays`` (5-13 Farvardin) or empty."""
    from crmwb import calendars

    place = pd.Series("", index=days)
    for key, first, last in calendars.iranian_key_dates(days.min(), days.max())[
            ["key", "start", "end"]].itertuples(index=False):
        if key == "pre_nowruz":
            place[first:last] = "pre_nowruz"
        elif key == "nowruz":
            place[first:last] = "closed"
            place[last + pd.Timedelta(days=1):first + pd.Timedelta(days=12)] = "holidays"
    return place


def _other_first_name(theirs: str, drawn: str) -> str:
    """A family member's first name that no matcher may take for a typo of ``theirs``
    (Sara and Samira differ by two letters: crmwb.identity rightly reads them as one); the
    drawn name when it is far enough, else the next far one of the same list."""
    from crmwb.identity import names_agree

    pool = _FEMALE if drawn in _FEMALE else _MALE
    start = pool.index(drawn) if drawn in pool else 0
    for k in range(len(pool)):
        name = pool[(start + k) % len(pool)]
        if not names_agree(name.lower(), theirs.lower()):
            return name
    return drawn


def _calendar(start: pd.Timestamp, end: pd.Timestamp, seasonal: bool = True):
    """The days, the edges of each day in operational time, and each day's place around
    Nowruz (:func:`_nowruz_periods`)."""
    days = pd.date_range(start, end, freq="D")
    places = _nowruz_periods(days)
    intensity = cat.MONTH_FACTOR[days.month - 1] * cat.WEEKDAY_FACTOR[days.day_of_week]
    intensity = intensity * places.map(lambda p: cat.NOWRUZ_FACTORS.get(p, 1.0)).to_numpy()
    intensity = intensity / intensity.mean() if seasonal else np.ones(len(days))
    op_edges = np.r_[0.0, np.cumsum(intensity)]
    return days, op_edges, places


def planted_covariate_effects(params: dict | None = None) -> dict:
    """The planted effects of the customers' covariates, as a covariate model of
    :mod:`crmwb.clv` estimates them: ``{process: {"column=level": effect}}`` against the
    reference levels ``retail`` and the reference acquisition channel.

    ``purchase`` acts on the purchase rate (``alpha_i = alpha exp(-effect)``), ``dropout``
    on the chance of dropping out after a purchase (``a_i = a exp(effect)``), ``spend`` on
    the mean spend per purchase (``gamma_i = gamma exp(effect)``). The customer type's
    effects are the ratios of the wholesale and retail parameters.

    >>> round(planted_covariate_effects()["purchase"]["customer_type=wholesale"], 3)
    -0.916
    """
    P = params or DEFAULT_TRUTH
    bg, gg, acq = P["bgnbd"], P["gamma_gamma"], P["acquisition_effects"]
    channel = {level: effect for level, effect in sorted(acq["purchase"].items())
               if level != acq["reference"]}
    drop = {level: effect for level, effect in sorted(acq["dropout"].items())
            if level != acq["reference"]}
    return {
        "reference": {"customer_type": "retail", "acquisition_channel": acq["reference"]},
        "purchase": {"customer_type=wholesale":
                     float(np.log(bg["retail"]["alpha"] / bg["wholesale"]["alpha"])),
                     **{f"acquisition_channel={k}": v for k, v in channel.items()}},
        "dropout": {"customer_type=wholesale":
                    float(np.log(bg["wholesale"]["a"] / bg["retail"]["a"])),
                    **{f"acquisition_channel={k}": v for k, v in drop.items()}},
        "spend": {"customer_type=wholesale":
                  float(np.log(gg["wholesale"]["gamma"] / gg["retail"]["gamma"])),
                  **{f"acquisition_channel={k}": 0.0 for k in channel}},
    }


def planted_intensity(start, end) -> pd.Series:
    """The planted intensity of purchases on each day from ``start`` to ``end`` (mean 1):
    the month, the weekday and Nowruz (:data:`crmwb.datasets.catalogue.NOWRUZ_FACTORS`)."""
    days, edges, _ = _calendar(pd.Timestamp(start), pd.Timestamp(end))
    return pd.Series(np.diff(edges), index=days)


def _to_calendar(op_time, op_edges, start, rng):
    """Map operational times to timestamps (a random time of day in shop hours)."""
    day_pos = np.interp(op_time, op_edges, np.arange(len(op_edges)))
    day = np.minimum(np.floor(day_pos), len(op_edges) - 2).astype(np.int64)
    seconds = rng.integers(8 * 3600, 21 * 3600, size=len(day))
    return (
        start + pd.to_timedelta(day, unit="D") + pd.to_timedelta(seconds, unit="s")
    ).values.astype("datetime64[s]")


def _simulate(
    n_customers: int,
    start: pd.Timestamp,
    end: pd.Timestamp,
    rng: np.random.Generator,
    id_base: int,
    invoice_base: int,
    truth_params: dict,
    seasonal: bool = True,
) -> CRMData:
    P = truth_params
    products = cat.catalogue()
    types = cat.product_types()
    n_types = len(types)
    days, op_edges, places = _calendar(start, end, seasonal)
    horizon = op_edges[-1]
    n = n_customers

    # --- customers and their latent traits -------------------------------------------
    wholesale = rng.random(n) < P["wholesale_share"]
    seg = np.where(wholesale, "wholesale", "retail")
    bg = {k: np.where(wholesale, P["bgnbd"]["wholesale"][k], P["bgnbd"]["retail"][k])
          for k in ("r", "alpha", "a", "b")}
    gg = {k: np.where(wholesale, P["gamma_gamma"]["wholesale"][k], P["gamma_gamma"]["retail"][k])
          for k in ("p", "q", "gamma")}
    acquisition = np.array(_ACQUISITION)[rng.choice(len(_ACQUISITION), size=n, p=_ACQ_P)]
    effects = P["acquisition_effects"]
    purchase_effect = pd.Series(effects["purchase"]).reindex(acquisition).fillna(0).to_numpy()
    dropout_effect = pd.Series(effects["dropout"]).reindex(acquisition).fillna(0).to_numpy()
    lam = rng.gamma(bg["r"], 1.0 / (bg["alpha"] * np.exp(-purchase_effect)))
    p_drop = rng.beta(bg["a"] * np.exp(dropout_effect), bg["b"])
    nu = rng.gamma(gg["q"], 1.0 / gg["gamma"])
    birth = rng.uniform(0.0, 0.92 * horizon, size=n)
    T = horizon - birth
    n_arrivals = rng.poisson(lam * T)
    k_drop = rng.geometric(p_drop)
    n_repeat = np.minimum(n_arrivals, k_drop)
    alive = n_arrivals < k_drop

    loyalty = rng.choice(len(_LOYALTY), size=n, p=list(P["loyalty_mix"].values()))
    fav = rng.integers(0, 4, size=n)
    second = (fav + rng.integers(1, 4, size=n)) % 4
    third = (second + rng.integers(1, 3, size=n)) % 4
    third = np.where(third == fav, (third + 1) % 4, third)
    n_split = rng.integers(2, 4, size=n)
    switch_at = birth + rng.uniform(0.3, 0.7, size=n) * T

    # --- purchase events: the first purchase at birth, then the repeats ------------
    cust_arr = np.repeat(np.arange(n), n_arrivals)
    times = birth[cust_arr] + rng.random(len(cust_arr)) * T[cust_arr]
    order = np.lexsort((times, cust_arr))
    cust_arr, times = cust_arr[order], times[order]
    keep = _group_rank(cust_arr) < n_repeat[cust_arr]
    ev_cust = np.r_[np.arange(n), cust_arr[keep]]
    ev_op = np.r_[birth, times[keep]]
    order = np.lexsort((ev_op, ev_cust))
    ev_cust, ev_op = ev_cust[order], ev_op[order]
    ev_rank = _group_rank(ev_cust)  # 0 for the first purchase
    ev_fatal = (~alive[ev_cust]) & (ev_rank == n_repeat[ev_cust]) & (ev_rank > 0)
    n_ev = len(ev_cust)
    ev_date = _to_calendar(ev_op, op_edges, start, rng)
    ev_month = pd.DatetimeIndex(ev_date).month.values - 1
    ev_pre_nowruz = (places.reindex(pd.DatetimeIndex(ev_date).normalize())
                     .to_numpy() == "pre_nowruz") if seasonal else np.zeros(len(ev_date), bool)
    ev_value = rng.gamma(gg["p"][ev_cust], 1.0 / nu[ev_cust])

    # --- baskets ----------------------------------------------------------------------
    base_price = types["base_price"].to_numpy()
    popularity = types["popularity"].to_numpy()
    season = np.stack([cat.SEASON_MONTH_FACTOR[s] for s in types["season"]], axis=1)  # 12 x types
    # before Nowruz: spring cleaning and gifts (a second row of factors, one per type)
    boost = np.stack([np.ones(n_types),
                      types["product_type"].map(cat.PRE_NOWRUZ_BOOST).fillna(1.0).to_numpy()])
    season_now = season[ev_month] * boost[ev_pre_nowruz.astype(int)]  # events x types
    affordable = base_price[None, :] <= ev_value[:, None]
    affordable[:, np.argmin(base_price)] = True
    w = popularity[None, :] * season_now * affordable
    anchor = _choice_rows(rng, w)
    line_value = np.where(wholesale, P["line_value"]["wholesale"], P["line_value"]["retail"])
    extra_mean = np.clip(ev_value / line_value[ev_cust] - 1.5, 0.2, P["max_lines"])
    n_extra = rng.poisson(extra_mean)
    extra_ev = np.repeat(np.arange(n_ev), n_extra)
    extra_type = _choice_by_rows(
        rng, lambda e: popularity[None, :] * season_now[e] * affordable[e], extra_ev)
    has_type = np.zeros((n_ev, n_types), dtype=bool)
    has_type[np.arange(n_ev), anchor] = True
    has_type[extra_ev, extra_type] = True
    # planted rules: an antecedent anywhere in the basket brings its consequent
    type_index = {t: i for i, t in enumerate(types["product_type"])}
    has_ante = has_type.copy()
    for ante, cons, prob in cat.PLANTED_RULES:
        hit = has_ante[:, type_index[ante]] & (rng.random(n_ev) < prob)
        has_type[hit, type_index[cons]] = True
    l_ev, l_type = np.nonzero(has_type)  # one line per product type, by event
    # brand from the customer's loyalty type
    l_cust = ev_cust[l_ev]
    lt = loyalty[l_cust]
    u = rng.random(len(l_ev))
    split_pick = np.floor(u * n_split[l_cust]).astype(int)
    split_brand = np.choose(np.minimum(split_pick, 2), [fav[l_cust], second[l_cust], third[l_cust]])
    shifting_brand = np.where(ev_op[l_ev] < switch_at[l_cust], fav[l_cust], second[l_cust])
    l_brand = np.select(
        [lt == 0, lt == 1, lt == 2],
        [fav[l_cust], split_brand, shifting_brand],
        default=rng.integers(0, 4, size=len(l_ev)),
    )
    l_prod = l_type * 4 + l_brand
    list_price = products["list_price"].to_numpy()[l_prod]
    n_lines_ev = np.bincount(l_ev, minlength=n_ev)
    target = ev_value[l_ev] / n_lines_ev[l_ev]
    qty = np.maximum(1, np.round(target / list_price)).astype(np.int64)
    basket_list_value = np.bincount(l_ev, weights=qty * list_price, minlength=n_ev)
    factor = ev_value / basket_list_value
    unit_price = np.round(list_price * factor[l_ev], 2)
    unit_price = np.maximum(unit_price, 0.01)

    # --- identity: some people get a second customer id ------------------------------
    D_ID = P["dirt"]
    n_second = int(round(P["dirt"]["second_id_share"] * n))
    ids = id_base + rng.choice(2 * (n + n_second) + 10, size=n + n_second, replace=False)
    cust_ids = ids[:n]
    second_of = np.full(n, -1, dtype=np.int64)
    has_second = rng.choice(n, size=n_second, replace=False)
    second_of[has_second] = ids[n:]
    ev_second = (second_of[ev_cust] >= 0) & (ev_rank > 0) & (
        rng.random(n_ev) < P["dirt"]["second_id_invoice_share"])
    ev_cid = np.where(ev_second, second_of[ev_cust], cust_ids[ev_cust])

    channel_names = np.array(["online", "store", "phone"])
    ev_channel = np.where(
        wholesale[ev_cust],
        _choice_rows(rng, np.tile([0.3, 0.2, 0.5], (n_ev, 1))),
        _choice_rows(rng, np.tile([0.45, 0.45, 0.1], (n_ev, 1))),
    )

    # --- customers table ----------------------------------------------------------------
    gender = np.where(rng.random(n) < 0.5, "female", "male")
    first_names = np.where(
        gender == "female",
        np.array(_FEMALE)[rng.integers(0, len(_FEMALE), n)],
        np.array(_MALE)[rng.integers(0, len(_MALE), n)],
    )
    last_names = np.array(_LAST)[rng.integers(0, len(_LAST), n)]
    names = np.char.add(np.char.add(first_names, " "), last_names)
    names = np.where(wholesale, np.char.add(last_names, " Trading Co."), names)
    email_user = np.char.lower(np.char.add(np.char.add(first_names, "."), last_names))
    email_num = (rng.permutation(n) + 1).astype(str)  # unique: two people never share one
    emails = np.char.add(np.char.add(np.char.add(email_user, email_num), "@"),
                         np.array(_DOMAINS)[rng.integers(0, len(_DOMAINS), n)])
    phones = _mobile_numbers(rng, n)
    city_w = np.array([c[2] for c in _CITIES])
    city_idx = rng.choice(len(_CITIES), size=n, p=city_w / city_w.sum())
    cities = np.array([c[0] for c in _CITIES])[city_idx]
    regions = np.array([c[1] for c in _CITIES])[city_idx]
    first_date = ev_date[np.r_[0, np.flatnonzero(np.diff(ev_cust)) + 1]]
    signup = (first_date.astype("datetime64[D]")
              - rng.integers(0, 3, n).astype("timedelta64[D]")).astype("datetime64[s]")
    signup = np.maximum(signup, np.datetime64(start, "s"))
    age = np.where(wholesale, -1, np.clip(np.round(rng.normal(38, 12, n)), 18, 80)).astype(int)
    customers = pd.DataFrame({
        "customer_id": cust_ids,
        "name": names,
        "email": emails,
        "phone": phones,
        "city": cities,
        "region": regions,
        "signup_date": signup,
        "customer_type": seg,
        "acquisition_channel": acquisition,
        "age": pd.array(np.where(age < 0, pd.NA, age), dtype="Int64"),
        "gender": pd.array(np.where(wholesale, None, gender), dtype="string"),
    })
    # strangers who gave no phone or email: staff typed the same placeholder for them
    no_contact = np.flatnonzero(rng.random(n) < D_ID["placeholder_phone_share"])
    customers.loc[no_contact, "phone"] = PLACEHOLDER_PHONE
    no_mail = np.flatnonzero(rng.random(n) < D_ID["placeholder_email_share"])
    customers.loc[no_mail, "email"] = PLACEHOLDER_EMAIL
    # families: two people of one surname and city who share a home phone (two customers)
    family = rng.choice(n, size=2 * int(D_ID["family_phone_share"] * n / 2), replace=False)
    retail_pairs = family.reshape(-1, 2)
    retail_pairs = retail_pairs[~wholesale[retail_pairs].any(axis=1)]
    a, b = retail_pairs[:, 0], retail_pairs[:, 1]
    first_b = np.array([_other_first_name(x, y) for x, y in zip(first_names[a], first_names[b])],
                       dtype=first_names.dtype)
    customers.loc[b, "name"] = np.char.add(np.char.add(first_b, " "), last_names[a])
    customers.loc[b, "phone"] = customers.loc[a, "phone"].to_numpy()
    customers.loc[b, "city"] = cities[a]
    customers.loc[b, "region"] = regions[a]
    # second ids: the same person written differently
    sec = has_second
    sec_first_ev = {}
    sec_ev_idx = np.flatnonzero(ev_second)
    for e in sec_ev_idx[::-1]:
        sec_first_ev[ev_cust[e]] = e
    sec = np.array([c for c in sec if c in sec_first_ev], dtype=np.int64)
    second_of[np.setdiff1d(has_second, sec)] = -1  # no purchase ever made under the second id
    variant = rng.integers(0, 3, size=len(sec))
    no_phone = rng.random(len(sec)) < D_ID["twin_without_phone_share"]
    typo = rng.random(len(sec)) < D_ID["twin_name_typo_share"]
    sec_names, sec_emails, sec_phones = [], [], []
    for c, v, lost, slip in zip(sec, variant, no_phone, typo):
        first, last, email, local = first_names[c], last_names[c], emails[c], phones[c][1:]
        if slip:
            first, last = (first, _typo(rng, last)) if rng.random() < 0.5 else (
                _typo(rng, first), last)
        if wholesale[c]:
            sec_names.append(f"{last} Trading Co.".upper())
        else:
            sec_names.append([f"{first} {last}".upper(), f"{last}, {first}",
                              f"{first[0]}. {last}"][v])
        gmail = email.endswith("@gmail.com")
        # without a phone the email must still say who it is: a dotless local part is the
        # same address only at Gmail
        sec_emails.append([f" {email}", email.upper(),
                           email.replace(".", "", 1) if gmail or not lost else email.upper()][v])
        sec_phones.append(None if lost else
                          [f"+98 {local}", f"0{local[:3]}-{local[3:6]}-{local[6:]}",
                           f"0098{local}"][v])
    sec_first = np.array([sec_first_ev[c] for c in sec], dtype=np.int64)
    seconds_tbl = pd.DataFrame({
        "customer_id": second_of[sec],
        "name": sec_names,
        "email": sec_emails,
        "phone": sec_phones,
        "city": cities[sec],
        "region": regions[sec],
        "signup_date": ev_date[sec_first],
        "customer_type": seg[sec],
        "acquisition_channel": acquisition[sec],
        "age": customers["age"].iloc[sec].reset_index(drop=True),
        "gender": customers["gender"].iloc[sec].reset_index(drop=True),
    })
    customers = pd.concat([customers, seconds_tbl], ignore_index=True)
    customers = customers.sort_values(["signup_date", "customer_id"], ignore_index=True)

    # --- contacts: complaints and other contacts ---------------------------------------
    C = P["complaints"]
    bad_ev = ev_fatal | (rng.random(n_ev) < C["bad_experience_rate"])
    rate = np.where(ev_fatal, C["complain_at_dropout"],
                    np.where(bad_ev, C["complain_when_dissatisfied"], 0.0))
    comp_ev = np.flatnonzero(rng.random(n_ev) < rate)
    demanding = rng.random(n) < C["demanding_share"]
    other_rate = np.where(demanding[ev_cust], C["demanding_contacts_per_purchase"],
                          C["other_contacts_per_purchase"])
    other_ev = np.repeat(np.arange(n_ev), rng.poisson(other_rate))
    fatal_c = ev_fatal[comp_ev]
    comp_date = ev_date[comp_ev] + rng.integers(3600, 10 * 86400, len(comp_ev)).astype(
        "timedelta64[s]")
    slow_from, slow_mean = C["days_to_resolve_at_dropout"]
    resolve_days = np.where(fatal_c, slow_from + rng.exponential(slow_mean, len(comp_ev)),
                            rng.exponential(C["mean_days_to_resolve"], len(comp_ev)))
    resolved = comp_date + (resolve_days * 86400).astype("timedelta64[s]")
    unresolved = fatal_c & (rng.random(len(comp_ev)) < C["unresolved_share_at_dropout"])
    resolved = np.where(unresolved, np.datetime64("NaT"), resolved)
    severity = np.clip(np.where(fatal_c, rng.integers(3, 6, len(comp_ev)),
                                rng.integers(1, 4, len(comp_ev))), 1, 5)
    comp_cat = rng.choice(5, size=len(comp_ev), p=[0.3, 0.25, 0.15, 0.1, 0.2])
    other_date = ev_date[other_ev] + rng.integers(3600, 10 * 86400, len(other_ev)).astype(
        "timedelta64[s]")
    other_resolved = other_date + (rng.exponential(1.0, len(other_ev)) * 86400).astype(
        "timedelta64[s]")
    contact_channels = np.array(["phone", "email", "social", "sms", "chat", "website",
                                 "in_person"])
    categories = np.array(["quality", "delivery", "price", "warranty", "responsiveness"])
    contacts = pd.DataFrame({
        "customer_id": np.r_[ev_cid[comp_ev], ev_cid[other_ev]],
        "date": np.r_[comp_date, other_date],
        "channel": contact_channels[rng.choice(7, size=len(comp_ev) + len(other_ev),
                                               p=[0.35, 0.2, 0.1, 0.05, 0.15, 0.1, 0.05])],
        "kind": np.r_[np.full(len(comp_ev), "complaint"),
                      np.where(rng.random(len(other_ev)) < 0.6, "question", "request")],
        "category": np.r_[categories[comp_cat],
                          categories[rng.choice(5, size=len(other_ev))]],
        "severity": np.r_[severity, rng.integers(1, 3, len(other_ev))],
        "resolved_date": np.r_[resolved, other_resolved],
    })
    contacts = contacts[contacts["date"] <= end + pd.Timedelta(days=1)]
    contacts["resolved_date"] = contacts["resolved_date"].where(
        contacts["resolved_date"] <= end + pd.Timedelta(days=1))
    contacts = contacts.sort_values(["date", "customer_id"], ignore_index=True)

    # --- surveys -------------------------------------------------------------------------
    n_comp = np.bincount(ev_cust[comp_ev], minlength=n)
    complained_ev = np.zeros(n_ev, bool)
    complained_ev[comp_ev] = True
    surv_ev = np.flatnonzero(rng.random(n_ev) < P["survey_rate_per_purchase"])
    # the experience surveyed, and each complaint the customer made before it (up to 3)
    earlier = pd.Series(complained_ev).groupby(ev_cust).cumsum().to_numpy() - complained_ev
    csat_latent = (4.4 - 2.5 * bad_ev[surv_ev]
                   - 0.35 * np.minimum(earlier[surv_ev], 3)
                   + rng.normal(0, 0.6, len(surv_ev)))
    csat = np.clip(np.round(csat_latent), 1, 5).astype(int)
    nps = np.clip(np.round(2.2 * csat - 1.5 + rng.normal(0, 1.0, len(surv_ev))), 0, 10).astype(int)
    surveys = pd.DataFrame({
        "customer_id": ev_cid[surv_ev],
        "date": ev_date[surv_ev] + rng.integers(3600, 5 * 86400, len(surv_ev)).astype(
            "timedelta64[s]"),
        "csat": csat,
        "nps": nps,
    })
    surveys = surveys[surveys["date"] <= end + pd.Timedelta(days=1)]
    surveys = surveys.sort_values(["date", "customer_id"], ignore_index=True)

    # --- campaign --------------------------------------------------------------------------
    K = P["campaign"]
    camp_day = start + pd.Timedelta(days=int(K["at_fraction_of_window"] * (len(days) - 1)))
    camp_op = np.interp((camp_day - start).days, np.arange(len(op_edges)), op_edges)
    # a mass offer to retail customers: wholesale accounts are served by account managers
    eligible = np.flatnonzero((birth < camp_op) & ~wholesale)
    targeted = np.sort(rng.choice(eligible, size=int(K["targeted_share"] * len(eligible)),
                                  replace=False))
    treat = rng.random(len(targeted)) < 0.5
    last_op = np.full(n, -np.inf)
    np.maximum.at(last_op, ev_cust, ev_op)
    alive_at_camp = alive[targeted] | (last_op[targeted] > camp_op)
    before = ev_op <= camp_op
    last_before = np.full(n, -np.inf)
    np.maximum.at(last_before, ev_cust[before], ev_op[before])
    risk = 1.0 - np.exp(-lam[targeted] * (camp_op - last_before[targeted]))
    base_rate = np.where(alive_at_camp, _mix(K["control_response_alive"], risk),
                         K["control_response_dropped"])
    U = K["uplift"]
    dnd = demanding[targeted]
    effect = np.where(dnd, U["do_not_disturb"],
                      np.where(alive_at_camp, _mix(U, risk ** 2), U["dropped"]))
    p_treated = np.clip(base_rate + effect, 0.0, 1.0)
    resp = rng.random(len(targeted)) < np.where(treat, p_treated, base_rate)
    revenue = np.where(resp, np.round(rng.gamma(gg["p"][targeted], 1.0 / nu[targeted]), 2), 0.0)
    campaigns = pd.DataFrame({
        "customer_id": cust_ids[targeted],
        "campaign_id": K["campaign_id"],
        "date": np.full(len(targeted), camp_day.to_datetime64()).astype("datetime64[s]"),
        "group": np.where(treat, "treatment", "control"),
        "responded": resp,
        "revenue": revenue,
        "cost": np.where(treat, K["cost_per_contact"], 0.0),
    })
    campaign_truth = pd.DataFrame({
        "customer_id": cust_ids[targeted],
        "kind": np.where(dnd, "do not disturb", np.where(
            ~alive_at_camp, "lost cause", np.where(risk >= 0.5, "persuadable", "sure thing"))),
        "risk": risk,
        "p_control": base_rate,
        "p_treated": p_treated,
        "true_uplift": p_treated - base_rate,
    })

    # --- leads and suspects -------------------------------------------------------------
    n_leads = int(P["leads_per_customer"] * n)
    lg = rng.random(n_leads) < 0.5
    lfirst = np.where(lg, np.array(_FEMALE)[rng.integers(0, len(_FEMALE), n_leads)],
                      np.array(_MALE)[rng.integers(0, len(_MALE), n_leads)])
    llast = np.array(_LAST)[rng.integers(0, len(_LAST), n_leads)]
    lcity = rng.choice(len(_CITIES), size=n_leads, p=city_w / city_w.sum())
    lead_days = rng.integers(0, len(days), n_leads).astype("timedelta64[D]")
    leads = pd.DataFrame({
        "lead_id": id_base + 10 * (n + n_second) + np.arange(n_leads),
        "contact_date": (np.datetime64(start, "D") + lead_days).astype("datetime64[s]"),
        "name": np.char.add(np.char.add(lfirst, " "), llast),
        "email": np.char.add(np.char.lower(np.char.add(np.char.add(lfirst, "_"), llast)),
                             "@gmail.com"),
        "phone": _mobile_numbers(rng, n_leads),
        "city": np.array([c[0] for c in _CITIES])[lcity],
        "region": np.array([c[1] for c in _CITIES])[lcity],
        "source": np.array(["web form", "exhibition", "phone enquiry", "social media"])[
            rng.integers(0, 4, n_leads)],
    })
    n_susp = int(P["suspects_per_customer"] * n)
    scity = rng.choice(len(_CITIES), size=n_susp, p=city_w / city_w.sum())
    suspects = pd.DataFrame({
        "suspect_id": id_base + 20 * (n + n_second) + np.arange(n_susp),
        "city": np.array([c[0] for c in _CITIES])[scity],
        "region": np.array([c[1] for c in _CITIES])[scity],
        "age": np.clip(np.round(rng.normal(40, 14, n_susp)), 18, 85).astype(int),
        "gender": np.where(rng.random(n_susp) < 0.5, "female", "male"),
    })

    # --- invoices and lines, with dirt --------------------------------------------------
    D = P["dirt"]
    lines = {
        "ev": l_ev, "product": l_prod, "quantity": qty, "unit_price": unit_price,
    }
    # anonymous invoices: walk-in sales without a customer id
    n_anon = int(D["anonymous_invoice_share"] * n_ev)
    anon_op = rng.uniform(0, horizon, n_anon)
    anon_date = _to_calendar(anon_op, op_edges, start, rng)
    anon_lines = rng.poisson(2.0, n_anon) + 1
    a_ev = np.repeat(np.arange(n_anon), anon_lines)
    a_prod = rng.choice(len(products), size=len(a_ev), p=np.repeat(popularity, 4) / (
        4 * popularity.sum()))
    a_qty = rng.integers(1, 4, len(a_ev))
    a_price = products["list_price"].to_numpy()[a_prod]
    # extra lines on real invoices: free items, non-product charges, lines later cancelled
    def pick(share):
        return np.sort(rng.choice(n_ev, size=int(share * n_ev), replace=False))

    free_ev = pick(D["free_line_invoice_share"])
    post_ev = pick(D["postage_invoice_share"])
    bank_ev = pick(D["bank_charge_invoice_share"])
    man_ev = pick(D["manual_invoice_share"])
    # returns, each exactly cancelling quantities planted for it, so that cleaning gives
    # back the simulated purchases: whole extra lines returned, one return split across
    # two purchases, part of a real line returned (the line recorded with more), some
    # returns recorded under the person's other customer id. A return comes before the
    # customer's next purchase, so the latest purchase it finds is the one it cancels.
    last_moment = np.datetime64(end + pd.Timedelta(hours=23), "s")
    ev_date_s = ev_date.astype("datetime64[s]")
    same_next = np.r_[ev_cust[1:] == ev_cust[:-1], False]
    next_date = np.where(same_next, np.r_[ev_date_s[1:], ev_date_s[-1:]], last_moment)
    owned = set(zip(l_ev.tolist(), l_prod.tolist()))
    busy = np.zeros(n_ev + 1, dtype=bool)

    def free_events(share, pairs=False):
        ok = ~busy[:n_ev] & (same_next if pairs else True)
        if pairs:
            ok &= ~busy[1:n_ev + 1]
        chosen = rng.permutation(np.flatnonzero(ok))[:int(share * n_ev)]
        chosen = np.sort(chosen)
        if pairs:  # a pair's second event is no other pair's first
            chosen = chosen[np.r_[True, np.diff(chosen) > 1]]
        busy[chosen] = True
        if pairs:
            busy[chosen + 1] = True
        return chosen

    def fresh_product(*events):
        prod = rng.integers(0, len(products), len(events[0]))
        for _ in range(8):
            clash = np.array([any((int(e[i]), int(prod[i])) in owned for e in events)
                              for i in range(len(prod))], dtype=bool)
            if not clash.any():
                break
            prod[clash] = rng.integers(0, len(products), int(clash.sum()))
        return prod, ~clash if len(prod) else np.zeros(0, bool)

    def return_date(after, before):
        gap = rng.integers(3600, 14 * 86400, len(after)).astype("timedelta64[s]")
        latest = np.minimum(before - np.timedelta64(1, "s"), last_moment)
        return np.maximum(after, np.minimum(after + gap, latest))

    list_price = products["list_price"].to_numpy()
    # whole extra lines, returned
    whole_ev = free_events(D["cancelled_line_invoice_share"])
    whole_prod, ok = fresh_product(whole_ev)
    whole_ev, whole_prod = whole_ev[ok], whole_prod[ok]
    whole_qty = rng.integers(1, 6, len(whole_ev))
    # one return split across two purchases (latest first takes both)
    split_ev = free_events(D["split_return_share"], pairs=True)
    split_prod, ok = fresh_product(split_ev, split_ev + 1)
    split_ev, split_prod = split_ev[ok], split_prod[ok]
    q1, q2 = rng.integers(1, 4, len(split_ev)), rng.integers(1, 4, len(split_ev))
    # part of a real line returned: the line is recorded with the returned units added
    part_ev = free_events(D["partial_return_share"])
    first_line = np.searchsorted(l_ev, part_ev)
    part_qty = rng.integers(1, 4, len(part_ev))
    qty_recorded = qty.copy()
    qty_recorded[first_line] += part_qty

    extra_ev = np.r_[whole_ev, split_ev, split_ev + 1]
    extra_prod = np.r_[whole_prod, split_prod, split_prod]
    extra_qty = np.r_[whole_qty, q1, q2]
    ret_src = np.r_[whole_ev, split_ev + 1, part_ev]  # the purchase event each return follows
    ret_prod = np.r_[whole_prod, split_prod, l_prod[first_line]]
    ret_qty = np.r_[whole_qty, q1 + q2, part_qty]
    ret_price = np.r_[list_price[whole_prod], list_price[split_prod],
                      unit_price[first_line]]
    ret_date = return_date(ev_date_s[ret_src], next_date[ret_src])
    # some returns are recorded under the person's other customer id
    person = ev_cust[ret_src]
    other = np.where(ev_cid[ret_src] == cust_ids[person], second_of[person], cust_ids[person])
    under_other = (second_of[person] >= 0) & (rng.random(len(ret_src))
                                               < D["return_under_other_id_share"])
    ret_cid = np.where(under_other, other, ev_cid[ret_src])
    n_ret = len(ret_src)

    # invoice table: real, anonymous and return invoices, numbered by date
    inv_date = np.r_[ev_date_s, anon_date.astype("datetime64[s]"), ret_date]
    inv_cid = np.r_[ev_cid.astype(float), np.full(n_anon, np.nan), ret_cid.astype(float)]
    inv_channel = np.r_[ev_channel, rng.integers(0, 2, n_anon), ev_channel[ret_src]]
    inv_region = np.r_[regions[ev_cust], regions[rng.integers(0, n, n_anon)],
                       regions[ev_cust[ret_src]]]
    inv_cancel = np.r_[np.zeros(n_ev + n_anon, bool), np.ones(n_ret, bool)]
    inv_order = np.lexsort((np.arange(len(inv_date)), inv_date))
    inv_number = np.empty(len(inv_date), dtype=np.int64)
    inv_number[inv_order] = invoice_base + np.arange(len(inv_date))
    inv_id = np.where(inv_cancel, np.char.add("C", inv_number.astype(str)),
                      inv_number.astype(str))

    def block(inv, prod_idx, quantity, price, pid=None, desc=None):
        m = len(inv)
        return {
            "inv": inv,
            "product_id": products["product_id"].to_numpy()[prod_idx] if pid is None
            else np.full(m, pid, dtype=object),
            "description": products["description"].to_numpy()[prod_idx] if desc is None
            else np.full(m, desc, dtype=object),
            "category": products["category"].to_numpy()[prod_idx] if pid is None
            else np.full(m, None, dtype=object),
            "brand": products["brand"].to_numpy()[prod_idx] if pid is None
            else np.full(m, None, dtype=object),
            "quantity": np.asarray(quantity, dtype=np.int64),
            "unit_price": np.asarray(price, dtype=float),
        }

    zero = np.zeros(0, dtype=np.int64)
    free_prod = rng.integers(0, len(products), len(free_ev))
    blocks = [
        block(lines["ev"], lines["product"], qty_recorded, lines["unit_price"]),
        block(n_ev + a_ev, a_prod, a_qty, a_price),
        block(free_ev, free_prod, np.ones(len(free_ev)), np.zeros(len(free_ev))),
        block(post_ev, zero[:0], np.ones(len(post_ev)),
              np.round(rng.uniform(3, 15, len(post_ev)), 2), "POST", NON_PRODUCT_CODES["POST"]),
        block(bank_ev, zero[:0], np.ones(len(bank_ev)),
              np.round(rng.uniform(1, 20, len(bank_ev)), 2), "BANK CHARGES",
              NON_PRODUCT_CODES["BANK CHARGES"]),
        block(man_ev, zero[:0], np.ones(len(man_ev)),
              np.round(rng.uniform(1, 50, len(man_ev)), 2), "ADJUST", NON_PRODUCT_CODES["ADJUST"]),
        block(extra_ev, extra_prod, extra_qty, list_price[extra_prod]),
        block(n_ev + n_anon + np.arange(n_ret), ret_prod, -ret_qty, ret_price),
    ]
    frame = {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}
    inv = frame.pop("inv")
    tx = pd.DataFrame({
        "invoice_id": inv_id[inv],
        "customer_id": pd.array(inv_cid[inv], dtype="Int64"),
        "date": inv_date[inv],
        **frame,
        "channel": channel_names[inv_channel[inv]],
        "country": "Iran",
        "region": inv_region[inv],
    })
    dup = rng.choice(len(tx), size=int(D["duplicate_line_share"] * len(tx)), replace=False)
    tx = pd.concat([tx, tx.iloc[dup]], ignore_index=True)
    tx = tx.sort_values(["date", "invoice_id"], kind="stable", ignore_index=True)
    for col in ("invoice_id", "product_id", "description", "category", "brand", "channel",
                "country", "region"):
        tx[col] = tx[col].astype("string")

    subscriptions, subscribers = _subscriptions(rng, P["subscriptions"], cust_ids, gender,
                                                wholesale, first_date, end)

    # --- truth -----------------------------------------------------------------------------
    last_purchase = ev_date[np.r_[np.flatnonzero(np.diff(ev_cust)), n_ev - 1]]
    truth_customers = pd.DataFrame({
        "person_id": cust_ids,
        "second_customer_id": pd.Series(second_of).where(second_of >= 0).astype("Int64"),
        "customer_type": seg,
        "loyalty_type": np.array(_LOYALTY)[loyalty],
        "favourite_brand": np.array(cat.BRANDS)[fav],
        "second_brand": np.array(cat.BRANDS)[second],
        "lambda_per_day": lam,
        "p_dropout": p_drop,
        "nu": nu,
        "expected_spend": gg["p"] / nu,
        "first_purchase": first_date,
        "last_purchase": last_purchase,
        "n_repeat": n_repeat,
        "alive": alive,
        "n_complaints": n_comp,
        "demanding": demanding,
        # shifting customers: purchases made before they switched brands (a switch after
        # the last purchase leaves them looking hard-core in the data)
        "purchases_before_switch": pd.Series(
            np.bincount(ev_cust, weights=ev_op < switch_at[ev_cust], minlength=n).astype(int)
        ).where(loyalty == _LOYALTY.index("shifting")).astype("Int64"),
    })
    identity = pd.DataFrame({
        "customer_id": np.r_[cust_ids, second_of[sec]],
        "person_id": np.r_[cust_ids, cust_ids[sec]],
    })
    rules = cat.planted_rules()
    # support, confidence and lift of each rule over the simulated purchase baskets
    # (product-type level, before dirt), for comparison with mined rules
    ante = has_type[:, [type_index[a] for a in rules["antecedent"]]]
    cons = has_type[:, [type_index[c] for c in rules["consequent"]]]
    both = (ante & cons).mean(axis=0)
    rules["support"] = both
    rules["confidence"] = both / ante.mean(axis=0)
    rules["lift"] = rules["confidence"] / cons.mean(axis=0)
    truth = {"params": {**P, "covariate_effects": planted_covariate_effects(P),
                        "start": str(start.date()), "end": str(end.date()),
                        "purchase_lines": int(len(l_ev)), "purchase_quantity": int(qty.sum())},
             "customers": truth_customers, "identity": identity, "rules": rules,
             "subscribers": subscribers, "campaign": campaign_truth}
    # the campaign's average effect over the customers it targeted (the effect itself
    # differs from customer to customer: truth["campaign"])
    truth["params"]["campaign"] = {**P["campaign"],
                                   "average_uplift": float(campaign_truth["true_uplift"].mean())}
    return CRMData(
        transactions=tx,
        customers=customers,
        contacts=contacts,
        surveys=surveys,
        campaigns=campaigns,
        leads=leads,
        suspects=suspects,
        catalogue=products,
        subscriptions=subscriptions,
        truth=truth,
    )


def _subscriptions(rng, params: dict, cust_ids, gender, wholesale, first_date,
                   end: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The membership plan's subscribers (see the module): the canonical
    ``subscriptions`` table, and the truth behind it (theta, lifetime in months).

    Drawn after every other table, so that they are the same with or without it.
    """
    n = len(cust_ids)
    contracts = params["contracts"]
    names = list(contracts)
    takes = np.flatnonzero(rng.random(n) < params["share_of_customers"])
    kind = rng.choice(len(names), size=len(takes), p=[contracts[c]["share"] for c in names])
    alpha = np.array([contracts[c]["alpha"] for c in names])[kind]
    beta = np.array([contracts[c]["beta"] for c in names])[kind]
    theta = rng.beta(alpha, beta)
    lifetime = rng.geometric(theta)  # months until the subscriber leaves: 1, 2, ...
    # joined in the month of their first purchase or some months later (a third of those
    # still to join each month); months completed by the end of the window
    end_month = end.year * 12 + end.month - 1
    first = pd.DatetimeIndex(first_date[takes])
    first_month = first.year.to_numpy() * 12 + first.month.to_numpy() - 1
    joined = np.minimum(first_month + rng.geometric(params["join_rate"], len(takes)) - 1,
                        end_month)
    available = (end_month - joined).astype(np.int64)
    churned = lifetime <= available
    tenure = np.minimum(lifetime, available)
    charge = np.array([contracts[c]["monthly_charge"] for c in names])[kind]
    # add-ons (a second address, express delivery) on top of the plan's price
    monthly = np.round(charge * (1 + rng.gamma(1.5, 0.2, len(takes))), 2)
    # the price changed a little over the months: the total is not exactly tenure x charge
    total = np.round(monthly * tenure * rng.uniform(0.95, 1.02, len(takes)), 2)
    table = pd.DataFrame({
        "customer_id": cust_ids[takes],
        "gender": pd.array(np.where(wholesale[takes], None, gender[takes]), dtype="string"),
        "contract": pd.array(np.array(names)[kind], dtype="string"),
        "tenure": tenure.astype(np.int64),
        "monthly_charges": monthly,
        # nothing billed yet to a subscriber of less than a month
        "total_charges": pd.Series(total).where(tenure > 0).to_numpy(),
        "churned": churned,
    })
    truth = pd.DataFrame({"customer_id": table["customer_id"], "contract": table["contract"],
                          "theta": theta, "lifetime_months": lifetime.astype(np.int64),
                          "joined": pd.PeriodIndex.from_ordinals(
                              joined - 1970 * 12, freq="M").to_timestamp()})
    return table, truth


def _check_args(n_customers: int, start, end) -> tuple[pd.Timestamp, pd.Timestamp]:
    if int(n_customers) < 1:
        raise ValueError(f"n_customers must be at least 1, got {n_customers}")
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if end - start < pd.Timedelta(days=60):
        raise ValueError(f"the window {start.date()} to {end.date()} is shorter than 60 days")
    return start, end


def make_crm_data(
    n_customers: int = 5000,
    start: str = "2024-01-01",
    end: str = "2025-12-31",
    seed: int = 42,
    seasonal: bool = True,
) -> CRMData:
    """Simulate a shop's CRM tables with planted, known truth.

    Parameters
    ----------
    n_customers : int
        Number of people who bought at least once (some of them also appear
        under a second customer id).
    start, end : str or Timestamp
        The observation window (inclusive dates).
    seed : int
        Seed of the random generator: the same seed gives identical tables.
    seasonal : bool
        Vary purchase intensity by month and weekday. The BG/NBD truth is
        planted in "operational" time that the seasons stretch and squeeze;
        with ``seasonal=False`` calendar time is operational time, so a model
        fitted on calendar dates is exactly the planted one (for recovery tests).

    Returns
    -------
    CRMData
        The tables, dirt included, and ``truth`` (see :class:`CRMData`).

    Examples
    --------
    >>> data = make_crm_data(200, seed=1)
    >>> data.truth["params"]["bgnbd"]["retail"]["r"]
    0.9
    >>> bool(data.transactions["invoice_id"].str.startswith("C").any())
    True
    """
    start, end = _check_args(n_customers, start, end)
    rng = np.random.default_rng([seed, 0])
    return _simulate(int(n_customers), start, end, rng, id_base=10_000,
                     invoice_base=100_000, truth_params=DEFAULT_TRUTH, seasonal=seasonal)


def write_large_crm_data(
    n_customers: int,
    out_dir: str | Path,
    start: str = "2024-01-01",
    end: str = "2025-12-31",
    seed: int = 42,
    chunk_size: int = 50_000,
    overwrite: bool = False,
    progress=None,
) -> Path:
    """Write a large synthetic data set to partitioned Parquet, chunk by chunk.

    Each chunk of ``chunk_size`` customers is simulated and written as
    ``<table>/part-NNNNN.parquet`` before the next starts, so memory stays
    bounded by one chunk whatever ``n_customers`` is. The first chunk equals
    ``make_crm_data(chunk_size, start, end, seed)``.

    Parameters
    ----------
    n_customers : int
        Total number of customers (1,000,000 gives about 50 million lines).
    out_dir : str or Path
        Folder to create; written whole or not at all.
    start, end, seed
        As in :func:`make_crm_data`.
    chunk_size : int
        Customers per chunk.
    overwrite : bool
        Replace ``out_dir`` if it exists.
    progress : callable, optional
        Called with (chunk index, number of chunks, lines written so far).

    Returns
    -------
    Path
        The folder written.
    """
    start, end = _check_args(n_customers, start, end)
    n_chunks = -(-int(n_customers) // chunk_size)

    def fill(tmp: Path) -> None:
        lines = 0
        for i in range(n_chunks):
            size = min(chunk_size, int(n_customers) - i * chunk_size)
            rng = np.random.default_rng([seed, i])
            data = _simulate(size, start, end, rng, id_base=10_000 + i * 40 * chunk_size,
                             invoice_base=100_000 + i * 100_000_000, truth_params=DEFAULT_TRUTH)
            part = f"part-{i:05d}"
            for name, table in data.tables.items():
                if name == "catalogue":
                    if i == 0:
                        table.to_parquet(tmp / "catalogue.parquet", index=False)
                    continue
                (tmp / name).mkdir(exist_ok=True)
                table.to_parquet(tmp / name / f"{part}.parquet", index=False)
            _write_truth(data.truth, tmp / "truth", part)
            lines += len(data.transactions)
            del data
            if progress is not None:
                progress(i + 1, n_chunks, lines)

    return write_folder(Path(out_dir), fill, overwrite)


def simulate_summaries(
    n_customers: int,
    bgnbd: dict | None = None,
    gamma_gamma: dict | None = None,
    max_age_days: int = 730,
    seed: int = 0,
    covariates: bool = False,
) -> pd.DataFrame:
    """Customer summaries drawn straight from the BG/NBD and Gamma-Gamma processes.

    For benchmarks and model tests at sizes where simulating every line would
    be slow: each customer's age ``T`` is a whole number of days, uniform up to
    ``max_age_days``; repeat purchases arrive at rate λ ~ Gamma(r, α) and the
    customer drops out after each with probability p ~ Beta(a, b); each
    purchase's spend is Gamma(p, ν) with ν ~ Gamma(q, γ). Recency is floored to
    whole days like a summary of dated lines. Defaults are the retail truth of
    :data:`DEFAULT_TRUTH`.

    With ``covariates``, each customer also has a ``customer_type`` (wholesale with the
    planted share) and an ``acquisition_channel``, whose planted effects
    (:func:`planted_covariate_effects`) scale their purchase rate, dropout and spend.

    Returns
    -------
    pandas.DataFrame
        ``frequency``, ``recency``, ``T`` (days) and ``monetary_value``.
    """
    bg = dict(bgnbd or DEFAULT_TRUTH["bgnbd"]["retail"])
    gg = dict(gamma_gamma or DEFAULT_TRUTH["gamma_gamma"]["retail"])
    rng = np.random.default_rng([seed, 7])
    n = int(n_customers)
    extra = {}
    if covariates:
        other = np.random.default_rng([seed, 8])
        kind = np.where(other.random(n) < DEFAULT_TRUTH["wholesale_share"], "wholesale",
                        "retail")
        channel = np.array(_ACQUISITION)[other.choice(len(_ACQUISITION), size=n, p=_ACQ_P)]
        effects = planted_covariate_effects()
        for process, name, sign, params in (("purchase", "alpha", -1, bg),
                                            ("dropout", "a", 1, bg),
                                            ("spend", "gamma", 1, gg)):
            e = effects[process]
            total = (np.where(kind == "wholesale", e["customer_type=wholesale"], 0.0)
                     + pd.Series({k.split("=", 1)[1]: v for k, v in e.items()
                                  if k.startswith("acquisition_channel=")})
                     .reindex(channel).fillna(0.0).to_numpy())
            params[name] = params[name] * np.exp(sign * total)
        extra = {"customer_type": kind, "acquisition_channel": channel}
    T = rng.integers(1, max_age_days + 1, n).astype(float)
    lam = rng.gamma(bg["r"], 1.0 / bg["alpha"], n)
    p_drop = rng.beta(bg["a"], bg["b"], n)
    arrivals = rng.poisson(lam * T)
    x = np.minimum(arrivals, rng.geometric(p_drop))
    # the last kept purchase is the x-th of `arrivals` uniform times on (0, T)
    last = np.where(x > 0, rng.beta(np.maximum(x, 1), np.maximum(arrivals - x + 1, 1)), 0.0)
    recency = np.minimum(np.floor(last * T), T)
    nu = rng.gamma(gg["q"], 1.0 / gg["gamma"], n)
    spend = np.where(x > 0, rng.gamma(gg["p"] * np.maximum(x, 1), 1.0) / nu / np.maximum(x, 1),
                     0.0)
    return pd.DataFrame({"frequency": x, "recency": recency, "T": T, "monetary_value": spend,
                         **extra})
