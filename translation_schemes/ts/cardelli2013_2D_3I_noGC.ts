# L. Cardelli. Two-domain DNA strand displacement. Mathematical Structures in Computer Science 23:247-271, 2013 (Figures 3-6, 8, 10, 15).
#
# dsdcompile's encoding, in nuskell's translation-scheme language, of nuskell's variant cardelli2013_2D_3I_noGC:
# the two-domain join and fork gates without garbage collection (as cardelli2013_2D_noGC), with the
# three-domain trigger "t b a" of Fig. 15 (b private) that makes the step after the last reactant
# irreversible. Signals are "t x", the
# one toehold t shared by every species and a branch domain x of their own. The strands a gate releases
# ("x t" of every reactant) are also free in excess, so every binding step is reversible; there is no
# catalyst form. A reaction without reactants is dsdcompile's "F -> products" with a fuel signal F.

global th = short();

class formal(s) = "t x" | ". ." where { t = th; x = long() };

# One reactant on the join gate: top "x t", bottom part "t* x*", and the same "x t" free in excess.
macro held(s) = [ "x t +" | "( ( +", "t* x*" | ") )", "x t" | ". ." ] where { x = s.x; t = th };

# One product on the fork gate: top "t x", bottom part "x* t*", and its closing strand "x t" in excess.
macro released(s) = [ "t x +" | "( ( +", "x* t*" | ") )", "x t" | ". ." ] where { x = s.x; t = th };

class forkgate(rs, ps, a) =
  [ "x + ptop t a + t* a* t* pbot x*" | "( + ~ ( ( + . ) ) ~ )" ] + closers
  where {
    x = rs[0].x;
    t = th;
    [ptop, pbotr, closers] = flip(map(released, ps), 3);
    pbot = reverse(pbotr) };

class joingate(rs, ps) =
  [ "htop + b + a t + a + a* t* a* b* hbot t*" | "~ + ( + ( ( + ( + ) ) ) ) ~ .", "t b a" | ". . ." ]
  + forkgate(rs, reverse(ps), a) + hfree
  where {
    t = th;
    a = long();
    b = long();
    [htop, hbotr, hfree] = flip(map(held, rs), 3);
    hbot = reverse(hbotr) };

module reaction(r) = sum(map(infty, joingate(r.reactants, r.products)));

module main(crn) = sum(map(reaction, irrev_reactions(crn)));
