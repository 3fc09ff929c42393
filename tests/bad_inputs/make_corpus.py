"""Write the malformed-input corpus used by tests/test_bad_inputs.py (run once; files are committed).

Each case is a folder ``<case>/`` holding the table(s) of that case; ``cases.json`` says, per case,
which arguments of ``read_cohort`` the files are and what must happen: ``error`` with the pieces the
message must contain, or ``accept`` with the checks the tests run on the result.
"""

from __future__ import annotations

import gzip
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
     {"accept": {"bmi": {"sub-01": 22.1, "sub-02": 27.5}}, "log": "decimal commas"})
case("whitespace_case_variants", {P: csv("Subject ID, Subtype ,PROTOCOL,TSPO Genotype,Sex,Age,BMI",
                                         [" sub-01 , Axial ,1,hab,f,40,22.1", "sub-02,RADICULAR ,1,mab,M,51,27.5",
                                          "sub-03,axial,2,HAB,female,33,24.0", "sub-04,radicular,2,HAB,Male,62,30.2"])},
     {"accept": {"subtype": {"sub-01": "axial", "sub-02": "radicular"}, "tspo_genotype": {"sub-01": "HAB", "sub-02": "MAB"},
                 "sex": {"sub-03": "F", "sub-04": "M"}}})
case("rs6971_genotypes", {P: csv(P_HEAD, [r.replace("HAB", "Ala/Ala").replace("MAB", "Ala/Thr") for r in P_ROWS])},
     {"accept": {"tspo_genotype": {"sub-01": "HAB", "sub-02": "MAB"}}})
case("lab_subject", {P: csv(P_HEAD, replace(P_ROWS, 3, "HAB", "Thr/Thr")), "suvr:suvr.csv": csv(S_HEAD, S_ROWS)},
     {"accept": {"tspo_genotype": {"sub-04": "LAB"}}, "warn": ["low-affinity", "sub-04"], "nan": {"suvr_s1": ["sub-04"]}})
case("bids_participants_tsv", {
    "participants:participants.tsv": "participant_id\tsubtype\tprotocol\ttspo_genotype\tsex\tage\tbmi\n"
    "sub-01\t1\tA\tHAB\tF\t40\tn/a\nsub-02\t2\tA\tMAB\tM\t51\t27.5\nsub-03\t1\tB\tHAB\tF\tn/a\t24.0\n"
    "sub-04\t2\tB\tHAB\tM\t62\t30.2\n",
    "sidecar:participants.json": json.dumps({"subtype": {"Description": "cLBP subtype",
                                                         "Levels": {"1": "axial", "2": "radicular"}},
                                             "bmi": {"Units": "kg/m^2"}})},
    {"accept": {"subtype": {"sub-01": "axial", "sub-02": "radicular"}, "protocol": {"sub-03": "B"}}, "nan": {"bmi": ["sub-01"], "age": ["sub-03"]}})
case("numeric_protocol_is_factor", {P: csv(P_HEAD, P_ROWS)}, {"accept": {"protocol": {"sub-01": "1", "sub-04": "2"}},
                                                              "categorical": ["protocol", "subtype"]})
case("missing_subtype_allowed", {P: csv(P_HEAD, replace(P_ROWS, 1, "radicular", ""))},
     {"accept": {"subtype": {"sub-01": "axial"}}, "nan": {"subtype": ["sub-02"]}})
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
     {"accept": {"fss": {"sub-01": 7.0, "sub-02": 11.0}}, "log": "fss derived"})
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
     {"accept": {"suvr_s1": {"sub-01": 1.05, "sub-04": 1.15}, "suvr_thalamus": {"sub-02": 1.20}}, "log": "long layout"})
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
     {"accept": {"conn_s1__thalamus": {"sub-02": 0.52}}})
# --- across tables ------------------------------------------------------------------------------
case("id_only_in_suvr", {**PQ, S: csv(S_HEAD, [*S_ROWS, "sub-99,1.0,1.1"])},
     {"accept": {"subtype": {"sub-01": "axial"}}, "warn": ["not in the participants table", "sub-99"], "n_rows": 4})
case("id_missing_from_questionnaires", {**PQ, Q: csv(Q_HEAD, Q_ROWS[:3])},
     {"accept": {"subtype": {"sub-01": "axial"}}, "warn": ["no row in the questionnaires table", "sub-04"], "n_rows": 3})
case("errors_in_two_tables", {P: csv(P_HEAD, replace(P_ROWS, 2, "axial", "axail")),
                              Q: csv(Q_HEAD, replace(Q_ROWS, 1, "5,6,11", ",,34"))},
     err("participants.csv line 4", "questionnaires.csv line 3", count=2))


# =================================================================================================
# Second corpus (issue 14): classes of malformed input, each fixed as a class. IDs in expectations
# are as the participants file writes them.
# =================================================================================================
P_TXT = csv(P_HEAD, P_ROWS)
S_TXT = csv(S_HEAD, S_ROWS)
SQ = {P: P_TXT}
SD = "sidecar:participants.json"
SS = "suvr:suvr.csv"

