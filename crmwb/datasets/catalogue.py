"""The synthetic shop's catalogue, planted co-purchase rules and seasonality.

Every product type comes in four brands (A to D, from premium to budget), so
brand choice can show a customer's loyalty type and a category holds cheaper
and dearer items for up-selling.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Brands A-D with their price factors (A is the premium brand).
BRANDS = ("Arman", "Bahar", "Cyrus", "Dena")
BRAND_PRICE_FACTOR = np.array([1.35, 1.1, 0.9, 0.75])

#: Product types: (code, name, category, base price, popularity, season).
#: season: "winter" peaks in Nov-Dec, "summer" peaks in Apr-Aug, "" is flat.
PRODUCT_TYPES = [
    ("CAM", "camera", "photo", 250.0, 0.8, "winter"),
    ("TRI", "tripod", "photo", 30.0, 0.5, ""),
    ("BAG", "camera bag", "photo", 25.0, 0.5, ""),
    ("MEM", "memory card", "photo", 15.0, 0.9, ""),
    ("LEN", "lens", "photo", 180.0, 0.3, "winter"),
    ("BRD", "bread", "bakery", 1.5, 3.5, ""),
    ("CRO", "croissant", "bakery", 2.0, 3.0, ""),
    ("BUT", "butter", "dairy", 3.0, 0.4, ""),
    ("MLK", "milk", "dairy", 1.2, 6.0, ""),
    ("CHE", "cheese", "dairy", 5.0, 4.0, ""),
    ("YOG", "yogurt", "dairy", 1.8, 4.0, "summer"),
    ("COF", "coffee beans", "coffee and tea", 12.0, 2.0, "winter"),
    ("FIL", "coffee filters", "coffee and tea", 3.0, 0.4, ""),
    ("TEA", "tea", "coffee and tea", 6.0, 4.0, "winter"),
    ("MUG", "mug", "coffee and tea", 8.0, 1.5, "winter"),
    ("PAS", "pasta", "pantry", 2.0, 3.0, ""),
    ("SAU", "tomato sauce", "pantry", 2.5, 0.4, ""),
    ("OIL", "olive oil", "pantry", 9.0, 2.5, ""),
    ("RIC", "rice", "pantry", 7.0, 4.0, ""),
    ("PRN", "printer", "office", 120.0, 0.3, ""),
    ("INK", "ink cartridge", "office", 25.0, 0.6, ""),
    ("PAP", "printer paper", "office", 6.0, 1.5, ""),
    ("NTB", "notebook", "office", 3.0, 2.5, ""),
    ("PEN", "pens", "office", 2.0, 2.5, ""),
    ("DET", "detergent", "household", 7.0, 3.0, ""),
    ("SPO", "sponges", "household", 2.0, 2.0, ""),
    ("GAM", "board game", "toys", 30.0, 1.0, "winter"),
    ("CAR", "toy car", "toys", 12.0, 1.5, "winter"),
    ("HOS", "garden hose", "garden", 20.0, 0.8, "summer"),
    ("SEE", "flower seeds", "garden", 3.0, 1.0, "summer"),
]

#: Planted co-purchase rules: when the first type is a basket's main item, the
#: second is added with this probability.
PLANTED_RULES = [
    ("camera", "tripod", 0.45),
    ("camera", "camera bag", 0.50),
    ("camera", "memory card", 0.60),
    ("bread", "butter", 0.55),
    ("coffee beans", "coffee filters", 0.50),
    ("printer", "ink cartridge", 0.65),
    ("printer", "printer paper", 0.50),
    ("pasta", "tomato sauce", 0.50),
]

#: Relative demand by month (January first) for each season profile.
SEASON_MONTH_FACTOR = {
    "": np.ones(12),
    "winter": np.array([0.8, 0.7, 0.8, 0.8, 0.8, 0.8, 0.8, 0.9, 1.0, 1.2, 1.8, 2.4]),
    "summer": np.array([0.4, 0.5, 0.9, 1.4, 1.7, 1.8, 1.8, 1.6, 1.0, 0.7, 0.5, 0.4]),
}

#: Nowruz, planted: the shop is busiest in the weeks before it (15 to 29 Esfand), nearly
#: closed on its official holidays (1 to 4 Farvardin) and quiet until Sizdah Bedar (5 to 13
#: Farvardin); factors multiply the day's intensity of purchases.
NOWRUZ_FACTORS = {"pre_nowruz": 1.8, "closed": 0.05, "holidays": 0.6}
#: Before Nowruz the baskets change: spring cleaning (khaneh-tekani) and gifts for the
#: children (eidi); a product type's weight as a basket's item is multiplied by this.
PRE_NOWRUZ_BOOST = {"detergent": 4.0, "sponges": 4.0, "board game": 2.5, "toy car": 2.5}

#: Shop-wide intensity of purchases by month (January first) and weekday (Monday first).
MONTH_FACTOR = np.array([0.85, 0.8, 0.95, 1.0, 0.95, 0.9, 0.85, 0.9, 1.0, 1.05, 1.25, 1.5])
WEEKDAY_FACTOR = np.array([0.9, 0.9, 0.95, 1.0, 1.15, 1.4, 0.7])


def product_types() -> pd.DataFrame:
    """The product types of the synthetic shop, one row each."""
    return pd.DataFrame(
        PRODUCT_TYPES,
        columns=["type_code", "product_type", "category", "base_price", "popularity", "season"],
    )


def catalogue() -> pd.DataFrame:
    """All products: every product type in each of the four brands.

    Returns
    -------
    pandas.DataFrame
        ``product_id`` (type code and brand letter, e.g. ``CAM-A``),
        ``description``, ``product_type``, ``category``, ``brand``,
        ``brand_rank`` (0 for the premium brand A) and ``list_price``.
    """
    types = product_types()
    rows = []
    for t in types.itertuples(index=False):
        for b, (brand, factor) in enumerate(zip(BRANDS, BRAND_PRICE_FACTOR)):
            rows.append(
                (
                    f"{t.type_code}-{'ABCD'[b]}",
                    f"{brand} {t.product_type}",
                    t.product_type,
                    t.category,
                    brand,
                    b,
                    round(t.base_price * factor, 2),
                )
            )
    return pd.DataFrame(
        rows,
        columns=[
            "product_id", "description", "product_type", "category", "brand",
            "brand_rank", "list_price",
        ],
    )


def planted_rules() -> pd.DataFrame:
    """The planted co-purchase rules with their planted confidence."""
    return pd.DataFrame(PLANTED_RULES, columns=["antecedent", "consequent", "planted_confidence"])
