"""What may be published: an allow-list of columns known to be safe, everything else masked."""

import pandas as pd
import pytest

from crmwb import privacy

PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def hostile_export(persian_digits: bool) -> pd.DataFrame:
    """Columns as exports name them: English variants, Persian headers, unknown text."""
    phone = "0912 345 6789".translate(PERSIAN) if persian_digits else "0912 345 6789"
    return pd.DataFrame({
        "customer_id": [7001],
        "mobile": [phone],
        "e_mail": ["maryam.ahmadi@chmail.ir"],
        "Customer Name": ["Maryam Ahmadi"],
        "نام و نام خانوادگی": ["مریم احمدی"],
        "شماره موبایل": [phone],
        "contact": [phone],  # no header says phone: the values do
        "notes": ["called Maryam at home"],  # unknown text: not known to be safe
        "cluster_name": ["recent frequent high-spending"],
        "product_name": ["camera bag"],
        "نام کالا": ["کیف دوربین"],
        "channel": ["phone"],
        "clv": [412.5],
        "rfm_cell": ["545"],
        "segment": ["champions"],
    })


@pytest.mark.parametrize("persian_digits", [False, True], ids=["latin digits", "persian digits"])
def test_only_columns_known_to_be_safe_are_published_in_clear(persian_digits):
    frame = hostile_export(persian_digits)
    shown = privacy.publish(frame)
    clear = ["customer_id", "cluster_name", "product_name", "نام کالا", "channel", "clv",
             "rfm_cell", "segment"]
    pd.testing.assert_frame_equal(shown[clear], frame[clear])
    for col in frame.columns.difference(clear):
        assert shown.loc[0, col] != frame.loc[0, col], col
        assert privacy._DOT in shown.loc[0, col] or shown.loc[0, col].endswith("."), col
    phone = frame.loc[0, "mobile"]
    digits = [c for c in phone if c.isdigit()]
    for col in ("mobile", "شماره موبایل", "contact"):
        assert shown.loc[0, col] == "".join(digits[:4]) + privacy._DOT * 5 + "".join(digits[-2:])
    assert shown.loc[0, "e_mail"] == "ma" + privacy._DOT * 3 + "@chmail.ir"
    assert shown.loc[0, "نام و نام خانوادگی"] == "م. ا."
    assert set(shown.attrs["masked"]) == set(frame.columns.difference(clear))


def test_show_personal_masks_nothing_and_pseudonymize_still_hides_ids():
    frame = hostile_export(False)
    shown = privacy.publish(frame, show_personal=True, pseudonymize=True,
                            secret="a-secret-of-enough-length")
    assert shown.loc[0, "mobile"] == frame.loc[0, "mobile"]
    assert shown.loc[0, "customer_id"].startswith("c-")


def test_a_number_in_a_column_of_objects_is_never_masked_as_a_phone():
    # a customer card's profile turned into one row: every column holds objects, and the
    # average basket 611.0250000000001 has the digits of a phone number
    from crmwb import privacy

    row = pd.Series({"average_basket": 611.0250000000001, "revenue": 9777.33,
                     "city": "Shiraz", "phone": "09121234567"}).to_frame("value").T
    shown = privacy.publish(row)
    assert shown.loc["value", "average_basket"] == 611.0250000000001
    assert shown.loc["value", "revenue"] == 9777.33
    assert shown.loc["value", "phone"] == "0912•••••67"
    # a phone written as a number in a column of objects still shows as the number it is
    # read as; a phone as text is masked by its header and by its look
    text = pd.DataFrame({"contact_no": ["0912 123 4567", "0935 765 4321"]}, dtype=object)
    assert privacy.publish(text)["contact_no"].str.contains("•").all()
