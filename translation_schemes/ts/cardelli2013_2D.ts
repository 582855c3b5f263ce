# L. Cardelli. Two-domain DNA strand displacement. Mathematical Structures in Computer Science 23:247-271, 2013 (Figures 3-10).
#
# dsdcompile's encoding, in nuskell's translation-scheme language, of the two-domain gates as nuskell builds
# them (its cardelli2013_2D): signals are "t x", the one toehold t shared by every species and a branch
# domain x of their own. One gate pair per reaction r_1 + ... + r_n -> p_1 + ... + p_m:
# - the join (input) gate holds "x_k t" for every reactant and releases them one by one as the reactants
#   bind in order; the last release uncovers the private domain a, which the free strand "t a" (in excess)
#   displaces to start the output gate;
# - the fork (output) gate releases "t p" for every product, with the strands "p t" in excess closing it;
# - garbage collection (Figs. 8-9): for every reactant after the first, a collector made of the private
#   domain b and that reactant's x soaks up what the join leaves behind.
# Catalysts: when the last reactant is also the first product, its "p t" closing strand and collector are
# left out (Fig. 7). A reaction without reactants is dsdcompile's "F -> products" with a fuel signal F.
# Two modules meet through the shared toehold even when they share no species; dsdcompile checks every pair.

global th = short();

class formal(s) = "t x" | ". ." where { t = th; x = long() };

# One reactant held on the join gate: top "x t", and its bottom-strand part "t* x*".
macro held(s) = [ "x t +" | "( ( +", "t* x*" | ") )" ] where { x = s.x; t = th };

# One product on the fork gate: top "t x", bottom part "x* t*", and its closing strand "x t" in excess.
macro released(s) = [ "t x +" | "( ( +", "x* t*" | ") )", "x t" | ". ." ] where { x = s.x; t = th };

# The collector of one later reactant s: its top and bottom parts on the fork gate, a free "b t" and a
# two-stranded collector "b x + t* x* b* t*".
macro collector(s) = [ "t b +" | "( ( +", "b* t*" | ") )", "b t" | ". .",
                       "b x + t* x* b* t*" | "( ( + . ) ) ." ]
  where { b = long(); x = s.x; t = th };

class forkgate(rs, ps, a) =
  [ "x + gtop ptop t a + t* a* t* pbot gbot x*" | "( + ~ ~ ( ( + . ) ) ~ ~ )" ] + closers + gfree + gcoll
  where {
    x = rs[0].x;
    t = th;
    [ptop, pbotr, closers] = flip(map(released, ps), 3);
    pbot = reverse(pbotr);
    [gtop, gbotr, gfree, gcoll] = flip(map(collector, tail(rs)), 4);
    gbot = reverse(gbotr) };

# The catalyst form: the last reactant comes back as the first product (ps is given last product first).
class forkgate_cat(rs, ps, a) =
  [ "x + gtop ptop t a + t* a* t* pbot gbot x*" | "( + ~ ~ ( ( + . ) ) ~ ~ )" ] + closers + gfree + gcoll
  where {
    x = rs[0].x;
    t = th;
    [ptop, pbotr, allclosers] = flip(map(released, ps), 3);
    closers = reverse(tail(reverse(allclosers)));
    pbot = reverse(pbotr);
    [gtop, gbotr, gfree, gcoll] = flip(map(collector, reverse(tail(reverse(tail(rs))))), 4);
    gbot = reverse(gbotr) };

class joingate(rs, ps) =
  [ "htop + a t + a + a* t* a* hbot t*" | "~ + ( ( + ( + ) ) ) ~ .", "t a" | ". ." ] + out
  where {
    t = th;
    a = long();
    [htop, hbotr] = flip(map(held, rs), 2);
    hbot = reverse(hbotr);
    out = if len(rs) > 1 and len(ps) > 0 and rs[-1] == ps[0] then forkgate_cat(rs, reverse(ps), a)
          else forkgate(rs, reverse(ps), a) };

module reaction(r) = sum(map(infty, joingate(r.reactants, r.products)));

module main(crn) = sum(map(reaction, irrev_reactions(crn)));
