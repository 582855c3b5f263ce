# dsdcompile's built-in qian2011_3D scheme (translation_schemes/qian2011_3D.py), written again in nuskell's
# translation-scheme language as a test of dsdcompile's .ts reader. Unlike nuskell's qian2011_3D.ts, every
# species has its own toehold, and there is no history wildcard.
#
# L. Qian, D. Soloveichik, E. Winfree. Efficient Turing-universal computation with DNA polymers. DNA 16, 2011.

class formal(s) = "h t r" | ". . ."
  where { h = long(); t = short(); r = long() };

# The bottom strand's part for input i (read from the last input to the first), and input i's cover
# strand r_i u, u being the next input's toehold or, for the last input, the trigger's foothold e.
macro bottom_part(r, i) = part
  where { x = r[i].r; y = r[i].t; part = if i == 0 then "x* y*" | "( ." else "x* y*" | "( (" };

macro cover(data, i) = [ "x u +" | ") ) +", "x u" | ". ." ]
  where {
    r = data[0];
    x = r[i].r;
    u = if i == len(r) - 1 then data[1] else r[i + 1].t };

macro out(p) = [ "t* h*" | "( (", "h t r +" | ") ) . +", "h t" | ". ." ]
  where { h = p.h; t = p.t; r = p.r };

class gate(ib, covers, pb, outs, e, f) = "f* pb e* ib + covers + outs + f" | "( ~ ( ~ + ~ + ~ + )";

class backward(c) = "c" | "~";

class trigger(pairs, e, f) = "e pairs f" | ". ~ .";

module reaction(x) = sum(map(infty, [gate(ib, covers, reverse(pb), outs, e, f)] + map(backward, free)
                                     + [trigger(pairs, e, f)]))
  where {
    r = x.reactants;
    e = short();
    f = long();
    ib = reverse(map2(bottom_part, r, range(len(r))));
    [covers, free] = flip(map2(cover, [r, e], range(len(r))), 2);
    [pb, outs, pairs] = flip(map(out, x.products), 3) };

module main(crn) = sum(map(reaction, irrev_reactions(crn)));
