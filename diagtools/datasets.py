"""Demo datasets with planted, known problems; generated locally, no network.

Three sets:

* **loans** (:func:`load_loans`): binary classification of loan defaults, a 20,000-row
  ``reference`` window (training / benchmark data) and a 10,000-row ``current`` window
  (production data, labelled). Planted problems are listed in :data:`LOANS_TRUTH`.
* **housing** (:func:`load_housing`): regression of sale prices.
* **intents** (:func:`load_intents`): short customer-support messages, 20 intents.
* **banking77** (:func:`load_banking77`): real customer-support messages (20 intents of the
  Banking77 data set, CC BY 4.0), shipped as a small file in ``data/``.

Every loader is deterministic: the same call returns the same frame on every machine.
The files in the repository's ``data/`` folder are these frames written to CSV by
``data/generate.py``; a test checks that they stay identical.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from diagtools._validation import check_option

__all__ = [
    "LOANS_TRUTH",
    "LoansTruth",
    "load_banking77",
    "load_housing",
    "load_intents",
    "load_loans",
    "make_loans",
]

Window = Literal["reference", "current"]
WINDOWS = ("reference", "current")


@dataclass(frozen=True)
class LoansTruth:
    """Ground truth of the problems planted in the loans demo data.

    Attributes
    ----------
    target : str
        Name of the label column (1 = the loan defaulted).
    slice : dict
        The two-column slice whose labels carry heavy noise (``label_noise`` of them flipped).
    label_noise : float
        Share of labels flipped inside the slice, in both windows.
    drifted_columns : tuple of str
        Columns whose distribution differs between the reference and current windows.
    new_category : tuple of (str, str)
        A category present in ``current`` and absent from ``reference``.
    bias_column, bias_group : str
        With ``make_loans(..., plant_bias=True)``: a sensitive column (not a model input) and the
        group whose recorded ``credit_score`` is ``bias_score_shift`` points lower than the score
        that drives its defaults (measurement bias), so a model using the score over-predicts
        defaults for that group: more denials and more false alarms at equal true risk.
    bias_share : float
        Share of rows in ``bias_group``.
    bias_score_shift : int
        Points taken off the recorded credit score of ``bias_group``.
    numeric_columns, categorical_columns : tuple of str
        The feature columns by type.
    """

    target: str = "defaulted"
    slice: dict[str, str] = field(default_factory=lambda: {"region": "north", "channel": "phone"})
    label_noise: float = 0.4
    drifted_columns: tuple[str, ...] = ("income", "credit_score", "purpose")
    new_category: tuple[str, str] = ("purpose", "crypto")
    numeric_columns: tuple[str, ...] = (
        "age",
        "income",
        "loan_amount",
        "credit_score",
        "debt_to_income",
        "employment_years",
    )
    categorical_columns: tuple[str, ...] = ("region", "channel", "home_ownership", "purpose")
    bias_column: str = "sex"
    bias_group: str = "female"
    bias_share: float = 0.45
    bias_score_shift: int = 45

    @property
    def feature_columns(self) -> tuple[str, ...]:
        """All feature columns, numeric first."""
        return self.numeric_columns + self.categorical_columns


LOANS_TRUTH = LoansTruth()

_REGIONS = (["north", "south", "east", "west", "central"], [0.22, 0.25, 0.20, 0.20, 0.13])
_CHANNELS = (["branch", "online", "phone", "partner"], [0.35, 0.35, 0.20, 0.10])
_HOMES = (["rent", "own", "mortgage"], [0.40, 0.25, 0.35])
_PURPOSES = (["car", "home", "education", "business", "debt_consolidation"], [0.25, 0.20, 0.15, 0.15, 0.25])
_PURPOSE_RISK = {"car": 0.0, "home": -0.3, "education": 0.1, "business": 0.4, "debt_consolidation": 0.3, "crypto": 0.9}


def make_loans(
    n_rows: int = 20_000,
    *,
    window: Window = "reference",
    random_state: int = 0,
    plant_slice: bool = True,
    plant_drift: bool = True,
    plant_bias: bool = False,
) -> pd.DataFrame:
    """Generate loan applications with a binary ``defaulted`` label.

    Parameters
    ----------
    n_rows : int, default=20_000
        Number of applications.
    window : {"reference", "current"}, default="reference"
        ``"current"`` applies the planted drift (when ``plant_drift``): higher incomes, lower
        credit scores and a new loan purpose ``"crypto"``.
    random_state : int, default=0
        Seed; the same arguments always give the same frame.
    plant_slice : bool, default=True
        Flip ``LOANS_TRUTH.label_noise`` of the labels in the slice ``LOANS_TRUTH.slice``.
    plant_drift : bool, default=True
        Apply the drift of the current window. Without it both windows share one distribution.
    plant_bias : bool, default=False
        Add the sensitive column ``LOANS_TRUTH.bias_column`` and plant a measurement bias against
        ``LOANS_TRUTH.bias_group`` (see :class:`LoansTruth`); the other columns and the labels are
        those of ``plant_bias=False``, except the recorded credit score of that group.

    Returns
    -------
    pandas.DataFrame
        One row per application: the numeric and categorical columns of ``LOANS_TRUTH``
        and the target ``defaulted`` (0/1).

    Examples
    --------
    >>> from diagtools.datasets import make_loans
    >>> df = make_loans(1_000, random_state=1)
    >>> df.shape
    (1000, 11)
    """
    check_option(window, WINDOWS, "window")
    rng = np.random.default_rng([random_state, WINDOWS.index(window)])
    drifted = plant_drift and window == "current"

    age = np.clip(rng.normal(42, 12, n_rows), 18, 80).round().astype(int)
    log_income = rng.normal(np.log(55.0) + (0.25 if drifted else 0.0), 0.45, n_rows)
    income = np.round(np.exp(log_income), 1)
    loan_amount = np.round(np.exp(rng.normal(np.log(15.0), 0.6, n_rows)), 1)
    credit_score = np.clip(rng.normal(645 if drifted else 680, 60, n_rows), 300, 850).round().astype(int)
    debt_to_income = np.round(rng.beta(2, 5, n_rows), 3)
    employment_years = np.round(np.minimum(age - 18, rng.gamma(2.0, 4.0, n_rows)), 1)

    region = rng.choice(_REGIONS[0], size=n_rows, p=_REGIONS[1])
    channel = rng.choice(_CHANNELS[0], size=n_rows, p=_CHANNELS[1])
    home = rng.choice(_HOMES[0], size=n_rows, p=_HOMES[1])
    purposes, weights = list(_PURPOSES[0]), list(_PURPOSES[1])
    if drifted:
        purposes.append(LOANS_TRUTH.new_category[1])
        weights = [w * 0.92 for w in weights] + [0.08]
    purpose = rng.choice(purposes, size=n_rows, p=weights)

    # Default risk: a smooth function of the features (the Bayes error stays well above 0,
    # so an unconstrained tree memorises noise and overfits).
    logit = (
        -1.1
        - 0.014 * (credit_score - 680)
        + 4.0 * (debt_to_income - 0.28)
        + 0.9 * np.log(loan_amount / income * 4.0)
        - 0.05 * (employment_years - 7)
        + 0.0009 * (age - 42) ** 2
        + np.where(home == "rent", 0.35, np.where(home == "own", -0.25, 0.0))
        + np.vectorize(_PURPOSE_RISK.__getitem__)(purpose)
    )
    y = (rng.random(n_rows) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    if plant_slice:
        in_slice = np.ones(n_rows, dtype=bool)
        for col, value in LOANS_TRUTH.slice.items():
            in_slice &= {"region": region, "channel": channel}[col] == value
        flip = in_slice & (rng.random(n_rows) < LOANS_TRUTH.label_noise)
        y = np.where(flip, 1 - y, y)

    extra: dict[str, np.ndarray] = {}
    if plant_bias:
        # drawn after every other draw, so the other columns stay as without the bias
        t = LOANS_TRUTH
        other = "male" if t.bias_group == "female" else "other"
        group = np.where(rng.random(n_rows) < t.bias_share, t.bias_group, other)
        # the defaults above follow the true score; the record understates it for one group
        credit_score = np.where(group == t.bias_group, np.clip(credit_score - t.bias_score_shift, 300, 850), credit_score)
        extra[t.bias_column] = group

    return pd.DataFrame(
        {
            "age": age,
            "income": income,
            "loan_amount": loan_amount,
            "credit_score": credit_score,
            "debt_to_income": debt_to_income,
            "employment_years": employment_years,
            "region": region,
            "channel": channel,
            "home_ownership": home,
            "purpose": purpose,
            **extra,
            LOANS_TRUTH.target: y,
        }
    )


def load_loans(window: Window = "reference") -> pd.DataFrame:
    """Load one window of the loans demo data (planted problems in :data:`LOANS_TRUTH`).

    Parameters
    ----------
    window : {"reference", "current"}, default="reference"
        ``"reference"``: 20,000 rows the model is trained and benchmarked on.
        ``"current"``: 10,000 later rows, drifted, with labels.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> from diagtools.datasets import load_loans
    >>> load_loans("current").shape
    (10000, 11)
    """
    check_option(window, WINDOWS, "window")
    n_rows = 20_000 if window == "reference" else 10_000
    return make_loans(n_rows, window=window, random_state=0)


def load_housing(n_rows: int = 5_000, *, random_state: int = 0) -> pd.DataFrame:
    """Load the housing regression demo set: sale price (thousands) from house features.

    The noise grows with the price (heteroscedastic), so residual plots show a funnel.

    Parameters
    ----------
    n_rows : int, default=5_000
    random_state : int, default=0

    Returns
    -------
    pandas.DataFrame
        Columns ``area_m2, rooms, age_years, distance_km, neighbourhood, condition, price_k``.

    Examples
    --------
    >>> from diagtools.datasets import load_housing
    >>> load_housing().columns[-1]
    'price_k'
    """
    rng = np.random.default_rng([random_state, 7])
    area = np.round(np.clip(rng.normal(95, 35, n_rows), 25, 400), 1)
    rooms = np.clip(np.round(area / 25 + rng.normal(0, 0.8, n_rows)), 1, 12).astype(int)
    age_years = np.round(rng.uniform(0, 100, n_rows)).astype(int)
    distance = np.round(rng.gamma(2.0, 4.0, n_rows), 2)
    hood = rng.choice(["old_town", "harbour", "suburbs", "university", "industrial"], n_rows, p=[0.15, 0.15, 0.4, 0.15, 0.15])
    condition = rng.choice(["poor", "fair", "good", "excellent"], n_rows, p=[0.1, 0.3, 0.45, 0.15])
    hood_effect = pd.Series(hood).map({"old_town": 1.35, "harbour": 1.25, "suburbs": 1.0, "university": 1.1, "industrial": 0.8}).to_numpy()
    cond_effect = pd.Series(condition).map({"poor": 0.8, "fair": 0.93, "good": 1.0, "excellent": 1.15}).to_numpy()
    price = 3.2 * area * hood_effect * cond_effect * np.exp(-0.02 * distance) * (1 - 0.002 * age_years) + 8 * rooms
    price = price * np.exp(rng.normal(0, 0.12, n_rows))
    return pd.DataFrame(
        {
            "area_m2": area,
            "rooms": rooms,
            "age_years": age_years,
            "distance_km": distance,
            "neighbourhood": hood,
            "condition": condition,
            "price_k": np.round(price, 1),
        }
    )


_INTENTS: dict[str, list[str]] = {
    "card_lost": ["I lost my {card} card", "my {card} card is missing", "can't find my card, I think I lost it {when}", "please block my lost {card} card"],
    "card_activation": ["how do I activate my new {card} card", "activate my card please", "my new card arrived {when}, how to activate it", "the {card} card activation isn't working"],
    "card_declined": ["my card was declined at {merchant}", "why was my {card} card declined {when}", "payment refused at {merchant}", "card keeps getting declined"],
    "transfer_failed": ["my transfer of {amount} failed", "the transfer to {country} did not go through", "why did my bank transfer fail {when}", "transfer of {amount} bounced back"],
    "transfer_fee": ["how much is the fee for a transfer to {country}", "why was I charged a fee on my transfer of {amount}", "transfer fees to {country}?", "what do transfers cost"],
    "balance_inquiry": ["what's my balance", "how much money is in my account", "show me my current balance {when}", "check balance please"],
    "exchange_rate": ["what is the exchange rate for {currency}", "how much is {amount} in {currency}", "rate to convert to {currency} {when}", "why was the {currency} exchange rate so bad"],
    "atm_withdrawal": ["the ATM didn't give me my {amount}", "cash withdrawal failed at the ATM {when}", "ATM took my money but no cash", "withdrew {amount} but got less"],
    "refund_request": ["I want a refund from {merchant}", "how do I get my money back from {merchant}", "refund for {amount} not received", "requesting a refund for a purchase {when}"],
    "change_pin": ["how can I change my PIN", "I want a new PIN for my {card} card", "reset my PIN please", "forgot my PIN {when}"],
    "update_address": ["I moved, how do I change my address", "update my home address", "new address, please update it", "change the address on my account"],
    "close_account": ["I want to close my account", "how do I delete my account", "please close my account {when}", "cancel my account"],
    "open_account": ["how do I open an account", "I want to open a new account for my business", "can I open a joint account", "open a savings account please"],
    "loan_application": ["I want to apply for a loan of {amount}", "can I borrow {amount}", "what are the requirements for a loan", "status of my loan application"],
    "overdraft_fee": ["why was I charged an overdraft fee", "overdraft fee of {amount} on my account", "remove the overdraft charge please", "I went into overdraft {when}, why the fee"],
    "direct_debit_cancel": ["cancel the direct debit to {merchant}", "stop the direct debit please", "how do I cancel a direct debit", "remove direct debit payments to {merchant}"],
    "top_up_failed": ["my top up of {amount} failed", "top up didn't work {when}", "couldn't top up with my {card} card", "why did my top-up fail"],
    "statement_request": ["I need a bank statement for {when}", "send me my statement", "how do I download my statements", "statement for the last three months please"],
    "fraud_report": ["there is a payment to {merchant} I didn't make", "someone used my {card} card without permission", "I think my account was hacked", "unknown transaction of {amount}"],
    "contact_support": ["how can I talk to a human", "I need to speak to customer support", "what is your phone number", "can someone call me {when}"],
}
_SLOTS = {
    "card": ["visa", "mastercard", "debit", "credit", "virtual", "metal"],
    "when": ["yesterday", "today", "last week", "this morning", "two days ago", "on Monday"],
    "merchant": ["Amazon", "the supermarket", "a petrol station", "Netflix", "the airline", "a restaurant", "Uber"],
    "amount": ["$20", "$100", "50 euros", "£250", "$1,000", "300 dollars"],
    "country": ["Germany", "the US", "Spain", "India", "Brazil", "Japan"],
    "currency": ["euros", "dollars", "yen", "pounds", "rupees"],
}


def load_intents(n_per_intent: int = 150, *, random_state: int = 0) -> pd.DataFrame:
    """Load the customer-support intent demo set: short messages labelled with 20 intents.

    Messages come from a few templates per intent with random slot values (card type,
    merchant, amount, ...), light casing noise and occasional filler words.

    Parameters
    ----------
    n_per_intent : int, default=150
        Messages per intent.
    random_state : int, default=0

    Returns
    -------
    pandas.DataFrame
        Columns ``text`` and ``intent``.

    Examples
    --------
    >>> from diagtools.datasets import load_intents
    >>> df = load_intents()
    >>> df["intent"].nunique()
    20
    """
    rng = np.random.default_rng([random_state, 11])
    fillers = ["", "", "", "hi, ", "hello, ", "please help: ", "urgent: "]
    suffixes = ["", "", "", "?", " thanks", " asap", "!"]
    rows = []
    for intent, templates in _INTENTS.items():
        for _ in range(n_per_intent):
            text = templates[rng.integers(len(templates))]
            for slot, values in _SLOTS.items():
                while "{" + slot + "}" in text:
                    text = text.replace("{" + slot + "}", values[rng.integers(len(values))], 1)
            text = fillers[rng.integers(len(fillers))] + text + suffixes[rng.integers(len(suffixes))]
            if rng.random() < 0.3:
                text = text.lower()
            rows.append((text, intent))
    order = rng.permutation(len(rows))
    return pd.DataFrame([rows[i] for i in order], columns=["text", "intent"])


#: The file :func:`load_banking77` reads (shipped in the repository's ``data/`` folder).
BANKING77_FILE = "banking77_subset.csv.gz"
BANKING77_SPLITS = ("train", "test")


def load_banking77(split: Literal["train", "test"] | None = None) -> pd.DataFrame:
    """Load real customer-support messages: 20 intents of Banking77 with its own train/test split.

    Banking77 (PolyAI; Casanueva et al., *Efficient Intent Detection with Dual Sentence
    Encoders*, 2020) holds online-banking questions written by people, labelled with 77
    intents. This subset keeps 20 of them (card delivery, card problems, PINs, refunds,
    transfers, top-ups, exchange rates, account changes) and the original split: 2,661
    training and 798 test messages. No test message repeats a training message, even after
    lower-casing and collapsing whitespace (the two that did were dropped). Licence: CC BY 4.0;
    attribution and the licence text are in ``data/README.md`` and
    ``data/LICENSE-banking77.txt``.

    Parameters
    ----------
    split : {"train", "test"}, optional
        One split, or both (with a ``split`` column) when None.

    Returns
    -------
    pandas.DataFrame
        Columns ``text``, ``intent`` (and ``split`` when ``split`` is None).

    Raises
    ------
    FileNotFoundError
        When the data file is missing from the installation.

    Examples
    --------
    >>> from diagtools.datasets import load_banking77
    >>> test = load_banking77("test")
    >>> test["intent"].nunique(), len(test)
    (20, 798)
    """
    from pathlib import Path

    if split is not None:
        check_option(split, BANKING77_SPLITS, "split")
    here = Path(__file__).resolve().parent
    # An installed wheel has it in diagtools/data (setup.py maps data/ there); a checkout in data/.
    found = [p for p in (here / "data" / BANKING77_FILE, here.parent / "data" / BANKING77_FILE) if p.exists()]
    if not found:
        raise FileNotFoundError(
            f"{BANKING77_FILE} not found in {here / 'data'} or {here.parent / 'data'}: it ships with diagtools "
            "(data/ in the repository). Reinstall diagtools, or run from a checkout."
        )
    path = found[0]
    frame = pd.read_csv(path, keep_default_na=False, dtype={"text": str, "intent": str, "split": str})
    if split is None:
        return frame
    return frame[frame["split"] == split].drop(columns="split").reset_index(drop=True)
