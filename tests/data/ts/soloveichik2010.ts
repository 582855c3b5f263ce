# dsdcompile's built-in soloveichik2010 scheme (translation_schemes/soloveichik2010.py), written again in
# nuskell's translation-scheme language as a test of dsdcompile's .ts reader.
#
# D. Soloveichik, G. Seelig, E. Winfree. DNA as a universal substrate for chemical kinetics. PNAS 2010.

# A signal: history, toehold a, branch b, toehold c.
class formal(s) = "? a b c" | ". . . ."
  where { a = short(); b = long(); c = short() };

# Input i (not the last) of the join: its top strand b_i c_i a_(i+1), the matching part of the bottom
# strand, and the same top strand free (a translator in excess keeps the binding reversible).
macro step(r, i) = [ "b c a +" | "( ( ( +", "a* c* b*" | ") ) )", "b c a" | ". . ." ]
  where { b = r[i].b; c = r[i].c; a = r[i + 1].a };

# Product j: a fresh history d_j; the join's tail d_j a_j, the fork's strand and its part of the bottom.
macro release(p) = [ "d a" | ". .", "d a b c +" | "( ( . . +", "a* d*" | ") )" ]
  where { d = long(); a = p.a; b = p.b; c = p.c };

class gate(r, tops, bottoms, ends) = "tops x y ends + y* x* bottoms a*" | "~ ( ( ~ + ) ) ~ ."
  where { x = r[len(r) - 1].b; y = r[len(r) - 1].c; a = r[0].a };

class translator(f) = "f" | "~";

class fork(r, strands, bottoms) = "strands + bottoms c*" | "~ + ~ ."
  where { c = r[len(r) - 1].c };

module reaction(x) = sum(map(infty, [gate(r, tops, reverse(bottoms), ends)] + map(translator, free) + forks))
  where {
    r = x.reactants;
    [tops, bottoms, free] = flip(map2(step, r, range(len(r) - 1)), 3);
    [ends, strands, fb] = flip(map(release, x.products), 3);
    forks = if len(x.products) == 0 then [] else [fork(r, strands, reverse(fb))] };

module main(crn) = sum(map(reaction, irrev_reactions(crn)));
