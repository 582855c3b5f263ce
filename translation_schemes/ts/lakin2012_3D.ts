# M. R. Lakin, S. Youssef, L. Cardelli, A. Phillips. Abstractions for DNA circuit design. Journal of the Royal Society Interface 9:470-486, 2012 (Figure 5, three-domain A + B -> C + D gates).
#
# dsdcompile's encoding, in nuskell's translation-scheme language, of the three-domain gates as nuskell
# builds them (its lakin2012_3D): signals are "? t f", a history, the one toehold t shared by every
# species and a branch domain f. Every reaction becomes two-reactant, two-product gates: a gate
# "a t i + b t k + ch t c + dh t d" over one bottom strand takes reactants a and b in order and releases
# the products c and d, with the trigger "t ch t dh t" and the first reactant's strand "a t i" free in
# excess. Fewer than two reactants or products are padded with a helper signal present in excess;
# more are chained through fresh intermediate signals (a join of three is a reversible pair of gates
# into an intermediate, then another gate). nuskell shares the helper between all reactions; here each
# module has its own (in excess either way). A reaction without reactants is dsdcompile's
# "F -> products" with a fuel signal F.

global th = short();

class formal(s) = "? t f" | ". . ." where { t = th; f = long() };

# A fresh signal: an intermediate of a chain, or the helper.
class fresh() = "? t f" | ". . ." where { t = th; f = long() };

global helper = fresh();

# Reactants x, y in order; products u, v.
class bimolecular(x, y, u, v) =
  [ "a t i + b t k + uh t c + vh t d + t* vh* t* uh* t* b* t* a* t*"
  | "( ( . + ( ( . + ( ( . + ( ( . + ) ) ) ) ) ) ) ) .",
    "a t i" | ". . .",
    "t uh t vh t" | ". . . . ." ]
  where { t = th; a = x.f; b = y.f; c = u.f; d = v.f; i = long(); k = long(); uh = long(); vh = long() };

function chain(rs, ps) =
  if len(rs) == 2 and len(ps) == 2 then bimolecular(rs[0], rs[1], ps[0], ps[1])
  elseif len(rs) > 2 then
    bimolecular(rs[0], rs[1], helper, m) + bimolecular(helper, m, rs[0], rs[1]) + chain([m] + tail(tail(rs)), ps)
    + [helper] where m = fresh()
  else bimolecular(rs[0], rs[1], m, ps[0]) + chain([m, helper], tail(ps)) + [helper] where m = fresh();

function inputs(xs) = if len(xs) == 0 then [helper, helper] elseif len(xs) == 1 then [xs[0], helper] else xs;

function outputs(xs) = if len(xs) == 0 then [helper, helper] elseif len(xs) == 1 then [helper, xs[0]] else xs;

module reaction(r) = sum(map(infty, chain(inputs(r.reactants), outputs(r.products)) + more))
  where more = if len(r.reactants) == 2 and len(r.products) == 2 then [] else [helper];

module main(crn) = sum(map(reaction, irrev_reactions(crn)));
