# dsdcompile's built-in cardelli2011_NM scheme (translation_schemes/cardelli2011_NM.py), written again in
# nuskell's translation-scheme language as a test of dsdcompile's .ts reader.
#
# L. Cardelli. Strand algebras for DNA computing. Natural Computing 10:407-428, 2011 (n x m gates).

class formal(s) = "? t b" | ". . ."
  where { t = short(); b = long() };

# A stand-in output when the reaction has no products: its strand is a private waste.
class waste() = "t b" | ". ."
  where { t = short(); b = long() };

# Join input i: its top strand b_i u (u: the next input's toehold, or g after the last input), the
# bottom strand's part (b_i* t_i*, the first input's toehold left open) and the free copy in excess.
macro top(data, i) = [ "b u +" | "( ( +", bp, "b u" | ". ." ]
  where {
    r = data[0];
    b = r[i].b;
    t = r[i].t;
    u = if i == len(r) - 1 then data[1] else r[i + 1].t;
    bp = if i == 0 then "b* t*" | ") ." else "b* t*" | ") )" };

# Output j: a fresh history h_j with the product's toehold and branch, its part of the bottom strand,
# and the trigger's part h_j t_j.
macro out(p) = [ "h t b +" | "( ( . +", "t* h*" | ") )", "h t" | ". ." ]
  where { h = long(); t = p.t; b = p.b };

class gate(tops, outs, ob, g, ib) = "tops outs ob g* ib" | "~ ~ ~ ) ~";

class backward(c) = "c" | "~";

class trigger(g, pairs) = "g pairs" | ". ~";

module reaction(x) = sum(map(infty, [gate(tops, outs, reverse(ob), g, reverse(ib))] + map(backward, free)
                                     + [trigger(g, pairs)]))
  where {
    r = x.reactants;
    g = short();
    [tops, ib, free] = flip(map2(top, [r, g], range(len(r))), 3);
    ps = if len(x.products) == 0 then [waste()] else x.products;
    [outs, ob, pairs] = flip(map(out, ps), 3) };

module main(crn) = sum(map(reaction, irrev_reactions(crn)));
