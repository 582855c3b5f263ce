# L. Qian, D. Soloveichik, E. Winfree. Efficient Turing-universal computation with DNA polymers. DNA Computing and Molecular Programming 16, LNCS 6518:123-140, 2011 (Figure 1, corrected).
#
# dsdcompile's encoding, in nuskell's translation-scheme language, of nuskell's corrected variant
# qian2011_3D_var1 of the three-domain gate: signals are "hist th recog", a history-like branch domain and
# a recognition domain of their own around the one toehold th shared by every species. The gate binds the
# reactants in order ("recog th" of each is released), then the free strand "th f g" (in excess) makes an
# irreversible step before any product is released; each product leaves as "hist th recog" and the free
# strands "th hist" (per product) and "recog th" (per reactant), in excess, close the gate behind it.
# The literature gate (Fig. 1) lets the reactants' binding be undone after products were released: nuskell
# finds it not equivalent on most networks; this variant is the one to build. Reactions are translated as
# irreversible ones (a reversible reaction is two modules). A reaction without reactants is dsdcompile's
# "F -> products" with a fuel signal F.

global toe = short();

class formal(s) = "hist th recog" | ". . ." where { hist = long(); th = toe; recog = long() };

# A reactant's place on the gate: top "recog th", bottom part "th* recog*".
macro takes(s) = [ "r t +" | "( ( +", "t* r*" | ") )" ] where { r = s.recog; t = toe };

# A product's place: top "hist th recog" (recog unpaired), bottom part "th* hist*".
macro gives(s) = [ "h t r +" | "( ( . +", "t* h*" | ") )" ] where { h = s.hist; t = toe; r = s.recog };

class gate(rs, ps) =
  [ "rtop f + g t + ptop f + f* pbot t* g* f* rbot t*" | "~ ( + ( ( + ~ ( + ) ~ ) ) ) ~ .",
    "t f g" | ". . ." ]
  where {
    t = toe;
    f = long();
    g = long();
    [rtop, rbotr] = flip(map(takes, rs), 2);
    rbot = reverse(rbotr);
    [ptop, pbotr] = flip(map(gives, ps), 2);
    pbot = reverse(pbotr) };

class closer(s) = "t h" | ". ." where { t = toe; h = s.hist };

class opener(s) = "r t" | ". ." where { r = s.recog; t = toe };

module reaction(r) = sum(map(infty, gate(r.reactants, r.products) + map(closer, r.products) + map(opener, r.reactants)));

module main(crn) = sum(map(reaction, irrev_reactions(crn)));
