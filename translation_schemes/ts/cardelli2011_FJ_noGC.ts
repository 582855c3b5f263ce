# L. Cardelli. Strand algebras for DNA computing. Natural Computing 10:407-428, 2011 (Figures 4-8).
#
# dsdcompile's encoding, in nuskell's translation-scheme language, of nuskell's variant cardelli2011_FJ_noGC
# of the fork and join gates: cardelli2011_FJ without the garbage collection of Fig. 8; instead the join's
# two top strands are also free in excess (each binding reversible). Signals are "? t b": a history, a
# toehold, a branch domain.
# X -> 0 is an annihilator gate, X -> Y a transducer (Fig. 5), X -> Y + Z a fork (Fig. 6), X + Y -> Z a
# join (Fig. 7) with its garbage-collection strands (Fig. 8). Larger reactions are built on the CRN level
# from these with fresh intermediate signals: a join of n inputs is a chain of 2-way joins whose
# intermediate can also split back into its two inputs; a fork of m outputs is a chain of 2-way forks;
# n -> m is a join into an intermediate and a fork out of it. A reaction without reactants is dsdcompile's
# "F -> products" with a fuel signal F.

class formal(s) = "? t b" | ". . ." where { t = short(); b = long() };

# A fresh intermediate signal.
class intermediate() = "? t b" | ". . ." where { t = short(); b = long() };

class annihilator(x) = "xb + xb* xt*" | "( + ) ." where { xb = x.b; xt = x.t };

# X -> Y: the gate releases Y's strand "xb yt yb" once X has bound and the trigger "yt a" displaces it.
class transducer(x, y) = [ "xb yt yb + a + a* yt* xb* xt*" | "( ( . + ( + ) ) ) .", "yt a" | ". ." ]
  where { xb = x.b; xt = x.t; yt = y.t; yb = y.b; a = long() };

class fork2(x, y, z) = [ "xb yt yb + a zt zb + zt* a* yt* xb* xt*" | "( ( . + ( ( . + ) ) ) ) .",
                         "yt a zt" | ". . ." ]
  where { xb = x.b; xt = x.t; yt = y.t; yb = y.b; zt = z.t; zb = z.b; a = long() };

# X + Y -> Z, with its top strands "xb yt" and "yb a" also free in excess.
class join2(x, y, z) = [ "xb yt + yb a + c zt zb + zt* c* a* yb* yt* xb* xt*" | "( ( + ( ( + ( ( . + ) ) ) ) ) ) .",
                         "a c zt" | ". . .",
                         "xb yt" | ". .",
                         "yb a" | ". ." ]
  where { xb = x.b; xt = x.t; yt = y.t; yb = y.b; zt = z.t; zb = z.b; a = short(); c = long() };

# Fork X -> p_1 + ... + p_m (m >= 2): split off the first two products into an intermediate, repeat.
function fork(x, ps) = if len(ps) == 2 then fork2(x, ps[0], ps[1])
                       else fork2(i, ps[0], ps[1]) + fork(x, tail(tail(ps)) + [i])
  where i = intermediate();

# Join r_1 + ... + r_n -> z (n >= 2): join the first two into an intermediate that can also fork back.
function join(rs, z) = if len(rs) == 2 then join2(rs[0], rs[1], z)
                       else fork2(i, rs[0], rs[1]) + join2(rs[0], rs[1], i) + join(tail(tail(rs)) + [i], z)
  where i = intermediate();

function gates(rs, ps) =
  if len(ps) == 0 and len(rs) == 1 then [annihilator(rs[0])]
  elseif len(ps) == 0 then join(rs, i) + [annihilator(i)] where i = intermediate()
  elseif len(rs) == 1 and len(ps) == 1 then transducer(rs[0], ps[0])
  elseif len(rs) == 1 then fork(rs[0], ps)
  elseif len(ps) == 1 then join(rs, ps[0])
  else join(rs, i) + fork(i, ps) where i = intermediate();

module reaction(r) = sum(map(infty, gates(r.reactants, r.products)));

module main(crn) = sum(map(reaction, irrev_reactions(crn)));
