"""Sequence-design constraints: one frozen config with documented defaults.

Energies are ViennaRNA free energies in kcal/mol with the DNA parameters of Mathews et al.
2004 (``RNA.params_load_DNA_Mathews2004``), more negative = binds more strongly, evaluated at
the conditions of the wet-lab protocol (:class:`dsdcompile.config.KineticsConfig`'s buffer,
"1x TAE with 12.5 mM Mg2+"):

- ``temperature_C`` 25 °C: the protocol anneals down to 20 °C and then runs the reactions at
  room temperature and states no reaction temperature; 25 °C is where the strand-displacement
  rates behind the kinetics were measured (peppercorn's rate model is calibrated on Zhang &
  Winfree 2009: 25 °C, 1x TAE with 12.5 mM Mg2+).
- ``sodium_M`` 0.020 M: monovalent cations. 1x TAE has 40 mM Tris, of which half counts as a
  monovalent cation (Tris+/2, the convention of Peyret 2000 and Owczarzy 2008).
- ``magnesium_M`` 0.0125 M, the protocol's Mg2+.

ViennaRNA's salt correction (``md.salt``) models monovalent ions only, so Mg2+ enters through
the sodium-equivalent concentration of Peyret (2000), [Na+]eq = [Na+] + 3.3 √[Mg2+] (molar),
0.389 M with the defaults (:attr:`SequenceConstraints.salt_M`). ``magnesium_M=0, sodium_M=1.021``
gives ViennaRNA's standard conditions (no correction).

Defaults follow common practice for DNA strand-displacement designs (Zhang & Seelig 2011,
Chen et al. 2013, Thachuk et al. 2015):

- long (branch/history) domains: 40-60 % GC, no GGGG (and, since a complement's G run is a
  C run, no CCCC either), no run of 5 or more of any base;
- toeholds all of one length (the scheme's) with duplex free energy inside a 1 kcal/mol window
  around the median of the admissible sequences, so all toehold-mediated steps run at similar
  speeds;
- three-letter alphabet on signal strands (A/C/T; gates' bottom strands then carry A/G/T),
  which keeps signals unstructured and reduces spurious signal-signal binding;
- no unintended complementary window of ``kmer`` nucleotides anywhere in the design
  (sequence symmetry minimisation, Seeman 1990);
- single strands: at most ``max_paired`` paired bases in the MFE structure;
- strands that should not bind: duplex free energy above ``crosstalk_dG``; the same bound for a
  free strand against every single-stranded region of a gate (toeholds, tails);
- helix ends (``junctions``): at every end of an intended helix whose next nucleotides are not
  both paired in the intended structure, those two nucleotides must not be complementary, so
  the helix cannot grow by one pair into a single-stranded domain or slide along a nick.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from dsdcompile.errors import InputError

MG_TO_NA = 3.3  # M^-1/2: Peyret's (2000) sodium equivalent of Mg2+, [Na+]eq = [Na+] + 3.3 sqrt([Mg2+])


@dataclass(frozen=True)
class SequenceConstraints:
    """Every knob of sequence design and checking, with its default."""

    seed: int = 0
    temperature_C: float = 25.0          # reaction temperature (°C)
    sodium_M: float = 0.020              # monovalent cations (M): 1x TAE's Tris+ (40 mM / 2)
    magnesium_M: float = 0.0125          # Mg2+ (M): the protocol's 12.5 mM
    gc_min: float = 0.40                 # per long domain
    gc_max: float = 0.60
    max_g_run: int = 3                   # no GGGG (nor CCCC, its complement) in any domain or junction
    max_run: int = 4                     # no run of 5+ identical bases
    three_letter: bool = True            # A/C/T on signal strands
    toehold_window: float = 1.0          # kcal/mol: width of the toehold duplex-energy window
    toehold_dG: float | None = None      # centre of the window; None = median over admissible toeholds
    kmer: int = 9                        # no unintended complementary window of this length
    max_paired: int = 6                  # paired bases allowed in a single strand's MFE structure
    crosstalk_dG: float = -9.0           # kcal/mol: non-partners must bind more weakly than this
    complex_probability: float = 0.5     # a fuel complex passes if its intended structure is its MFE
                                         # or has at least this equilibrium probability
    max_iterations: int = 20000          # local-search steps (mutations tried) before giving up
    repair_ssm_slack: int | None = None  # SSM windows a kept thermodynamic repair may add (None: no bound;
                                         # the thermodynamic checks decide: a bound of 4 left the virus design
                                         # with 5 strands and 2 complexes failing, see README)
    repair_rounds: int = 20              # check-and-repair rounds (stops early once everything passes)
    crosstalk_pairs: int = 3000          # ViennaRNA duplex energy for the pairs the stack screen ranks worst
    gate_crosstalk_pairs: int = 3000     # the same for (free strand, single-stranded gate region) pairs
    junctions: bool = True               # helix-end bases designed against one-pair extension / nick sliding
    repair_objective: str = "defect"     # failing complexes: "defect" (1 + ensemble defect, partition function)
                                         # or "gap" (1 + MFE gap + misfolded fraction, MFE only)
    synthesis_limit_nt: int = 200        # longest strand a vendor synthesises (IDT ultramers: 200 nt)
    page_min_nt: int = 60                # strands this long or longer are ordered PAGE-purified

    def __post_init__(self) -> None:
        if not 0.0 <= self.gc_min <= self.gc_max <= 1.0:
            raise InputError(f"GC window must satisfy 0 <= gc_min <= gc_max <= 1, got {self.gc_min}..{self.gc_max}")
        for name in ("max_g_run", "max_run", "kmer", "max_iterations", "synthesis_limit_nt", "page_min_nt"):
            if getattr(self, name) < 1:
                raise InputError(f"sequence constraint {name} must be at least 1, got {getattr(self, name)}")
        if min(self.max_paired, self.crosstalk_pairs, self.gate_crosstalk_pairs,
               0 if self.repair_ssm_slack is None else self.repair_ssm_slack) < 0:
            raise InputError("max_paired, crosstalk_pairs, gate_crosstalk_pairs and repair_ssm_slack must not be "
                             "negative")
        if self.sodium_M < 0 or self.magnesium_M < 0:
            raise InputError(f"salt concentrations must not be negative, got Na+ {self.sodium_M} M, "
                             f"Mg2+ {self.magnesium_M} M")
        if not 0.001 <= self.salt_M <= 5.0:
            raise InputError(f"sodium-equivalent salt {self.salt_M:.4g} M (Na+ {self.sodium_M} M, Mg2+ "
                             f"{self.magnesium_M} M) is outside 0.001..5 M")
        if self.repair_objective not in ("defect", "gap"):
            raise InputError(f"repair_objective must be 'defect' or 'gap', got {self.repair_objective!r}")
        if self.repair_rounds < 0:
            raise InputError(f"repair_rounds must not be negative, got {self.repair_rounds}")
        if not self.toehold_window > 0:
            raise InputError(f"toehold_window must be positive, got {self.toehold_window}")
        if not 0.0 < self.complex_probability <= 1.0:
            raise InputError(f"complex_probability must be in (0, 1], got {self.complex_probability}")
        if not -20.0 <= self.temperature_C <= 100.0:
            raise InputError(f"temperature {self.temperature_C} °C is outside ViennaRNA's range")

    @property
    def salt_M(self) -> float:
        """Sodium-equivalent monovalent salt (M) handed to ViennaRNA: [Na+] + 3.3 √[Mg2+] (Peyret 2000)."""
        return self.sodium_M + MG_TO_NA * math.sqrt(self.magnesium_M)

    def conditions(self) -> dict:
        """The physical conditions every free energy is evaluated at (summary.json ``sequences.conditions``)."""
        return {"temperature_C": self.temperature_C, "sodium_M": self.sodium_M, "magnesium_M": self.magnesium_M,
                "sodium_equivalent_M": round(self.salt_M, 6),
                "salt_model": "ViennaRNA salt correction (md.salt) at the sodium-equivalent concentration "
                              "[Na+] + 3.3 sqrt([Mg2+]) (Peyret 2000); ViennaRNA models no Mg2+ itself"}

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


def advice(constraints: SequenceConstraints) -> str:
    """What to try when checks still fail."""
    c = constraints
    return (f"try another seed (--seed {c.seed + 1}), more repair rounds (--repair-rounds {2 * c.repair_rounds}) "
            f"or symmetry-minimisation steps (--iterations {2 * c.max_iterations}), a wider toehold window "
            f"(--toehold-window {2 * c.toehold_window:g}: more distinct toeholds), or longer toeholds (re-run the DSD "
            "stage with DSDConfig(toehold_nt=...)); --allow-failures exits 0 to explore")


__all__ = ["SequenceConstraints", "advice"]
