# A deliberately broken shared-domain scheme, for dsdcompile's tests (not a literature scheme).
#
# qian2011_3D_var1's gates with the recognition domain shared by every species as well as the toehold:
# a gate then takes any species' signal as its reactant. On its own a transducer X -> Y module only adds
# Y -> Y (harmless), but next to a module of other species it turns their signals into Y: a CRN like
# A -> B, C -> D must not verify, although its two modules share no species.

global toe = short();
global rec = long();

class formal(s) = "hist th recog" | ". . ." where { hist = long(); th = toe; recog = rec };

# A reactant's place on the gate: top "recog th", bottom part "th* recog*".
macro takes(s) = [ "r t +" | "( ( +", "t* r*" | ") )" ] where { r = s.recog; t = toe };

# A product's place: top "hist th recog" (recog unpaired), bottom part "th* hist*".
macro gives(s) = [ "h t r +" | "( ( . +", "t* h*" | ") )" ] where { h = s.hist; t = toe; r = s.recog };

class gate(rs, ps) =
  [ "rtop f + g t + ptop f + f* pbot t* g* f* rbot t*" | "~ ( + ( ( + ~ ( + ) ~ ) ) ) ~ .",
    "t f g" | ". . ." ]
  where {
    t = toe;
    f = long();
    g = long();
    [rtop, rbotr] = flip(map(takes, rs), 2);
    rbot = reverse(rbotr);
    [ptop, pbotr] = flip(map(gives, ps), 2);
    pbot = reverse(pbotr) };

class closer(s) = "t h" | ". ." where { t = toe; h = s.hist };

class opener(s) = "r t" | ". ." where { r = s.recog; t = toe };

module reaction(r) = sum(map(infty, gate(r.reactants, r.products) + map(closer, r.products) + map(opener, r.reactants)));

module main(crn) = sum(map(reaction, irrev_reactions(crn)));