# --- encodings and containers --------------------------------------------------------------------
case("utf16_le_bom", {P: b"\xff\xfe" + P_TXT.encode("utf-16-le")},
     {"accept": {"age": {"sub-01": 40.0}}, "log": "UTF-16-LE", "quiet": True})
case("utf16_be_bom", {P: b"\xfe\xff" + P_TXT.encode("utf-16-be")},
     {"accept": {"age": {"sub-02": 51.0}}, "log": "UTF-16-BE", "quiet": True})
case("utf16_without_bom", {P: P_TXT.encode("utf-16-le")},
     {"accept": {"bmi": {"sub-03": 24.0}}, "log": "no byte-order mark", "quiet": True})
case("utf8_bom", {P: b"\xef\xbb\xbf" + P_TXT.encode()},
     {"accept": {"subtype": {"sub-01": "axial"}}, "quiet": True, "columns": ["subject_id", "subtype"]})
case("nul_bytes", {P: P_TXT.replace("sub-03,axial", "sub-03,ax\x00ial").encode()},
     err("contains NUL bytes", "re-export", line=4))
case("cp1252_smart_quotes", {P: P_TXT.replace("sub-02", "\u201csub-02\u201d").encode("cp1252")},
     err("is not UTF-8", "CSV UTF-8", line=3))
case("gzip_named_csv", {P: gzip.compress(P_TXT.encode(), mtime=0)},
     {"accept": {"age": {"sub-04": 62.0}}, "log": "gzip-compressed", "quiet": True})
case("gzip_csv_gz_name", {**SQ, "suvr:suvr.csv.gz": gzip.compress(S_TXT.encode(), mtime=0)},
     {"accept": {"suvr_s1": {"sub-02": 1.11}}, "log": "gzip-compressed", "quiet": True})
case("gzip_corrupt", {P: b"\x1f\x8b\x08\x00garbage-not-deflate"}, err("cannot be decompressed", "plain CSV"))
case("xlsx_named_csv", {P: b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40 + b"[Content_Types].xml"},
     err("ZIP archive", "Excel .xlsx", "CSV UTF-8"))
