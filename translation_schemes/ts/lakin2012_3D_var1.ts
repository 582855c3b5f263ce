# M. R. Lakin, S. Youssef, L. Cardelli, A. Phillips. Abstractions for DNA circuit design. Journal of the Royal Society Interface 9:470-486, 2012 (three-domain gates, generalised).
#
# dsdcompile's encoding, in nuskell's translation-scheme language, of nuskell's variant lakin2012_3D_var1:
# one gate per reaction for any number of reactants and products instead of chained two-by-two gates.
# Signals are "? t f", a history, the one toehold t shared by every species and a branch domain f. The
# gate's bottom strand holds "f t" of every reactant and "i t f" of every product (i private); the
# reactants bind in order (each "f t" is also free in excess), then the trigger "t i_1 t i_2 ... t" (in
# excess) releases the products; every product's "t i" closes the gate behind it. A reaction without
# products releases a helper signal (in excess; nuskell shares it between reactions, here each module has
# its own). A reaction without reactants is dsdcompile's "F -> products" with a fuel signal F.

global th = short();

class formal(s) = "? t f" | ". . ." where { t = th; f = long() };

class fresh() = "? t f" | ". . ." where { t = th; f = long() };

global helper = fresh();

# A reactant: top "f t", bottom part "t* f*", and "f t" free in excess.
macro taken(s) = [ "a t +" | "( ( +", "t* a*" | ") )", "a t" | ". ." ] where { a = s.f; t = th };

# A product: top "i t f" (f unpaired), bottom part "t* i*", and its part "t i" of the trigger.
macro made(s) = [ "i t j +" | "( ( . +", "t* i*" | ") )", "t i" | ". ." ] where { i = long(); t = th; j = s.f };

class gate(rs, ps) = [ "rtop + ptop + pbot rbot t*" | "~ + ~ + ~ ~ .", "trig t" | "~ ." ] + rfree
  where {
    t = th;
    [rtop, rbotr, rfree] = flip(map(taken, rs), 3);
    rbot = reverse(rbotr);
    [ptop, pbotr, trig] = flip(map(made, ps), 3);
    pbot = reverse(pbotr) };

module reaction(r) = if len(r.products) == 0 then sum(map(infty, gate(r.reactants, [helper]) + [helper]))
                     else sum(map(infty, gate(r.reactants, r.products)));

module main(crn) = sum(map(reaction, irrev_reactions(crn)));
