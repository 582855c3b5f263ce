"""Sequence-design constraints: one frozen config with documented defaults.

Energies are ViennaRNA free energies in kcal/mol with the DNA parameters of Mathews et al.
2004 (``RNA.params_load_DNA_Mathews2004``) at ``temperature_C`` and ViennaRNA's default
monovalent salt (1.021 M Na+). More negative = binds more strongly.

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
- strands that should not bind: duplex free energy above ``crosstalk_dG``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from dsdcompile.errors import InputError


@dataclass(frozen=True)
class SequenceConstraints:
    """Every knob of sequence design and checking, with its default."""

    seed: int = 0
    temperature_C: float = 25.0
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
    repair_ssm_slack: int = 4            # SSM windows a kept thermodynamic repair may add
    repair_rounds: int = 20              # check-and-repair rounds (stops early once everything passes)
    crosstalk_pairs: int = 3000          # ViennaRNA duplex energy for the pairs the stack screen ranks worst
    synthesis_limit_nt: int = 200        # longest strand a vendor synthesises (IDT ultramers: 200 nt)
    page_min_nt: int = 60                # strands this long or longer are ordered PAGE-purified

    def __post_init__(self) -> None:
        if not 0.0 <= self.gc_min <= self.gc_max <= 1.0:
            raise InputError(f"GC window must satisfy 0 <= gc_min <= gc_max <= 1, got {self.gc_min}..{self.gc_max}")
        for name in ("max_g_run", "max_run", "kmer", "max_iterations", "synthesis_limit_nt", "page_min_nt"):
            if getattr(self, name) < 1:
                raise InputError(f"sequence constraint {name} must be at least 1, got {getattr(self, name)}")
        if self.max_paired < 0 or self.crosstalk_pairs < 0 or self.repair_ssm_slack < 0:
            raise InputError("max_paired and crosstalk_pairs must not be negative")
        if not self.toehold_window > 0:
            raise InputError(f"toehold_window must be positive, got {self.toehold_window}")
        if not 0.0 < self.complex_probability <= 1.0:
            raise InputError(f"complex_probability must be in (0, 1], got {self.complex_probability}")
        if not -20.0 <= self.temperature_C <= 100.0:
            raise InputError(f"temperature {self.temperature_C} °C is outside ViennaRNA's range")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


__all__ = ["SequenceConstraints"]
