# L. Cardelli. Two-domain DNA strand displacement. Mathematical Structures in Computer Science 23:247-271, 2013 (Figures 3-6, 11, 12, 14).
#
# dsdcompile's encoding, in nuskell's translation-scheme language, of nuskell's variant cardelli2013_2D_2TGC:
# the two-domain gates with the paper's garbage collection by a second toehold (Figs. 11, 12 and 14),
# which avoids the cooperative binding of the collectors of Figs. 8-9. Signals are "t x", the one toehold t
# shared by every species and a branch domain x of their own. A second toehold u, which no signal
# carries, is one domain shared by every module too (`global`; dsdcompile names it global-u).
# - One reactant: the join and fork gates of cardelli2013_2D_noGC (the released "x t" also free in excess).
# - Two or more reactants r_1 ... r_n: the join gate holds "x t" of r_1 ... r_(n-1) and "x u" of r_n; when
#   r_n has bound, "u a" (in excess) displaces "a t" to start the fork gate ("t a" in excess as well). A
#   collector takes the strands the join released: its bottom strand opens on u* to take "x u" of r_n,
#   then for every r_k in between a fuel "b u" (b private) lets "x t" of r_k in; "y + y* u*" and
#   "b + b* t*" soak up what the collector releases.
# There is no catalyst form. A reaction without reactants is dsdcompile's "F -> products" with a fuel
# signal F.

global th = short();
global u = short();

class formal(s) = "t x" | ". ." where { t = th; x = long() };

# A reactant held with the shared toehold: top "x t", bottom part "t* x*", and "x t" free in excess.
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

# Join of one reactant (and of F -> products).
class joingate(rs, ps) =
  [ "htop + a t + a + a* t* a* hbot t*" | "~ + ( ( + ( + ) ) ) ~ .", "t a" | ". ." ]
  + forkgate(rs, reverse(ps), a) + hfree
  where {
    t = th;
    a = long();
    [htop, hbotr, hfree] = flip(map(held, rs), 3);
    hbot = reverse(hbotr) };

# A reactant between the first and the last, on the collector: tops "x" and "t b", the "u" that starts
# the next top strand, its bottom part "u* b* t* x*"; free "x t" and "b u"; "b + b* t*" takes "t b".
macro middle(s) = [ "x + t b + u" | "( + ( ( + (", "u* b* t* x*" | ") ) ) )", "x t" | ". .", "b u" | ". .",
                    "b + b* t*" | "( + ) ." ]
  where { b = long(); x = s.x; t = th };

# The collector of the reactants after the first (rs), the last one y taken through u.
class collector(rs) = [ "ctop y + u* y* cbot" | "~ ( + . ) ~" ] + soak + cfree + cfuel + csoak
  where {
    y = rs[-1].x;
    [ctop, cbotr, cfree, cfuel, csoak] = flip(map(middle, reverse(tail(reverse(rs)))), 5);
    cbot = reverse(cbotr);
    soak = if len(rs) > 1 then [ "y + y* u*" | "( + ) ." ] else [] };

# Join of two or more reactants: the last held as "x u".
class joingate2t(rs, ps) =
  [ "htop + y u + a t + a + a* t* a* u* y* hbot t*" | "~ + ( ( + ( ( + ( + ) ) ) ) ) ~ .",
    "u a" | ". .", "t a" | ". ." ]
  + forkgate(rs, reverse(ps), a) + hfree + collector(tail(rs))
  where {
    t = th;
    a = long();
    y = rs[-1].x;
    [htop, hbotr, hfree] = flip(map(held, reverse(tail(reverse(rs)))), 3);
    hbot = reverse(hbotr) };

module reaction(r) = if len(r.reactants) < 2 then sum(map(infty, joingate(r.reactants, r.products)))
                     else sum(map(infty, joingate2t(r.reactants, r.products)));

module main(crn) = sum(map(reaction, irrev_reactions(crn)));
