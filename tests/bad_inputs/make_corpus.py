"""Write the malformed-input corpus used by tests/test_bad_inputs.py (run once; files are committed).

Each case is a folder ``<case>/`` holding the table(s) of that case; ``cases.json`` says, per case,
which arguments of ``read_cohort`` the files are and what must happen: ``error`` with the pieces the
message must contain, or ``accept`` with the checks the tests run on the result.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

HERE = Path(__file__).parent

P_HEAD = "subject_id,subtype,protocol,tspo_genotype,sex,age,bmi"
P_ROWS = [
    "sub-01,axial,1,HAB,F,40,22.1",
    "sub-02,radicular,1,MAB,M,51,27.5",
    "sub-03,axial,2,HAB,F,33,24.0",
    "sub-04,radicular,2,HAB,M,62,30.2",
]
S_HEAD = "subject_id,s1,thalamus"
S_ROWS = ["sub-01,1.05,1.12", "sub-02,1.11,1.20", "sub-03,0.98,1.10", "sub-04,1.15,1.18"]
Q_HEAD = "subject_id,paindetect,bpi_severity,wpi,sss,fss"
Q_ROWS = ["sub-01,8,2.5,3,4,7", "sub-02,14,3.0,5,6,11", "sub-03,6,,,,", "sub-04,20,4.25,2,3,5"]
C_HEAD = "subject_id,s1__thalamus"
C_ROWS = ["sub-01,0.31", "sub-02,0.52", "sub-03,0.12", "sub-04,0.44"]


def csv(head: str, rows: list[str]) -> str:
    return "\n".join([head, *rows]) + "\n"


def replace(rows: list[str], i: int, old: str, new: str) -> list[str]:
    out = list(rows)
    out[i] = out[i].replace(old, new, 1)
    return out


CASES: dict[str, dict] = {}


def case(name: str, files: dict[str, str | bytes], expect: dict) -> None:
    CASES[name] = {"files": {}, "expect": expect}
    d = HERE / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir()
    args = {}
    for arg_and_file, content in files.items():
        arg, fname = arg_and_file.split(":")
        path = d / fname
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        if arg != "sidecar":
            args[arg] = fname
    CASES[name]["files"] = args


def err(*pieces: str, line: int | None = None, column: str | None = None, count: int | None = None) -> dict:
    return {"error": list(pieces), "line": line, "column": column, "count": count}


P = "participants:participants.csv"
# --- participants: errors -----------------------------------------------------------------------
case("dup_ids", {P: csv(P_HEAD, [*P_ROWS, "sub-02,axial,2,HAB,F,45,23.0"])},
     err("duplicate subject ID", "also on line 3", line=6, column="subject_id"))
case("dup_ids_prefix_variant", {P: csv(P_HEAD, [*P_ROWS, "02,axial,2,HAB,F,45,23.0"])},
     err("duplicate subject ID", line=6, column="subject_id"))
case("unknown_subtype", {P: csv(P_HEAD, replace(P_ROWS, 2, "axial", "axail"))},
     err('"axail" is not a known back pain subtype', "axial, radicular", line=4, column="subtype"))
case("text_in_age", {P: csv(P_HEAD, replace(P_ROWS, 1, ",51,", ",fifty-one,"))},
     err('"fifty-one" is not a number', line=3, column="age"))
case("age_out_of_range", {P: csv(P_HEAD, replace(P_ROWS, 0, ",40,", ",140,"))},
     err("140 is above the maximum 100", line=2, column="age"))
case("missing_required_column", {P: csv("subject_id,subtype,tspo_genotype,sex,age,bmi",
                                         [r.replace(",1,", ",", 1).replace(",2,", ",", 1) for r in P_ROWS])},
     err("required column is missing", "Scan protocol", line=1, column="protocol"))
case("empty_file", {P: ""}, err("the file is empty"))
case("header_only", {P: P_HEAD + "\n"}, err("has a header but no data rows"))
case("non_utf8", {P: csv(P_HEAD, P_ROWS).replace("sub-03", "sub-03é").encode("latin-1")},
     err("is not UTF-8", "CSV UTF-8", line=4))
case("unknown_genotype", {P: csv(P_HEAD, replace(P_ROWS, 3, "HAB", "XAB"))},
     err('"XAB" is not a known tspo rs6971 genotype', "HAB, MAB, LAB", line=5, column="tspo_genotype"))
case("empty_subject_id", {P: csv(P_HEAD, [*P_ROWS, ",axial,2,HAB,F,45,23.0"])},
     err("every row needs a subject ID", line=6, column="subject_id"))
case("ragged_row", {P: csv(P_HEAD, replace(P_ROWS, 1, "27.5", "27.5,extra"))},
     err("has 8 fields but the header has 7", line=3))
case("bmi_text_token", {P: csv(P_HEAD, replace(P_ROWS, 2, "24.0", "n.a."))},
     err('"n.a." is not a number', line=4, column="bmi"))
case("unknown_sex", {P: csv(P_HEAD, replace(P_ROWS, 0, ",F,", ",X,"))},
     err('"X" is not a known sex', line=2, column="sex"))
case("missing_genotype_cell", {P: csv(P_HEAD, replace(P_ROWS, 1, "MAB", ""))},
     err("is empty; TSPO rs6971 genotype is required", line=3, column="tspo_genotype"))
case("many_problems", {P: csv(P_HEAD, [replace(P_ROWS, 0, "axial", "ax-ial")[0], P_ROWS[1].replace(",51,", ",abc,"),
                                       P_ROWS[2].replace("24.0", "99"), P_ROWS[3]])},
     err("3 problems found", count=3))
case("duplicate_header", {P: csv(P_HEAD + ",Age", [r + ",40" for r in P_ROWS])},
     err("appears twice in the header", line=1, column="age"))
# --- participants: accepted variants ------------------------------------------------------------
case("semicolon_decimal_comma", {P: csv(P_HEAD.replace(",", ";"),
                                        [r.replace(",", ";").replace("22.1", "22,1").replace("27.5", "27,5")
                                         for r in P_ROWS])},
     {"accept": {"bmi": {"01": 22.1, "02": 27.5}}, "log": "decimal commas"})
case("whitespace_case_variants", {P: csv("Subject ID, Subtype ,PROTOCOL,TSPO Genotype,Sex,Age,BMI",
                                         [" sub-01 , Axial ,1,hab,f,40,22.1", "sub-02,RADICULAR ,1,mab,M,51,27.5",
                                          "sub-03,axial,2,HAB,female,33,24.0", "sub-04,radicular,2,HAB,Male,62,30.2"])},
     {"accept": {"subtype": {"01": "axial", "02": "radicular"}, "tspo_genotype": {"01": "HAB", "02": "MAB"},
                 "sex": {"03": "F", "04": "M"}}})
case("rs6971_genotypes", {P: csv(P_HEAD, [r.replace("HAB", "Ala/Ala").replace("MAB", "Ala/Thr") for r in P_ROWS])},
     {"accept": {"tspo_genotype": {"01": "HAB", "02": "MAB"}}})
case("lab_subject", {P: csv(P_HEAD, replace(P_ROWS, 3, "HAB", "Thr/Thr")), "suvr:suvr.csv": csv(S_HEAD, S_ROWS)},
     {"accept": {"tspo_genotype": {"04": "LAB"}}, "warn": ["low-affinity", "04"], "nan": {"suvr_s1": ["04"]}})
case("bids_participants_tsv", {
    "participants:participants.tsv": "participant_id\tsubtype\tprotocol\ttspo_genotype\tsex\tage\tbmi\n"
    "sub-01\t1\tA\tHAB\tF\t40\tn/a\nsub-02\t2\tA\tMAB\tM\t51\t27.5\nsub-03\t1\tB\tHAB\tF\tn/a\t24.0\n"
    "sub-04\t2\tB\tHAB\tM\t62\t30.2\n",
    "sidecar:participants.json": json.dumps({"subtype": {"Description": "cLBP subtype",
                                                         "Levels": {"1": "axial", "2": "radicular"}},
                                             "bmi": {"Units": "kg/m^2"}})},
    {"accept": {"subtype": {"01": "axial", "02": "radicular"}, "protocol": {"03": "B"}}, "nan": {"bmi": ["01"], "age": ["03"]}})
case("numeric_protocol_is_factor", {P: csv(P_HEAD, P_ROWS)}, {"accept": {"protocol": {"01": "1", "04": "2"}},
                                                              "categorical": ["protocol", "subtype"]})
case("missing_subtype_allowed", {P: csv(P_HEAD, replace(P_ROWS, 1, "radicular", ""))},
     {"accept": {"subtype": {"01": "axial"}}, "nan": {"subtype": ["02"]}})
# --- questionnaires -----------------------------------------------------------------------------
PQ = {P: csv(P_HEAD, P_ROWS)}
Q = "questionnaires:questionnaires.csv"
case("fss_out_of_range", {**PQ, Q: csv(Q_HEAD, replace(Q_ROWS, 1, "5,6,11", ",,34"))},
     err("34 is above the maximum 31", "Fibromyalgia Survey Score is 0–31", line=3, column="fss"))
case("fss_not_sum", {**PQ, Q: csv(Q_HEAD, replace(Q_ROWS, 0, "3,4,7", "3,4,9"))},
     err("9 is not WPI + SSS = 3 + 4 = 7", line=2, column="fss"))
case("paindetect_not_integer", {**PQ, Q: csv(Q_HEAD, replace(Q_ROWS, 2, "sub-03,6", "sub-03,6.5"))},
     err("6.5 is not a whole number", line=4, column="paindetect"))
case("paindetect_below_min", {**PQ, Q: csv(Q_HEAD, replace(Q_ROWS, 0, "sub-01,8", "sub-01,-2"))},
     err("-2 is below the minimum -1", line=2, column="paindetect"))
case("bpi_above_max", {**PQ, Q: csv(Q_HEAD, replace(Q_ROWS, 3, "4.25", "11"))},
     err("11 is above the maximum 10", line=5, column="bpi_severity"))
case("questionnaire_text", {**PQ, Q: csv(Q_HEAD, replace(Q_ROWS, 1, "sub-02,14", "sub-02,fourteen"))},
     err('"fourteen" is not a number', line=3, column="paindetect"))
case("extra_instrument_not_numeric", {**PQ, Q: csv(Q_HEAD + ",pcs", [r + ",12" for r in Q_ROWS[:3]] + [Q_ROWS[3] + ",high"])},
     err('"high" is not a number', line=5, column="pcs"))
case("fss_derived_when_absent", {**PQ, Q: csv("subject_id,wpi,sss", ["sub-01,3,4", "sub-02,5,6", "sub-03,,", "sub-04,2,3"])},
     {"accept": {"fss": {"01": 7.0, "02": 11.0}}, "log": "fss derived"})
# --- suvr ---------------------------------------------------------------------------------------
S = "suvr:suvr.csv"
case("suvr_negative", {**PQ, S: csv(S_HEAD, replace(S_ROWS, 1, "1.11", "-1.11"))},
     err("-1.11 must be greater than 0", line=3, column="s1"))
case("suvr_implausible", {**PQ, S: csv(S_HEAD, replace(S_ROWS, 2, "1.10", "7.5"))},
     err("7.5 is outside the plausible range 0.2–5", line=4, column="thalamus"))
case("suvr_infinite", {**PQ, S: csv(S_HEAD, replace(S_ROWS, 0, "1.05", "inf"))},
     err("is not a finite number", line=2, column="s1"))
case("suvr_bad_region_name", {**PQ, S: csv("subject_id,s1,3rd ventricle!", S_ROWS)},
     err("is not a valid regional pet suvr column name", line=1))
case("suvr_long_layout", {**PQ, S: csv("subject_id,region,suvr", [f"{r.split(',')[0]},{reg},{v}" for r in S_ROWS
                                                                      for reg, v in zip(("s1", "thalamus"), r.split(',')[1:])])},
     {"accept": {"suvr_s1": {"01": 1.05, "04": 1.15}, "suvr_thalamus": {"02": 1.20}}, "log": "long layout"})
case("suvr_long_duplicate", {**PQ, S: csv("subject_id,region,suvr", ["sub-01,s1,1.05", "sub-01,s1,1.07", "sub-02,s1,1.1",
                                                                     "sub-03,s1,1.0", "sub-04,s1,1.2"])},
     err("appears twice for the same subject", line=3))
# --- connectivity -------------------------------------------------------------------------------
C = "connectivity:connectivity.csv"
case("connectivity_r_out_of_range", {**PQ, C: csv(C_HEAD, replace(C_ROWS, 1, "0.52", "1.3")),
                                     "sidecar:connectivity.json": json.dumps({"s1__thalamus": {"Units": "r"}})},
     err("1.3 is above the maximum 1", "declared as r is -1–1", line=3, column="s1__thalamus"))
case("connectivity_long_layout", {**PQ, C: csv("subject_id,seed,target,value",
                                               [f"{r.split(',')[0]},s1,thalamus,{r.split(',')[1]}" for r in C_ROWS])},
     {"accept": {"conn_s1__thalamus": {"02": 0.52}}})
# --- across tables ------------------------------------------------------------------------------
case("id_only_in_suvr", {**PQ, S: csv(S_HEAD, [*S_ROWS, "sub-99,1.0,1.1"])},
     {"accept": {"subtype": {"01": "axial"}}, "warn": ["not in the participants table", "99"], "n_rows": 4})
case("id_missing_from_questionnaires", {**PQ, Q: csv(Q_HEAD, Q_ROWS[:3])},
     {"accept": {"subtype": {"01": "axial"}}, "warn": ["no row in the questionnaires table", "04"], "n_rows": 3})
case("errors_in_two_tables", {P: csv(P_HEAD, replace(P_ROWS, 2, "axial", "axail")),
                              Q: csv(Q_HEAD, replace(Q_ROWS, 1, "5,6,11", ",,34"))},
     err("participants.csv line 4", "questionnaires.csv line 3", count=2))

(HERE / "cases.json").write_text(json.dumps(CASES, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
print(f"{len(CASES)} cases written")
