"""A simulated cohort calibrated to the reference study (Alshelh et al., Brain 2022).

The real data are not public; this generator reproduces the published figures in expectation
(``../shared/design/PAPER_TARGETS.md``): two protocols with the paper's group sizes, HAB/MAB
genotype lowering PBR28 binding, BMI higher in radicular patients, questionnaires with the paper's
missingness, radicular > axial SUVR in S1 (not thalamus), and the causal chain
S1 SUVR → Fibromyalgia Survey Score → S1–thalamus connectivity that the paper's mediation Model 1
found.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._rng import SeedLike, check_rng
from ..exceptions import SpecificationError

#: default effect sizes; override any of them through ``simulate_cohort(**effects)``
DEFAULT_EFFECTS: dict[str, float] = {
    "s1_group_d": 0.62,        # radicular − axial in S1 SUVR, in within-group SD units
    "thalamus_group_d": 0.15,  # ... in thalamus (small, n.s. after Bonferroni)
    "other_roi_group_d": 0.5,  # IPS, PCC, white matter (the voxelwise map's other regions)
    "s1_to_fss": 0.40,         # path a (standardised): S1 SUVR → Fibromyalgia Survey Score
    "group_to_fss": 0.45,      # radicular − axial in FSS beyond S1, SD units
    "fss_to_conn": 0.48,       # path b (standardised): FSS → S1–thalamus connectivity
    "s1_to_conn": 0.08,        # direct path c′ (standardised)
    "group_to_conn": 0.90,     # radicular − axial in connectivity beyond the chain, SD units
    "s1_to_paindetect": 0.20,  # weak S1 – painDETECT association
    "mab_binding": 0.80,       # MAB whole-brain SUV as a fraction of HAB
    "mab_suvr_shift": -0.02,   # residual genotype effect on SUVR
    "protocol_suvr_shift": 0.03,  # scanner difference (BrainPET vs Biograph mMR) in SUVR
}

_SUVR_SD = 0.085
_CONN_SD = 0.28
_FSS_MEAN, _FSS_SD = 7.3, 3.2


def _protocol_sizes(n_axial: int, n_radicular: int) -> tuple[int, int, int, int]:
    """Split the groups over protocols in the paper's proportions (P1: 10 ax + 15 rad of 26/28)."""
    ax1 = round(n_axial * 10 / 26)
    rad1 = round(n_radicular * 15 / 28)
    return ax1, n_axial - ax1, rad1, n_radicular - rad1