case("xls_named_csv", {P: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100}, err("Excel 97", "CSV UTF-8"))
case("pdf_named_csv", {P: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"}, err("is a PDF document"))
# --- line endings, quoted newlines, blank lines ---------------------------------------------------
case("crlf_line_endings", {P: P_TXT.replace("\n", "\r\n")},
     {"accept": {"bmi": {"sub-04": 30.2}}, "quiet": True})
case("cr_only_line_endings", {P: P_TXT.replace("\n", "\r")},
     {"accept": {"bmi": {"sub-04": 30.2}}, "quiet": True})
case("mixed_line_endings", {P: P_HEAD + "\r\n" + P_ROWS[0] + "\n" + P_ROWS[1] + "\r" + P_ROWS[2] + "\r\n" + P_ROWS[3]},
     {"accept": {"age": {"sub-02": 51.0, "sub-04": 62.0}}, "quiet": True})
case("quoted_newline_line_numbers", {P: csv(P_HEAD + ",notes", [P_ROWS[0] + ',"first line\nsecond line"',
                                                                 P_ROWS[1] + ",ok", P_ROWS[2].replace(",33,", ",333,") + ",ok",
                                                                 P_ROWS[3] + ",ok"])},
     err("333 is above the maximum 100", line=5, column="age"))
case("quoted_newline_kept_as_text", {P: csv(P_HEAD + ",notes", [P_ROWS[0] + ',"a\nb"', *[r + ",x" for r in P_ROWS[1:]]])},
     {"accept": {"notes": {"sub-01": "a\nb", "sub-02": "x"}}, "quiet": True})
case("unclosed_quote", {P: csv(P_HEAD, [P_ROWS[0], 'sub-02,"radicular,1,MAB,M,51,27.5', *P_ROWS[2:]])},
     err("has 2 fields but the header has 7", line=3))
case("blank_lines_before_header", {P: "\n\n  \n" + P_TXT},
     {"accept": {"age": {"sub-01": 40.0}}, "log": "3 blank line(s) before the header"})
case("blank_lines_before_header_error_line", {P: "\n\n" + csv(P_HEAD, replace(P_ROWS, 0, ",40,", ",140,"))},
     err("140 is above the maximum 100", line=4, column="age"))
case("blank_lines_between_rows", {P: P_HEAD + "\n" + P_ROWS[0] + "\n\n" + P_ROWS[1] + "\n \n" + "\n".join(P_ROWS[2:]) + "\n\n\n"},
     {"accept": {"age": {"sub-04": 62.0}}, "log": "2 blank line(s) between rows", "n_rows": 4})
case("separator_only_lines", {P: P_TXT + ",,,,,,\n,,,,,,\n"}, {"accept": {"age": {"sub-04": 62.0}}, "n_rows": 4})
case("excel_sep_line", {P: "sep=;\n" + csv(P_HEAD.replace(",", ";"), [r.replace(",", ";") for r in P_ROWS])},
     {"accept": {"bmi": {"sub-01": 22.1}}, "log": "Excel 'sep=;' line"})
case("only_blank_lines", {P: "\n\n   \n\n"}, err("the file is empty"))
# --- trailing separators and empty columns ------------------------------------------------------
case("trailing_separator_every_row", {P: csv(P_HEAD, [r + "," for r in P_ROWS])},
     {"accept": {"bmi": {"sub-01": 22.1, "sub-04": 30.2}}, "log": "every row ends with a separator",
      "columns": ["subject_id", "subtype", "protocol", "tspo_genotype", "sex", "age", "bmi"]})
case("trailing_separator_header_and_rows", {P: csv(P_HEAD + ",", [r + "," for r in P_ROWS])},
     {"accept": {"bmi": {"sub-02": 27.5}}, "log": "the header ends with a separator"})
case("trailing_separator_some_rows", {P: csv(P_HEAD, [P_ROWS[0] + ",", *P_ROWS[1:]])},
     err("has 8 fields but the header has 7", line=2))
case("trailing_separator_suvr_tsv", {**SQ, "suvr:suvr.tsv": "\n".join(["subject_id\ts1\tthalamus\t",
                                                                      *[r.replace(",", "\t") + "\t" for r in S_ROWS]]) + "\n"},
     {"accept": {"suvr_thalamus": {"sub-03": 1.10}}, "no_columns": ["suvr_", "suvr_unnamed"]})
case("empty_unnamed_column", {P: csv("subject_id,subtype,,protocol,tspo_genotype,sex,age,bmi",
                                     [r.replace(",", ",,", 2).replace(",,", ",", 1) for r in P_ROWS])},
     {"accept": {"protocol": {"sub-01": "1"}}, "log": "column 3 has no name and no values"})
case("unnamed_column_with_values", {P: csv("subject_id,subtype,,protocol,tspo_genotype,sex,age,bmi",
                                           [r.replace(",", ",x,", 2).replace(",x,", ",", 1) for r in P_ROWS])},
     err("column 3 has no name in the header but holds values", line=1))
# --- duplicate columns ----------------------------------------------------------------------------
case("duplicate_region_column", {**SQ, S: csv("subject_id,s1,thalamus,s1", [r + ",1.0" for r in S_ROWS])},
     err("appears twice in the header", "columns 2 ('s1') and 4 ('s1')", line=1, column="s1"))
case("duplicate_region_case_variant", {**SQ, S: csv("subject_id,S1,thalamus,s1 ", [r + ",1.0" for r in S_ROWS])},
     err("appears twice in the header", "columns 2 ('S1') and 4 ('s1')", line=1, column="s1"))
case("duplicate_via_alias", {P: csv(P_HEAD + ",genotype", [r + ",HAB" for r in P_ROWS])},
     err("appears twice in the header", "columns 4 ('tspo_genotype') and 8 ('genotype')", column="tspo_genotype"))
case("duplicate_via_header_unit", {P: csv(P_HEAD + ",Age (years)", [r + ",40" for r in P_ROWS])},
     err("appears twice in the header", "columns 6 ('age') and 8 ('Age (years)')", column="age"))
case("duplicate_connectivity_column", {**SQ, C: csv("subject_id,s1__thalamus,S1__Thalamus", [r + ",0.1" for r in C_ROWS])},
     err("appears twice in the header", column="s1__thalamus"))
# --- a column in two tables ---------------------------------------------------------------------
case("column_in_two_tables_agree", {P: csv(P_HEAD + ",fss", [r + f",{v}" for r, v in zip(P_ROWS, (7, 11, "", 5))]),
                                    Q: csv(Q_HEAD, Q_ROWS)},
     {"accept": {"fss": {"sub-01": 7.0, "sub-02": 11.0}}, "nan": {"fss": ["sub-03"]}, "log": "kept once",
      "no_columns": ["fss_x", "fss_y"]})
case("column_in_two_tables_disagree", {P: csv(P_HEAD + ",fss", [r + f",{v}" for r, v in zip(P_ROWS, (7, 12, "", 5))]),
                                       Q: csv(Q_HEAD, Q_ROWS)},
     err("differs from participants.csv (12) for subject sub-02", "must agree", line=3, column="fss"))
case("participant_column_in_suvr_table", {**SQ, S: csv("subject_id,protocol,s1", [f"{r.split(',')[0]},{p},{r.split(',')[1]}"
                                                                                  for r, p in zip(S_ROWS, (1, 1, 2, 2))])},
     {"accept": {"protocol": {"sub-03": "2"}, "suvr_s1": {"sub-03": 0.98}}, "log": "kept once",
      "no_columns": ["suvr_protocol", "protocol_x"], "categories": {"protocol": [1, 2]}})
case("participant_column_in_suvr_table_disagree", {**SQ, S: csv("subject_id,age,s1", [f"{r.split(',')[0]},{a},{r.split(',')[1]}"
                                                                                      for r, a in zip(S_ROWS, (40, 51, 34, 62))])},
     err("differs from participants.csv (33) for subject sub-03", line=4, column="age"))
# --- headers with units and sidecar units ----------------------------------------------------------
PU_HEAD = "subject_id,subtype,protocol,tspo_genotype,age,injected_dose_mbq,injected_mass_ug,specific_activity_gbq_umol"
PU_ROWS = ["sub-01,axial,1,HAB,40,500,5,60", "sub-02,radicular,1,MAB,51,520,4,55",
           "sub-03,axial,2,HAB,33,480,6,70", "sub-04,radicular,2,HAB,62,510,3,65"]
case("header_unit_recognised", {P: csv(P_HEAD.replace("age", "Age (years)").replace("bmi", "BMI [kg/m2]"), P_ROWS)},
     {"accept": {"age": {"sub-01": 40.0}, "bmi": {"sub-01": 22.1}}, "log": "read as 'age' (unit years)"})
case("header_unit_range_rule_applies", {P: csv(P_HEAD.replace("age", "Age (years)"), replace(P_ROWS, 1, ",51,", ",510,"))},
     err("510 is above the maximum 100", line=3, column="age"))
case("header_unit_months_converted", {P: csv(P_HEAD.replace("age", "Age (months)"),
                                             [r.replace(f",{a},", f",{a * 12},") for r, a in zip(P_ROWS, (40, 51, 33, 62))])},
     {"accept": {"age": {"sub-01": 40.0, "sub-04": 62.0}}, "log": "converted from months"})
case("header_unit_unknown", {P: csv(P_HEAD.replace("age", "Age (parsecs)"), P_ROWS)},
     err('"parsecs"', "is not a unit of Age", "the schema's unit is years", line=1, column="age"))
MCI = {",500,": ",13.5,", ",520,": ",14,", ",480,": ",13,", ",510,": ",13.8,"}


def in_mci(row: str) -> str:
    for a, b in MCI.items():
        row = row.replace(a, b)
    return row


case("header_unit_mci_converted", {P: csv(PU_HEAD.replace("injected_dose_mbq", "Injected dose (mCi)"),
                                          [in_mci(r) for r in PU_ROWS])},
     {"accept": {"injected_dose_mbq": {"sub-01": 499.5, "sub-02": 518.0}}, "log": "converted from mCi"})
case("sidecar_units_mci_converted", {P: csv(PU_HEAD, [in_mci(r) for r in PU_ROWS]),
                                     SD: json.dumps({"injected_dose_mbq": {"Units": "mCi"}})},
     {"accept": {"injected_dose_mbq": {"sub-01": 499.5, "sub-02": 518.0}}, "log": "converted from mCi"})
case("sidecar_units_mg_converted", {P: csv(PU_HEAD, [r.replace(f",{m},", f",{m / 1000:g},", 1) for r, m in
                                                     zip(PU_ROWS, (5, 4, 6, 3))]),
                                    SD: json.dumps({"injected_mass_ug": {"Units": "mg"}})},
     {"accept": {"injected_mass_ug": {"sub-01": 5.0, "sub-02": 4.0}}, "log": "converted from mg"})
case("sidecar_units_ci_per_mmol", {P: csv(PU_HEAD, PU_ROWS),
                                   SD: json.dumps({"specific_activity_gbq_umol": {"Units": "Ci/mmol"}})},
     {"accept": {"specific_activity_gbq_umol": {"sub-01": 2.22}}, "log": "converted from Ci/mmol"})
case("sidecar_units_unknown", {P: csv(PU_HEAD, PU_ROWS), SD: json.dumps({"injected_dose_mbq": {"Units": "furlongs"}})},
     err('"furlongs"', "declared in participants.json", "is not a unit of Injected dose", "MBq", line=1,
         column="injected_dose_mbq"))
case("sidecar_units_wrong_dimension", {P: csv(P_HEAD, P_ROWS), SD: json.dumps({"bmi": {"Units": "MBq"}})},
     err('"MBq"', "is not a unit of Body mass index", column="bmi"))
case("sidecar_units_after_conversion_out_of_range", {P: csv(PU_HEAD, [r.replace(",500,", ",40,") for r in PU_ROWS]),
                                                     SD: json.dumps({"injected_dose_mbq": {"Units": "mCi"}})},
     err("is above the maximum 1000 (= 1480 MBq after conversion)", line=2, column="injected_dose_mbq"))
case("sidecar_units_matching", {P: csv(P_HEAD, P_ROWS), SD: json.dumps({"age": {"Units": "years"},
                                                                      "bmi": {"Units": "kg/m²"}})},
     {"accept": {"age": {"sub-01": 40.0}}, "quiet": True})
case("sidecar_and_header_unit_conflict", {P: csv(P_HEAD.replace("age", "age (years)"), P_ROWS),
                                          SD: json.dumps({"age": {"Units": "months"}})},
     err("is the unit in the header", "make them agree", column="age"))
case("suvr_units_not_a_ratio", {**SQ, S: S_TXT, "sidecar:suvr.json": json.dumps({"s1": {"Units": "kBq/mL"}})},
     err('"kBq/mL"', "is not a unit of s1 SUVR", column="s1"))
case("sidecar_longname_labels", {P: csv(P_HEAD, P_ROWS), SD: json.dumps({"bmi": {"LongName": "Body-mass index"},
                                                                       "age": {"LongName": "Age at scan"}}),
                                 SS: S_TXT, "sidecar:suvr.json": json.dumps({"s1": {"LongName": "Primary somatosensory cortex"}})},
     {"accept": {"age": {"sub-01": 40.0}}, "labels": {"bmi": "Body-mass index", "age": "Age at scan",
                                                      "suvr_s1": "Primary somatosensory cortex"}})
case("sidecar_invalid_json", {P: csv(P_HEAD, P_ROWS), SD: "{not json"},
     {"accept": {"age": {"sub-01": 40.0}}, "log": "is not valid JSON and was ignored"})
# --- extra columns and factor coding --------------------------------------------------------------
case("extra_numeric_participants_column", {P: csv(P_HEAD + ",pain_duration_years,site_name",
                                                  [r + f",{d},{n}" for r, d, n in zip(P_ROWS, (2.5, 10, 4, ""),
                                                                                      ("MGH", "MGH", "BWH", "BWH"))])},
     {"accept": {"pain_duration_years": {"sub-01": 2.5}, "site_name": {"sub-03": "BWH"}},
      "dtype": {"pain_duration_years": "float64"}, "log": "extra column 'pain_duration_years' read as numbers"})
case("extra_column_with_levels_is_factor", {P: csv(P_HEAD + ",handedness", [r + f",{h}" for r, h in zip(P_ROWS, (1, 2, 1, 1))]),
                                           SD: json.dumps({"handedness": {"Levels": {"1": "right", "2": "left"}}})},
     {"accept": {"handedness": {"sub-02": "2"}}, "categories": {"handedness": [1, 2]}})
case("protocol_1_and_1_0_one_level", {P: csv(P_HEAD, replace(replace(P_ROWS, 1, ",1,", ",1.0,"), 3, ",2,", ",2.00,"))},
     {"accept": {"protocol": {"sub-02": "1", "sub-04": "2"}}, "categories": {"protocol": [1, 2]}, "quiet": True})
case("protocol_text_levels", {P: csv(P_HEAD, [r.replace(",1,", ",BrainPET,").replace(",2,", ",mMR,") for r in P_ROWS])},
     {"accept": {"protocol": {"sub-01": "BrainPET"}}, "categories": {"protocol": ["BrainPET", "mMR"]}})
case("protocol_levels_sidecar_keeps_codes", {P: csv(P_HEAD, P_ROWS),
                                             SD: json.dumps({"protocol": {"Levels": {"1": "BrainPET", "2": "mMR"}}})},
     {"accept": {"protocol": {"sub-01": "1"}}, "categories": {"protocol": [1, 2]}})
case("unused_genotype_level_dropped", {P: csv(P_HEAD, P_ROWS)},
     {"accept": {"tspo_genotype": {"sub-01": "HAB"}}, "categories": {"tspo_genotype": ["HAB", "MAB"],
                                                                   "sex": ["F", "M"]}})
case("unused_level_dropped_after_merge", {P: csv(P_HEAD, replace(P_ROWS, 1, "MAB", "Thr/Thr")), SS: csv(S_HEAD, [S_ROWS[0], *S_ROWS[2:]])},
     {"accept": {"tspo_genotype": {"sub-01": "HAB"}}, "categories": {"tspo_genotype": ["HAB"], "subtype": ["axial", "radicular"]},
      "warn": ["no row in the suvr table", "sub-02"], "n_rows": 3})
case("numeric_subtype_without_levels", {P: csv(P_HEAD, [r.replace("radicular", "2").replace("axial", "1") for r in P_ROWS])},
     err("1 is not a known back pain subtype", line=2, column="subtype", count=4))
case("hostile_levels_kept_as_data", {P: csv(P_HEAD + ",scanner", [r + f",{s}" for r, s in zip(P_ROWS, ("<b>mMR</b>", "$\\foo$",
                                                                                               "{{7*7}}", "<b>mMR</b>"))])},
     {"accept": {"scanner": {"sub-01": "<b>mMR</b>", "sub-02": "$\\foo$", "sub-03": "{{7*7}}"}}, "categorical": ["scanner"]})
# --- numbers ------------------------------------------------------------------------------------
case("underscore_in_number", {P: csv(P_HEAD, replace(P_ROWS, 2, "24.0", "2_4"))},
     err('"2_4" is not a number (an underscore', line=4, column="bmi"))
case("thousands_separator", {P: csv(PU_HEAD, replace(PU_ROWS, 0, ",500,", ',"1,500",'))},
     err('"1,500" looks like a number written with a thousands separator', line=2, column="injected_dose_mbq"))
case("thousands_separator_semicolon_file", {P: csv(PU_HEAD.replace(",", ";"),
                                                  replace([r.replace(",", ";") for r in PU_ROWS], 1, ";520;", ";1.520,5;"))},
     err('"1.520,5" looks like a number written with a thousands separator', line=3, column="injected_dose_mbq"))
case("unicode_minus", {**SQ, C: csv(C_HEAD, replace(C_ROWS, 0, "0.31", "\u22120.31"))},
     {"accept": {"conn_s1__thalamus": {"sub-01": -0.31}}, "log": "Unicode minus"})
case("fullwidth_digits", {P: csv(P_HEAD, replace(P_ROWS, 0, ",40,", ",\uff14\uff10,"))},
     {"accept": {"age": {"sub-01": 40.0}}, "log": "full-width digits"})
case("spreadsheet_div0", {**SQ, S: csv(S_HEAD, replace(S_ROWS, 1, "1.11", "#DIV/0!"))},
     err('"#DIV/0!" is a spreadsheet error value', "leave the cell empty", line=3, column="s1"))
case("spreadsheet_na", {**SQ, Q: csv(Q_HEAD, replace(Q_ROWS, 0, "2.5", "#N/A"))},
     err('"#N/A" is a spreadsheet error value', line=2, column="bpi_severity"))
case("spreadsheet_value_error", {P: csv(P_HEAD, replace(P_ROWS, 3, "62", "#VALUE!"))},
     err('"#VALUE!" is a spreadsheet error value', line=5, column="age"))
case("magnitude_1e308_extra_score", {**SQ, Q: csv(Q_HEAD + ",pcs", [r + f",{v}" for r, v in zip(Q_ROWS, (10, "1e308", 12, 9))])},
     err("1e308 is implausibly large in magnitude", line=3, column="pcs"))
case("magnitude_1e308_age", {P: csv(P_HEAD, replace(P_ROWS, 0, ",40,", ",1e308,"))},
     err("1e308 is above the maximum 100", line=2, column="age"))
case("overflow_to_infinity", {**SQ, S: csv(S_HEAD, replace(S_ROWS, 0, "1.05", "1e999"))},
     err("1e999 is not a finite number", line=2, column="s1"))
case("fisher_z_25", {**SQ, C: csv(C_HEAD, replace(C_ROWS, 2, "0.12", "25"))},
     err("25 is outside the plausible range -5–5", line=4, column="s1__thalamus"))
case("hex_number", {P: csv(P_HEAD, replace(P_ROWS, 0, ",40,", ",0x28,"))}, err('"0x28" is not a number', line=2, column="age"))
case("percent_sign", {P: csv(P_HEAD, replace(P_ROWS, 1, "27.5", "27.5%"))}, err('"27.5%" is not a number', line=3, column="bmi"))
case("plus_sign_and_exponent", {**SQ, C: csv(C_HEAD, replace(replace(C_ROWS, 0, "0.31", "+0.31"), 1, "0.52", "5.2e-1"))},
     {"accept": {"conn_s1__thalamus": {"sub-01": 0.31, "sub-02": 0.52}}, "quiet": True})
case("tab_file_decimal_comma", {"participants:participants.tsv": csv(P_HEAD.replace(",", "\t"),
                                [r.replace(",", "\t").replace("22.1", "22,1") for r in P_ROWS])},
     {"accept": {"bmi": {"sub-01": 22.1, "sub-02": 27.5}}, "log": "decimal commas"})
case("missing_value_tokens", {P: csv(P_HEAD, [replace(P_ROWS, 0, "22.1", "NA")[0], replace(P_ROWS, 1, "27.5", "n/a")[1],
                                              replace(P_ROWS, 2, "24.0", ".")[2], P_ROWS[3]])},
     {"accept": {"bmi": {"sub-04": 30.2}}, "nan": {"bmi": ["sub-01", "sub-02", "sub-03"]}, "quiet": True})
# --- short rows -----------------------------------------------------------------------------------
case("short_row", {P: csv(P_HEAD, replace(P_ROWS, 2, ",24.0", ""))},
     err("has 6 fields but the header has 7", "short rows are not padded", line=4))
case("short_rows_all_listed", {P: csv(P_HEAD, [P_ROWS[0], P_ROWS[1].rsplit(",", 1)[0], P_ROWS[2], P_ROWS[3].rsplit(",", 2)[0]])},
     err("line 3", "line 5", count=2))
case("single_column_file", {P: csv("subject_id", ["sub-01", "sub-02"])},
     err("required column is missing", count=3, line=1))
# --- subject IDs ----------------------------------------------------------------------------------
case("ids_prefix_padding_case_across_tables", {
    P: csv(P_HEAD.replace("subject_id", "participant_id"), [r.replace("sub-0", "sub-00") for r in P_ROWS]),
    S: csv(S_HEAD, [r.replace("sub-0", "00") for r in S_ROWS]), Q: csv(Q_HEAD, [r.replace("sub-0", "") for r in Q_ROWS]),
    C: csv(C_HEAD, [r.replace("sub-0", "SUB-0") for r in C_ROWS])},
    {"accept": {"suvr_s1": {"sub-001": 1.05}, "paindetect": {"sub-004": 20.0}, "conn_s1__thalamus": {"sub-002": 0.52}},
     "log": "matched to participants.csv under another spelling", "quiet": True,
     "subject_ids": ["sub-001", "sub-002", "sub-003", "sub-004"]})
case("ids_case_only", {P: csv(P_HEAD, [r.replace("sub-0", "S0") for r in P_ROWS]), S: csv(S_HEAD, [r.replace("sub-0", "s0") for r in S_ROWS])},
     {"accept": {"suvr_s1": {"S01": 1.05}}, "log": "'s01' → 'S01'", "subject_ids": ["S01", "S02", "S03", "S04"]})
case("id_prefix_only", {P: csv(P_HEAD, replace(P_ROWS, 1, "sub-02", "sub-"))},
     err("'sub-' is only a prefix; every row needs a subject ID", line=3, column="subject_id"))
case("id_whitespace_only", {P: csv(P_HEAD, replace(P_ROWS, 2, "sub-03", "   "))},
     err("is empty; every row needs a subject ID", line=4, column="subject_id"))
case("duplicate_id_case_and_padding", {P: csv(P_HEAD, [*P_ROWS, "SUB-001,axial,2,HAB,F,45,23.0"])},
     err("SUB-001 is a duplicate subject ID (also on line 2 as 'sub-01')", line=6, column="subject_id"))
case("ids_none_match", {P: P_TXT, S: csv(S_HEAD, [r.replace("sub-0", "P-1") for r in S_ROWS])},
     err("only 0 of the 4 subject IDs match participants.csv", "'P-11'", "'sub-01'", column="subject_id"))
case("ids_fewer_than_half_match", {P: P_TXT, Q: csv(Q_HEAD, [Q_ROWS[0], *[r.replace("sub-0", "x") for r in Q_ROWS[1:]]])},
     err("only 1 of the 4 subject IDs match participants.csv", "questionnaires.csv has 'x2'", column="subject_id"))
case("ids_half_match_accepted", {P: P_TXT, S: csv(S_HEAD, [*S_ROWS[:2], *[r.replace("sub-0", "x") for r in S_ROWS[2:]]])},
     {"accept": {"suvr_s1": {"sub-01": 1.05}}, "warn": ["not in the participants table: x3, x4"], "n_rows": 2,
      "unmatched": {"suvr": ["x3", "x4"], "participants": ["sub-03", "sub-04"]}})
case("merge_matches_nobody", {P: P_TXT, S: csv(S_HEAD, S_ROWS[:2]), Q: csv(Q_HEAD, Q_ROWS[2:])},
     err("no subject is in every table", "how='outer'", column="subject_id"))
case("warning_quotes_id_as_written", {P: P_TXT, S: csv(S_HEAD, [*S_ROWS, "sub-999,1.0,1.1"])},
     {"accept": {"suvr_s1": {"sub-01": 1.05}}, "warn": ["sub-999"], "unmatched": {"suvr": ["sub-999"]}})
case("hostile_ids_kept_as_data", {P: csv(P_HEAD, [r.replace(f"sub-0{i}", x) for i, (r, x) in enumerate(zip(P_ROWS, (
    "<script>alert(1)</script>", "=cmd|' /C calc'!A0", "'; DROP TABLE x;--", "{{7*7}}")), start=1)])},
     {"accept": {"age": {"<script>alert(1)</script>": 40.0, "=cmd|' /C calc'!A0": 51.0, "{{7*7}}": 62.0}}, "quiet": True})
case("hostile_column_name_kept", {P: csv(P_HEAD + ',"<img src=x onerror=alert(1)>"', [r + ",1" for r in P_ROWS])},
     {"accept": {"<img_src=x_onerror=alert(1)>": {"sub-01": 1.0}}})
case("unicode_ids", {P: csv(P_HEAD, [r.replace("sub-0", "sub-ü") for r in P_ROWS]),
                     S: csv(S_HEAD, [r.replace("sub-0", "SUB-Ü") for r in S_ROWS])},
     {"accept": {"suvr_s1": {"sub-ü1": 1.05}}, "subject_ids": ["sub-ü1", "sub-ü2", "sub-ü3", "sub-ü4"]})
# --- long layouts -------------------------------------------------------------------------------
LONG_S = ["subject_id,region,suvr"] + [f"{r.split(',')[0]},{reg},{v}" for r in S_ROWS
                                        for reg, v in zip(("s1", "thalamus"), r.split(",")[1:])]
case("long_empty_region", {**SQ, S: "\n".join([*LONG_S[:4], "sub-02,,1.20", *LONG_S[5:]]) + "\n"},
     err("is empty; every row of the long layout needs a region", line=5, column="region"))
case("long_empty_subject", {**SQ, S: "\n".join([*LONG_S[:6], ",s1,0.98", *LONG_S[7:]]) + "\n"},
     err("is empty; every row of the long layout needs a subject ID", line=7, column="subject_id"))
case("long_connectivity_empty_target", {**SQ, C: csv("subject_id,seed,target,value",
                                                    ["sub-01,s1,thalamus,0.31", "sub-02,s1,,0.52", "sub-03,s1,thalamus,0.12",
                                                     "sub-04,s1,thalamus,0.44"])},
     err("needs a target", line=3, column="target"))
case("long_value_error_names_its_line", {**SQ, S: "\n".join([*LONG_S[:6], "sub-03,thalamus,7.5", *LONG_S[7:]]) + "\n"},
     err("7.5 is outside the plausible range 0.2–5", line=7, column="thalamus"))
case("long_region_names_normalised", {**SQ, S: "\n".join([LONG_S[0]] + [ln.replace(",s1,", ",S1 ,").replace(",thalamus,", ",Thalamus,")
                                                                        for ln in LONG_S[1:]]) + "\n"},
     {"accept": {"suvr_s1": {"sub-02": 1.11}, "suvr_thalamus": {"sub-04": 1.18}}, "no_columns": ["suvr_S1"]})
case("long_ids_mixed_spelling", {**SQ, S: "\n".join([LONG_S[0]] + [ln.replace("sub-01,thalamus", "01,thalamus") for ln in LONG_S[1:]]) + "\n"},
     {"accept": {"suvr_thalamus": {"sub-01": 1.12}}, "n_rows": 4})
case("long_duplicate_mixed_spelling", {**SQ, S: "\n".join([*LONG_S, "1,s1,1.07"]) + "\n"},
     err("appears twice for the same subject", "also on line 2", line=10))
# --- size -----------------------------------------------------------------------------------------
WIDE_REGIONS = [f"r{i}" for i in range(3000)]
case("very_wide_suvr", {**SQ, S: csv("subject_id," + ",".join(WIDE_REGIONS),
                                     [f"sub-0{i}," + ",".join(f"{1 + (i * j % 7) / 10:.1f}" for j in range(3000))
                                      for i in range(1, 5)])},
     {"accept": {"suvr_r2999": {"sub-01": 1.3}}, "n_columns_at_least": 3000, "quiet": True})
MANY = [f"sub-{i:05d},{('axial', 'radicular')[i % 2]},{1 + i % 2},{('HAB', 'MAB')[i % 3 == 0]},F,{20 + i % 60},{20 + i % 10}"
        for i in range(1, 3001)]
case("many_rows", {P: csv(P_HEAD, MANY)},
     {"accept": {"age": {"sub-03000": 20.0 + 3000 % 60}}, "n_rows": 3000, "quiet": True})
case("many_rows_error_at_the_end", {P: csv(P_HEAD, [*MANY[:-1], MANY[-1].replace(",F,", ",Q,")])},
     err('"Q" is not a known sex', line=3001, column="sex"))
case("many_errors_listed_and_counted", {P: csv(P_HEAD, [m.replace(",F,", ",Q,") for m in MANY[:400]])},
     err("and 200 more problems in this table", count=201))

# --- found by probing after the fuzz (kept as cases) --------------------------------------------
case("separator_only_file", {P: ",,,,\n,,,\n;;\n"}, err("has no header", "only blank lines or separators"))
case("quoted_newline_in_header", {P: csv('"subject\nid",subtype,protocol,tspo_genotype,sex,age,bmi',
                                         replace(P_ROWS, 0, ",40,", ",140,"))},
     err("140 is above the maximum 100", line=3, column="age"))
case("utf16_with_error_line", {P: b"\xff\xfe" + csv(P_HEAD, replace(P_ROWS, 2, "axial", "axail")).encode("utf-16-le")},
     err('"axail" is not a known back pain subtype', line=4, column="subtype"))

case("single_protocol_site", {P: csv(P_HEAD, [r.replace(",2,", ",1,") for r in P_ROWS])},
     {"accept": {"protocol": {"sub-04": "1"}}, "categories": {"protocol": [1]}, "log": "'protocol' has a single level",
      "quiet": True})

(HERE / "cases.json").write_text(json.dumps(CASES, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
print(f"{len(CASES)} cases written")
