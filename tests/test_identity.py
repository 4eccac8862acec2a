"""Customer identification: normalisers, matching, crosswalk and re-keying."""

import pandas as pd
import pytest

from crmwb import engine, identity


def test_emails_are_trimmed_lowered_and_gmail_dots_ignored():
    got = identity.normalise_email(pd.Series([
        "  Sara.Ahmadi@GMAIL.com ", "sara.ahmadi+shop@gmail.com", "Ali@Example.IR",
        "not an email", "", None,
    ]))
    assert got.tolist()[:3] == ["saraahmadi@gmail.com", "saraahmadi@gmail.com", "ali@example.ir"]
    assert got.iloc[3:].isna().all()


def test_phones_keep_national_digits_whatever_the_script():
    got = identity.normalise_phone(pd.Series([
        "+98 912 345 6789", "0098-912-3456789", "09123456789", "۰۹۱۲۳۴۵۶۷۸۹",
        "٠٩١٢٣٤٥٦٧٨٩", "(0912) 345-6789", "123", "0940 123 4567", None,
    ]))
    assert got.iloc[:6].tolist() == ["+989123456789"] * 6
    assert got.iloc[6:].isna().all()  # too short, not an Iranian number, missing


def test_phones_of_another_region_are_read_in_that_region():
    phones = pd.Series(["+44 20 7946 0958", "020 7946 0958"])
    assert identity.normalise_phone(phones, region="GB").tolist() == ["+442079460958"] * 2
    assert identity.normalise_phone(phones, country_code="44").tolist() == ["+442079460958"] * 2


def test_names_ignore_case_spacing_order_and_arabic_letter_forms():
    got = identity.normalise_name(pd.Series([
        "Sadeghi, Maryam", "  MARYAM   sadeghi", "علي كريمي", "علی کریمی", "كريمي علي", "",
    ]))
    assert got.iloc[0] == got.iloc[1] == "maryam sadeghi"
    assert got.iloc[2] == got.iloc[3] == got.iloc[4]
    assert "ي" not in got.iloc[2] and "ك" not in got.iloc[2]
    assert pd.isna(got.iloc[5])


@pytest.fixture
def people():
    return pd.DataFrame({
        "customer_id": [1, 2, 3, 4, 5, 6, 7],
        "name": ["Sara Ahmadi", "AHMADI, Sara", "Reza Ahmadi", "Ali Karimi", "علي كريمي",
                 "Mina Rad", "M. Rad"],
        "email": ["sara@x.ir", "SARA@x.ir ", "sara@x.ir", "ali@y.ir", "Ali@Y.ir",
                  "mina@z.ir", "mina@z.ir"],
        "phone": ["0912 111 2222", None, "0935 000 0000", "0912 333 4444", "+98 912 333 4444",
                  None, None],
        "city": ["Tehran", "Shiraz", "Isfahan", "Tabriz", "Tabriz", "Rasht", "Karaj"],
        "signup_date": pd.to_datetime(["2024-01-05", "2023-06-01", "2024-02-01", "2024-03-01",
                                       "2024-01-01", "2024-01-01", "2024-02-01"]),
    })


def test_records_match_on_phone_or_on_email_with_name(people):
    m = identity.match_customers(people)
    pairs = set(zip(m["customer_id"], m["other_id"]))
    # 1-2: same email and same name; 6-7: email + initial; 4-5: names in two scripts
    # cannot be compared, so phone (two formats) and email must both agree.
    # 3 shares a family email with 1 and 2, but the name does not agree
    assert pairs == {(1, 2), (4, 5), (6, 7)}
    evidence = m.set_index(["customer_id", "other_id"])["evidence"]
    assert evidence[(4, 5)] == "phone+email+city"
    assert evidence[(1, 2)] == "email+name"


def test_a_shared_email_and_city_without_a_compatible_name_is_two_people():
    c = pd.DataFrame({"customer_id": [1, 2], "name": ["Sara Ahmadi", "S. Jafari"],
                      "email": ["s@x.ir", "s@x.ir"], "city": ["Tehran", "tehran "]})
    assert identity.match_customers(c).empty


def test_crosswalk_masters_are_earliest_records_and_matching_is_transitive():
    c = pd.DataFrame({
        "customer_id": [10, 11, 12, 13],
        "phone": ["0912 111 2222", "09121112222", None, "0999 999 9999"],
        "email": [None, "a@b.ir", "A@B.IR", None],
        "name": ["Ali Rad", "Ali Rad", "ali rad", "Someone Else"],
        "signup_date": pd.to_datetime(["2024-05-01", "2024-01-01", "2024-03-01", "2024-01-01"]),
    })
    cw = identity.crosswalk(c).set_index("customer_id")
    # 10-11 by phone, 11-12 by email and name: one person whose first record is 11
    assert cw.loc[[10, 11, 12], "master_id"].tolist() == [11, 11, 11]
    assert cw.loc[[10, 11, 12], "records"].tolist() == [3, 3, 3]
    assert cw.loc[13, "master_id"] == 13 and cw.loc[13, "records"] == 1
    assert cw.loc[13, "evidence"] == ""
    assert "phone" in cw.loc[10, "evidence"]


