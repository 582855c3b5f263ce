# L. Qian, D. Soloveichik, E. Winfree. Efficient Turing-universal computation with DNA polymers. DNA Computing and Molecular Programming 16, LNCS 6518:123-140, 2011 (Figure 1).
#
# dsdcompile's encoding, in nuskell's translation-scheme language, of the three-domain gate as nuskell
# builds it (nuskell's qian2011_3D): signals are "hist th recog", a history-like branch domain and a
# recognition domain of their own around the one toehold th shared by every species. dsdcompile's built-in
# qian2011_3D (Python) gives every species its own toehold instead; this is nuskell's version. The gate
# binds the reactants in order ("recog th" of each is released, and is also free in excess), then the free
# strand "th f" releases the products "hist th recog", which the free strands "th hist" (in excess) close
# behind. For irreversible reactions the gate is not a correct implementation on most networks (nuskell's
# tables: not equivalent on 11 of its 17 basic ones, as here): prefer qian2011_3D_var1. Reactions are translated as irreversible ones (nuskell
# builds one combined gate for a reversible pair; here it is two modules). A reaction without reactants is
# dsdcompile's "F -> products" with a fuel signal F.

global toe = short();

class formal(s) = "hist th recog" | ". . ." where { hist = long(); th = toe; recog = long() };

# A reactant's place on the gate: top "recog th", bottom part "th* recog*", and "recog th" in excess.
macro takes(s) = [ "r t +" | "( ( +", "t* r*" | ") )", "r t" | ". ." ] where { r = s.recog; t = toe };

# A product's place: top "hist th recog" (recog unpaired), bottom part "th* hist*".
macro gives(s) = [ "h t r +" | "( ( . +", "t* h*" | ") )" ] where { h = s.hist; t = toe; r = s.recog };

class gate(rs, ps) =
  [ "rtop ptop f + f* pbot rbot t*" | "~ ~ ( + ) ~ ~ .", "t f" | ". ." ] + rfree
  where {
    t = toe;
    f = long();
    [rtop, rbotr, rfree] = flip(map(takes, rs), 3);
    rbot = reverse(rbotr);
    [ptop, pbotr] = flip(map(gives, ps), 2);
    pbot = reverse(pbotr) };

class closer(s) = "t h" | ". ." where { t = toe; h = s.hist };

module reaction(r) = sum(map(infty, gate(r.reactants, r.products) + map(closer, r.products)));

module main(crn) = sum(map(reaction, irrev_reactions(crn)));
