# M. R. Lakin, D. Stefanovic, A. Phillips. Modular verification of chemical reaction network encodings via serializability analysis. Theoretical Computer Science 632:21-42, 2016 (Figure 8, two-domain gates with a three-domain trigger).
#
# dsdcompile's encoding, in nuskell's translation-scheme language, of the two-domain gates as nuskell
# builds them (its lakin2016_2D_3I): signals are "t x", the one toehold t shared by every species and a
# branch domain x. Every reaction becomes two-reactant, two-product gate pairs: an input gate takes the
# reactants x, y in order and is opened by the three-domain trigger "t c a" (in excess, c and a private);
# the output gate then releases the products "t y" and "t b" and is closed by "b c t" (in excess).
# Fewer than two reactants or products are padded with a helper signal present in excess; more are
# chained through fresh intermediate signals (a join of three is a reversible pair of gates into an
# intermediate). nuskell shares the helper between all reactions; here each module has its own. A
# reaction without reactants is dsdcompile's "F -> products" with a fuel signal F. The paper's gate is for
# catalytic reactions x + y -> y + b; as nuskell notes, the padding makes A -> B the catalytic A + h -> h + B,
# so the scheme is correct on more networks than the paper's format, but not on all.

global th = short();

class formal(s) = "t x" | ". ." where { t = th; x = long() };

class fresh() = "t x" | ". ." where { t = th; x = long() };

global helper = fresh();

class ingate(u, v, c, a) =
  [ "x t + y t + c + a t + a + a* t* a* c* t* y* t* x* t*" | "( ( + ( ( + ( + ( ( + ( + ) ) ) ) ) ) ) ) .",
    "t c a" | ". . ." ]
  where { t = th; x = u.x; y = v.x };

class outgate(u, p, q, c, a) =
  [ "x + t b + c + t y + t a + t* a* t* y* t* c* b* t* x*" | "( + ( ( + ( + ( ( + ( ( + . ) ) ) ) ) ) ) )",
    "b c t" | ". . ." ]
  where { t = th; x = u.x; y = p.x; b = q.x };

# Reactants rs[0], rs[1] in order; products ps[0], ps[1].
class pair(rs, ps) = ingate(rs[0], rs[1], c, a) + outgate(rs[0], ps[0], ps[1], c, a)
  where { c = long(); a = long() };

function chain(rs, ps) =
  if len(rs) == 2 and len(ps) == 2 then pair(rs, ps)
  elseif len(rs) > 2 then
    pair([rs[0], rs[1]], [helper, m]) + pair([helper, m], [rs[0], rs[1]]) + chain([m] + tail(tail(rs)), ps)
    + [helper] where m = fresh()
  else pair(rs, [ps[0], m]) + chain([m, helper], tail(ps)) + [helper] where m = fresh();

function inputs(xs) = if len(xs) == 0 then [helper, helper] elseif len(xs) == 1 then [xs[0], helper] else xs;

function outputs(xs) = if len(xs) == 0 then [helper, helper] elseif len(xs) == 1 then [helper, xs[0]] else xs;

module reaction(r) = sum(map(infty, chain(inputs(r.reactants), outputs(r.products)) + more))
  where more = if len(r.reactants) == 2 and len(r.products) == 2 then [] else [helper];

module main(crn) = sum(map(reaction, irrev_reactions(crn)));