def test_rekeyed_lines_carry_master_ids_and_keep_everything_else():
    lines = pd.DataFrame({"invoice_id": ["1", "2", "3", "4"],
                          "customer_id": pd.array([10, 12, 13, None], dtype="Int64"),
                          "quantity": [1.0, 2.0, 3.0, 4.0]})
    cw = pd.DataFrame({"customer_id": [10, 11, 12, 13], "master_id": [11, 11, 11, 13],
                       "records": [3, 3, 3, 1], "evidence": ["phone", "", "email", ""]})
    out = engine.to_pandas(identity.rekey_transactions(engine.open_table(lines), cw))
    out = out.sort_values("invoice_id", ignore_index=True)
    assert out["customer_id"].tolist()[:3] == [11, 11, 13]
    assert pd.isna(out["customer_id"].iloc[3])
    assert out["quantity"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert list(out.columns) == list(lines.columns)


def test_planted_duplicates_are_found_with_high_precision_and_recall(crm_data):
    truth = crm_data.truth["identity"].set_index("customer_id")["person_id"]
    cw = identity.crosswalk(crm_data.customers)
    merged = cw[cw["customer_id"] != cw["master_id"]]
    found = {tuple(sorted(p)) for p in zip(merged["customer_id"], merged["master_id"])}
    twins = truth[truth.index != truth.to_numpy()]
    planted = {tuple(sorted(p)) for p in zip(twins.index, twins.to_numpy())}
    assert len(planted) > 20
    true_pos = len(found & planted)
    precision, recall = true_pos / len(found), true_pos / len(planted)
    assert precision >= 0.95 and recall >= 0.95, (precision, recall)
    # every person ends up under one master id
    person_of_master = cw.assign(person=cw["customer_id"].map(truth))
    assert (person_of_master.groupby("master_id")["person"].nunique() == 1).mean() >= 0.95


def test_duplicate_candidates_show_merged_records_beside_their_master(people):
    cw = identity.crosswalk(people)
    view = identity.duplicate_candidates(people, cw)
    assert set(view["customer_id"]) == {1, 2, 4, 5, 6, 7}
    # the master of Sara is record 2 (signed up first)
    assert view.loc[view["customer_id"] == 1, "master_id"].item() == 2


def test_strangers_sharing_a_placeholder_phone_or_email_stay_apart():
    c = pd.DataFrame({
        "customer_id": [1, 2, 3, 4, 5],
        "name": ["Sara Ahmadi", "Reza Karimi", "Mina Rad", "Ali Jafari", "Neda Amini"],
        "phone": ["09999999999", "0999 999 9999", "+98 999 999 9999", None, None],
        "email": [None, None, None, "noemail@gmail.com", "NoEmail@gmail.com"],
        "city": ["Tehran"] * 5,
    })
    cw = identity.crosswalk(c)
    assert cw["records"].tolist() == [1] * 5  # today: one person of 1-2-3, and of 4-5
    # the same placeholder with the same name is still no evidence
    twin = pd.concat([c, c.iloc[[0]].assign(customer_id=6)], ignore_index=True)
    assert identity.match_customers(twin).empty


def test_a_value_shared_by_many_records_is_a_placeholder():
    phones = pd.Series(["+989121112233"] * 6 + ["+989121112244"] * 2)
    assert identity.placeholders(phones, "phone").tolist() == [True] * 6 + [False] * 2


def test_diacritics_and_letter_forms_do_not_split_a_person():
    c = pd.DataFrame({"customer_id": [1, 2], "name": ["محمّد رضایی", "محمد رضائي"],
                      "phone": ["09121234567", "۰۹۱۲۱۲۳۴۵۶۷"]})
    assert identity.normalise_name(c["name"]).nunique() == 1
    assert identity.crosswalk(c)["master_id"].tolist() == [1, 1]


@pytest.mark.parametrize("a, b, same", [
    ("Maryam Sadeghi", "Maryam Sadeghy", True),   # a typo
    ("Sara Ahmadi", "Sarah Ahmadi", True),
    ("M. Rad", "Mina Rad", True),                 # an initial
    ("Mina Rad", "Mona Rad", False),              # another first name
    ("Reza Ahmadi", "Sara Ahmadi", False),        # a shared surname only
    ("Ali Karimi", "Karimi Reza", False),
])
def test_names_agree_despite_typos_but_not_on_a_surname(a, b, same):
    na, nb = identity.normalise_name(pd.Series([a, b])).tolist()
    assert identity.names_agree(na, nb) is same


def test_a_family_phone_does_not_merge_two_people():
    c = pd.DataFrame({"customer_id": [1, 2], "name": ["Sara Ahmadi", "Reza Ahmadi"],
                      "phone": ["021 8877 6655", "02188776655"], "city": ["Tehran", "Tehran"]})
    assert identity.match_customers(c).empty
