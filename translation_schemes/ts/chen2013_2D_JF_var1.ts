# Y.-J. Chen, N. Dalchau, N. Srinivas, A. Phillips, L. Cardelli, D. Soloveichik, G. Seelig. Programmable
# chemical controllers made from DNA. Nature Nanotechnology 8:755-762, 2013 (Supplementary Figure S7.6).
#
# dsdcompile's encoding, in nuskell's translation-scheme language, of nuskell's corrected variant
# chen2013_2D_JF_var1 of the join-fork scheme. Signals are two-domain strands "t x", each species with its own
# toehold. The join's last top strand is followed by a strand "di", so that releasing the flux strand
# ("tr di dr" in excess helps) is an irreversible three-domain step, as in Cardelli's two-domain paper
# (MSCS 2013); every join top strand, and "x_1 t_1", is also free in excess. The fork is chen2013_2D_JF's.
# A reaction without reactants is dsdcompile's "F -> products" with a fuel signal F (nuskell's variant
# builds no join for it).
# nuskell's var1 also shares one join among reactions with the same reactants (the authors' delayed
# choice); dsdcompile translates each reaction alone, so var1 and var2 give the same gates here.

class formal(s) = "t x" | ". ." where { t = short(); x = long() };

# Input i of the join: its top strand x_i u_i (u_i: the next input's toehold, or tr after the last one)
# and its part of the bottom strand.
macro join_input(data, i) = [ "x u +" | "( ( +", "u* x*" | ") )", "x u" | ". ." ]
  where {
    r = data[0];
    x = r[i].x;
    u = if i == len(r) - 1 then data[1] else r[i + 1].t };

class join(tops, di, dr, tq, bottoms, t1) = "tops di + dr tq + tq* dr* di* bottoms t1*" | "~ ( + ( ( + ) ) ) ~ .";

class join_helper(tr, di, dr) = "tr di dr" | ". . .";

class join_copy(c) = "c" | "~";

class first_input_copy(x, t) = "x t" | ". .";

# Product p of the fork (taken last first): its signal strand and its part of the bottom strand.
macro fork_output(p) = [ "t x +" | "( ( +", "x* t*" | ") )" ] where { t = p.t; x = p.x };

class fork(di, outs, tr, dr, tq, bottoms) = "di + outs tr dr + tq* dr* tr* bottoms di*"
                                          | "( + ~ ( ( + . ) ) ~ )";

# Helper strands of the fork: d_c t_c, from the fork's di and the products' domains.
class fork_helper(a, b) = "a b" | ". .";
function branch_of(s) = s.x;
function toehold_of(s) = s.t;
function helper_at(data, c) = fork_helper(data[0][c], data[1][c]);

module reaction(r) = sum(map(infty, gates))
  where {
    tr = short(); dr = long(); tq = short(); di = long();
    rs = r.reactants;
    [tops, jb, copies] = flip(map2(join_input, [rs, tr], range(len(rs))), 3);
    ps = reverse(r.products);
    [outs, fb] = flip(map(fork_output, ps), 2);
    lefts = [di] + map(branch_of, ps);
    rights = map(toehold_of, ps) + [tr];
    gates = [join(tops, di, dr, tq, reverse(jb), rs[0].t), join_helper(tr, di, dr)] + map(join_copy, copies)
            + [first_input_copy(rs[0].x, rs[0].t)]
            + [fork(di, outs, tr, dr, tq, reverse(fb))] + map2(helper_at, [lefts, rights], range(len(lefts))) };

module main(crn) = sum(map(reaction, irrev_reactions(crn)));