def _pick(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """Boolean mask with exactly ``k`` of ``n`` set at random."""
    mask = np.zeros(n, dtype=bool)
    mask[rng.choice(n, size=min(k, n), replace=False)] = True
    return mask


def simulate_tables(
    n_axial: int = 26, n_radicular: int = 28, seed: SeedLike = None, **effects: float
) -> dict[str, pd.DataFrame]:
    """The four exports (participants, suvr, connectivity, questionnaires) of a simulated cohort."""
    unknown = set(effects) - set(DEFAULT_EFFECTS)
    if unknown:
        raise SpecificationError(
            f"unknown effect(s) {sorted(unknown)}; known: {', '.join(sorted(DEFAULT_EFFECTS))}."
        )
    if n_axial < 2 or n_radicular < 2:
        raise SpecificationError("n_axial and n_radicular must each be at least 2.")
    e = {**DEFAULT_EFFECTS, **effects}
    rng = check_rng(seed)
    ax1, ax2, rad1, rad2 = _protocol_sizes(n_axial, n_radicular)
    n = n_axial + n_radicular
    subtype = np.array(["axial"] * (ax1 + ax2) + ["radicular"] * (rad1 + rad2))
    protocol = np.array(["1"] * ax1 + ["2"] * ax2 + ["1"] * rad1 + ["2"] * rad2)
    g = (subtype == "radicular").astype(float)
    p2 = (protocol == "2").astype(float)
    # demographics (Table 1 and the Methods' per-protocol ages)
    age_mu = np.select([(g == 0) & (p2 == 0), (g == 0) & (p2 == 1), (g == 1) & (p2 == 0)],
                       [35.1, 49.1, 47.2], 49.6)
    age_sd = np.select([(g == 0) & (p2 == 0), (g == 0) & (p2 == 1), (g == 1) & (p2 == 0)],
                       [11.5, 17.3, 12.2], 14.5)
    age = np.clip(rng.normal(age_mu, age_sd), 19, 85).round(0)
    sex = np.where(rng.random(n) < 0.575, "F", "M")
    mab = rng.random(n) < np.where(g == 1, 5 / 28, 6 / 26)
    genotype = np.where(mab, "MAB", "HAB")
    bmi = np.clip(rng.normal(np.where(g == 1, 28.1, 23.9), np.where(g == 1, 4.9, 3.9)), 16, 50).round(1)
    dose = rng.normal(np.select([(g == 1) & (p2 == 0), (g == 0) & (p2 == 0), (g == 1) & (p2 == 1)],
                                [403.3, 432.1, 515.6], 531.0), np.where(p2 == 1, 37.0, 45.0)).round(1)
    sa_mu = np.select([(g == 1) & (p2 == 0), (g == 0) & (p2 == 0), (g == 1) & (p2 == 1)], [91.7, 67.4, 43.3], 41.3)
    sa = (sa_mu * rng.lognormal(-0.045, 0.3, n)).round(1)
    mass_mu = np.select([(g == 1) & (p2 == 0), (g == 0) & (p2 == 0), (g == 1) & (p2 == 1)], [2.4, 3.0, 5.5], 6.0)
    mass = (mass_mu * rng.lognormal(-0.08, 0.4, n)).round(2)
    # S1 SUVR and the mediation chain (standardised latent scale)
    x = e["s1_group_d"] * g + rng.standard_normal(n)
    xs = (x - x.mean()) / x.std()
    gs = g - g.mean()
    m = e["s1_to_fss"] * xs + e["group_to_fss"] * gs + rng.standard_normal(n) * np.sqrt(1 - e["s1_to_fss"] ** 2)
    y = (e["s1_to_conn"] * xs + e["fss_to_conn"] * m + e["group_to_conn"] * gs
         + rng.standard_normal(n) * np.sqrt(max(0.2, 1 - e["fss_to_conn"] ** 2 - e["s1_to_conn"] ** 2)))
    shift = e["protocol_suvr_shift"] * p2 + e["mab_suvr_shift"] * mab
    s1 = 1.08 + _SUVR_SD * x + shift
    thal = 1.15 + _SUVR_SD * (e["thalamus_group_d"] * g + 0.1 * xs + rng.standard_normal(n)) + shift
    other = {
        name: base + _SUVR_SD * (e["other_roi_group_d"] * g + 0.25 * xs + rng.standard_normal(n)) + shift
        for name, base in (("ips", 1.02), ("pcc", 1.10), ("wm_left", 0.86), ("wm_right", 0.87))
    }
    whole_brain = 1.35 * np.where(mab, e["mab_binding"], 1.0) * rng.lognormal(0, 0.18, n)
    suvr = pd.DataFrame({"subject_id": [f"sub-{i + 1:03d}" for i in range(n)], "s1": s1, "thalamus": thal,
                         **other, "whole_brain": whole_brain}).round(4)
    conn = pd.DataFrame({
        "subject_id": suvr["subject_id"],
        "s1__thalamus": (0.30 + _CONN_SD * y + 0.05 * p2).round(4),
        "s1__pcc": (0.20 + 0.25 * rng.standard_normal(n)).round(4),
        "thalamus__pcc": (0.25 + 0.25 * rng.standard_normal(n)).round(4),
    })
    # questionnaires: FSS = WPI + SSS; painDETECT; BPI
    fss = np.clip(np.round(_FSS_MEAN + _FSS_SD * m), 0, 31)
    sss = np.minimum(np.clip(np.round(fss * 0.45 + rng.normal(0, 1, n)), 0, 12), fss)
    wpi = np.minimum(fss - sss, 19)
    sss = fss - wpi
    pd_score = np.clip(np.round(np.where(g == 1, 12.6, 8.4) + e["s1_to_paindetect"] * 4.5 * xs
                                + rng.normal(0, 4.3, n)), -1, 38)
    bpi = np.clip(np.round((np.where(g == 1, 2.6, 2.8) + rng.normal(0, 1.6, n)) * 4) / 4, 0, 10)
    rad, axl = np.flatnonzero(g == 1), np.flatnonzero(g == 0)

    def available(k_rad: int, k_ax: int) -> np.ndarray:
        keep = np.zeros(n, dtype=bool)
        keep[rad[_pick(rng, rad.size, round(k_rad * rad.size / 28))]] = True
        keep[axl[_pick(rng, axl.size, round(k_ax * axl.size / 26))]] = True
        return keep

    has_fss, has_pd, has_bpi = available(16, 19), available(18, 26), available(25, 20)
    quest = pd.DataFrame({
        "subject_id": suvr["subject_id"],
        "paindetect": np.where(has_pd, pd_score, np.nan),
        "bpi_severity": np.where(has_bpi, bpi, np.nan),
        "wpi": np.where(has_fss, wpi, np.nan),
        "sss": np.where(has_fss, sss, np.nan),
        "fss": np.where(has_fss, fss, np.nan),
    })
    participants = pd.DataFrame({
        "subject_id": suvr["subject_id"], "subtype": subtype, "protocol": protocol,
        "scanner": np.where(p2 == 1, "Biograph mMR", "BrainPET"), "tspo_genotype": genotype,
        "sex": sex, "age": age, "bmi": bmi, "injected_dose_mbq": dose,
        "specific_activity_gbq_umol": sa, "injected_mass_ug": mass,
    })
    order = rng.permutation(n)  # exports are not sorted by group
    return {k: v.iloc[order].reset_index(drop=True) for k, v in
            {"participants": participants, "suvr": suvr, "connectivity": conn, "questionnaires": quest}.items()}


def simulate_cohort(
    n_axial: int = 26, n_radicular: int = 28, seed: SeedLike = None, **effects: float
) -> pd.DataFrame:
    """Simulate a cohort calibrated to the reference study, in the merged layout.

    Parameters
    ----------
    n_axial, n_radicular : int, default 26 and 28
        Group sizes; protocols split them as the paper did (Protocol 1: 10 axial + 15 radicular).
    seed : int, Generator or None
        Random seed.
    **effects : float
        Override any of :data:`DEFAULT_EFFECTS` (e.g. ``s1_group_d=0`` for a null cohort).

    Returns
    -------
    DataFrame
        The frame :func:`read_cohort` would return for the four exports of this cohort.

    Notes
    -----
    Over many seeds the expected statistics sit near the published ones: S1 group F(1, 50) ≈ 5.7
    adjusted for protocol and genotype, S1 SUVR–FSS r ≈ 0.43, S1–thalamus connectivity–FSS
    r ≈ 0.57, S1 SUVR–connectivity r ≈ 0.43, and a clearly non-zero indirect effect for mediation
    Model 1 (X = S1 SUVR, M = FSS, Y = connectivity). Questionnaires are missing as in the paper:
    FSS for 19 of 54, painDETECT for 10, BPI for 9.

    Examples
    --------
    >>> df = simulate_cohort(seed=3)
    >>> df.groupby("subtype", observed=True).size().to_dict()
    {'axial': 26, 'radicular': 28}
    >>> int(df["fss"].notna().sum())
    35
    """
    import warnings

    from .cohort import merge_tables
    from .io import read_raw
    from .schema import load_schema
    from .validate import check_table

    tables = simulate_tables(n_axial, n_radicular, seed, **effects)
    checked = {}
    for name, frame in tables.items():
        vt = check_table(read_raw(frame, name, load_schema(name).missing_values), name)
        if vt.problems:  # pragma: no cover - the simulator always writes valid tables
            from ..exceptions import DataValidationError

            raise DataValidationError(vt.problems)
        checked[name] = vt
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = merge_tables(checked, how="inner")
    out.attrs["neuroimmune_stats"]["simulated"] = {"n_axial": n_axial, "n_radicular": n_radicular,
                                                   "effects": dict(sorted({**DEFAULT_EFFECTS, **effects}.items()))}
    return out.sort_values("subject_id").reset_index(drop=True)

