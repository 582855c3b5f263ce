"""CRNs: reading, checking and writing them (text, JSON, SBML), their exact limit and their structure.

Reading, checking and writing CRNs: the ``.crn`` text format (a superset of nuskell's) and JSON.

The ``.crn`` format: statements one per line or separated by ``;``, ``#`` starts a comment::

    # dsdcompile crn 1
    @input  sepal_length X0p X0m        # network input: name, + rail, - rail
    @output setosa Y0p Y0m              # network output: name, + rail, - rail
    @species M1_0 helper                # role of a species (default: intermediate)
    @species I1_0p hidden node=i1_0 rail=+
    @init I1_0p = 0.25                  # initial concentration (the biases)
    X0p -> I1_0p + I1_3m                # a reaction
    M1_0 + I1_0m -> H1_0m [k=2.5]       # with its own rate constant
    X3p -> 2 Y0p +  Y1m                 # stoichiometric coefficients precede the name
    H1_2p ->                            # no products
    0 -> Y1 [k=0.01]                    # a source reaction ('-> Y1' and '∅ -> Y1' too)

nuskell's CRN syntax is read as written: ``A + B <=> C`` is two reactions (``A + B -> C`` and
``C -> A + B``) whose rates are ``[kf = 1, kr = 2]`` (also ``fw``/``bw``/``rv`` or ``[1, 2]``);
``[k = 1.5]`` or ``[1.5]`` on ``->``; ``2A`` and ``2 A`` (and ``2*A``) are coefficients; an empty
side is ``∅`` (``-> A``, ``A ->``); several statements share a line with ``;``; ``A @initial 5``
(or ``@i``) sets an initial concentration like ``@init A = 5``, in the CRN's own units (nuskell
reads nM); ``@constant`` concentrations are refused.

Species names start with an ASCII letter or ``_`` and hold ASCII letters, digits and ``_``
(nuskell's names are the subset starting with a letter). Signal names and ``node=`` values that
are not plain words are written as JSON strings (``@input "sepal length" X0p X0m``,
``node="x:sepal length"``). Species need no declaration; ``@input``/``@output`` make their rails
input/output species and pair two rails into one dual-rail node, whatever ``@species`` says; a
species is a rail of at most one signal. Repeated ``@init`` lines for a species add up.

Both readers (text and JSON) apply one set of rules (:func:`validate_crn`): at least one reaction,
no reaction without reactants and products, coefficients whole numbers from 1 to
:data:`MAX_COEFFICIENT`, rate constants positive and finite, initial concentrations finite and
>= 0, valid names (signal names and node labels follow the rule of every user-given name,
:mod:`dsdcompile.names`, as a model's input and class names do). Whatever they accept,
:func:`format_crn` writes as text that parses back to the same CRN. Files are read only if they are
regular files of at most :data:`MAX_CRN_FILE_BYTES` (FIFOs, devices and directories are refused
before anything is read), and :func:`read_crn_file` tells text from JSON by content, not by
extension.
"""

from dsdcompile._lazy import lazy_exports as _lazy_exports

_EXPORTS = {
    "FORMAT_HEADER": "dsdcompile.crn.rules",
    "MAX_COEFFICIENT": "dsdcompile.crn.rules",
    "MAX_CRN_FILE_BYTES": "dsdcompile.crn.rules",
    "SNIFF_BYTES": "dsdcompile.crn.rules",
    "canonical_reactions": "dsdcompile.crn.text",
    "crn_file_kind": "dsdcompile.crn.files",
    "crn_from_json": "dsdcompile.crn.jsonio",
    "crn_to_json": "dsdcompile.crn.jsonio",
    "format_crn": "dsdcompile.crn.text",
    "looks_like_crn_text": "dsdcompile.crn.files",
    "parse_crn": "dsdcompile.crn.text",
    "read_crn": "dsdcompile.crn.files",
    "read_crn_file": "dsdcompile.crn.files",
    "read_crn_json": "dsdcompile.crn.files",
    "validate_crn": "dsdcompile.crn.rules",
    "write_crn": "dsdcompile.crn.text",
    "write_crn_json": "dsdcompile.crn.jsonio",
}

__all__ = sorted(_EXPORTS)

__getattr__ = _lazy_exports(__name__, globals(), _EXPORTS)
