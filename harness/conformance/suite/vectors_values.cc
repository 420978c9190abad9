// Vectors for value classes and edge cases: every context init set,
// cabac_unary_length extremes, extreme qp and step sizes, levels near the
// int32 limits, codebook shapes, odd tensor shapes and names.
#include "conformance/suite/vector_defs.h"

namespace nnr::suite {

namespace {

constexpr int64_t kMax31 = (int64_t{1} << 31) - 1;

}  // namespace

void add_value_vectors(std::vector<std::pair<std::string, VectorMaker>>& v) {
  v.emplace_back("val_init_sets_every", [] {
    VectorDef d = new_vector("val_init_sets_every",
                        "context init sets 1..8 and 0 in turn on every signalled context (7.3), with DQ, URQ, "
                        "a block scan (resets return to the chosen sets) and cabac_unary_length_minus1 0",
                        {"init sets 0-8", "DQ", "scan1"}, 401);
    Rng r(d.seed);
    d.units = start_units(2);
    NduSpec a = float_ndu(r, "dq", {20, 12}, true, 1, -38);
    NduSpec b = float_ndu(r, "urq", {30}, false, 0, -38);
    NduSpec c = float_ndu(r, "unary1", {6, 6}, true, 0, -38);
    c.cabac_unary_length_minus1 = 0;
    NduSpec i = int_ndu(r, "int", {25}, 12);
    for (NduSpec* n : {&a, &b, &c, &i}) {
      for (MemberSpec& m : n->members) m.init_sets = InitSets::kCycle;
      d.units.push_back(ndu_unit(*n));
    }
    return d;
  });
  v.emplace_back("val_unary_length_extremes", [] {
    VectorDef d = new_vector("val_unary_length_extremes",
                        "cabac_unary_length_minus1 0 and 255 (575 contexts) with levels that need long Exp-Golomb "
                        "remainders",
                        {"cabac_unary_length_minus1 0", "cabac_unary_length_minus1 255"}, 402);
    Rng r(d.seed);
    d.units = start_units(2);
    for (int u : {0, 255, 254}) {
      NduSpec n = float_ndu(r, "unary" + std::to_string(u + 1), {12, 10}, u == 255, 0, -60, 12);
      n.cabac_unary_length_minus1 = u;
      d.units.push_back(ndu_unit(n));
    }
    NduSpec n = int_ndu(r, "unary256_int", {40}, 20);
    n.cabac_unary_length_minus1 = 255;
    d.units.push_back(ndu_unit(n));
    return d;
  });
  v.emplace_back("val_qp_extremes", [] {
    VectorDef d = new_vector("val_qp_extremes",
                        "qp at both ends of the qp offset field for qp_density 0 and 7, and a base QP (MPS / LPS) "
                        "that takes qp far outside it: steps from 3*2^-125 to 7*2^124",
                        {"extreme qp", "qp_density 0", "qp_density 7", "base QP"}, 403);
    Rng r(d.seed);
    d.units = {str_unit(), mps_unit(0), tpl_unit()};
    d.units.push_back(ndu_unit(float_ndu(r, "d0_min", {4, 4}, true, 0, -32, 20)));
    d.units.push_back(ndu_unit(float_ndu(r, "d0_max", {4, 4}, false, 0, 31, 3)));
    d.units.push_back(lps_unit(7, 0));
    d.units.push_back(ndu_unit(float_ndu(r, "d7_min", {4, 4}, false, 0, -4096, 20)));
    d.units.push_back(ndu_unit(float_ndu(r, "d7_max", {4, 4}, true, 0, 4095, 3)));
    d.units.push_back(lps_unit(2, 500));
    NduSpec huge = float_ndu(r, "huge_step", {3, 3}, false, 0, 7, 1);  // qp 507: 7 * 2^124
    d.units.push_back(ndu_unit(huge));
    d.units.push_back(lps_unit(1, -240));
    d.units.push_back(ndu_unit(float_ndu(r, "tiny_step", {3, 3}, true, 0, -7, 10)));  // qp -247: 3 * 2^-125
    d.units.push_back(lps_unit(3, -1000));
    d.units.push_back(ndu_unit(float_ndu(r, "base_qp_neg", {5}, false, 0, 200, 10)));
    return d;
  });
  v.emplace_back("val_levels_int32_limits", [] {
    VectorDef d = new_vector("val_levels_int32_limits",
                        "levels near the int32 limits: URQ levels +-(2^31-1) and around 2^24 (float conversion "
                        "rounds), DQ reconstruction levels +-(2^31-1), int32 tensor values +-(2^31-1), codebook "
                        "entries up to 2^40",
                        {"int32 limits", "Exp-Golomb 31-bit", "DQ", "codebook"}, 404);
    Rng r(d.seed);
    d.units = {str_unit(), mps_unit(0), tpl_unit()};
    NduSpec u = float_ndu(r, "urq_limits", {12}, false, 0, -32);
    u.members[0].k = {kMax31, -kMax31, (1 << 24) + 1, -((1 << 24) + 3), (1 << 24) - 1, 1, -1, 0,
                      kMax31 - 64, 1 << 30, -(1 << 30) - 1, 123456789};
    d.units.push_back(ndu_unit(u));
    NduSpec q = float_ndu(r, "dq_limits", {8}, true, 0, -32);
    // k = 1, 1 bring the DQ state to 3 (Q1): then L = 2k - 1 = 2^31 - 1.
    q.members[0].k = {1, 1, int64_t{1} << 30, 1, -(int64_t{1} << 30), (int64_t{1} << 29) + 7, -5, 0};
    d.units.push_back(ndu_unit(q));
    NduSpec i = int_ndu(r, "int_limits", {6});
    i.members[0].k = {kMax31, -kMax31, 0, 65536, -65537, kMax31 - 1};
    d.units.push_back(ndu_unit(i));
    NduSpec c = float_ndu(r, "codebook_limits", {3, 4}, false, 0, -20);
    c.codebook_present = true;
    c.members[0].codebook = 1;
    c.members[0].k = {-2, -1, 0, 1, 2, 2, -2, 0, 1, -1, 0, 2};
    c.codebook = make_codebook(-2, 2, (int64_t{1} << 24) + 1, 15, {(int64_t{1} << 40) - 3, 70000});
    d.units.push_back(ndu_unit(c));
    return d;
  });
  v.emplace_back("val_codebooks", [] {
    VectorDef d = new_vector("val_codebooks",
                        "integer codebooks: sizes 1 to 40, CbZeroOffset at the start, middle and end, codebook_egk "
                        "0 to 15, a zero entry that is not 0, and a DQ tensor through a codebook",
                        {"codebook", "codebook_egk", "DQ + codebook"}, 405);
    Rng r(d.seed);
    d.units = start_units(2);
    struct Cb {
      int64_t lo, hi, zero;
      int egk;
    };
    int idx = 0;
    for (const Cb& c : {Cb{0, 0, 3, 0}, Cb{-5, 0, 0, 2}, Cb{0, 7, -40, 5}, Cb{-20, 19, 1, 9}, Cb{-1, 1, 100, 15}}) {
      NduSpec n = float_ndu(r, "cb" + std::to_string(idx++), {6, 5}, false, 0, -30);
      n.codebook_present = true;
      n.members[0].codebook = 1;
      for (int64_t& k : n.members[0].k) k = c.lo + r.uniform(0, c.hi - c.lo);
      n.codebook = make_codebook(c.lo, c.hi, c.zero, c.egk, {0, 1, 3, 12, 2});
      d.units.push_back(ndu_unit(n));
    }
    // DQ through a codebook: the index is L + CbZeroOffset with L from the DQ states (4.5).
    NduSpec q = float_ndu(r, "cb_dq", {8, 5}, true, 0, -30, 2);
    q.codebook_present = true;
    q.members[0].codebook = 1;
    q.codebook = make_codebook(-7, 7, 0, 1, {0, 1, 2});
    d.units.push_back(ndu_unit(q));
    return d;
  });
  v.emplace_back("val_shapes", [] {
    VectorDef d = new_vector("val_shapes",
                        "a 0-D tensor (count_tensor_dimensions 0, output shape [1]), [1], [1,1], 1-D, 5-D, [1,N] and "
                        "[N,1] with scan_order 2 (the header's entry points are parsed but unused), a non-multiple "
                        "of the block size, and an int32 0-D tensor",
                        {"0-D", "[1,N]", "[N,1]", "5-D", "degenerate scan"}, 406);
    Rng r(d.seed);
    d.units = start_units(2);
    d.units.push_back(ndu_unit(float_ndu(r, "scalar", {}, true, 0, -38)));
    d.units.push_back(ndu_unit(float_ndu(r, "one", {1}, false, 0, -38)));
    d.units.push_back(ndu_unit(float_ndu(r, "one_by_one", {1, 1}, true, 2, -38)));
    d.units.push_back(ndu_unit(float_ndu(r, "vector", {77}, true, 0, -38)));
    d.units.push_back(ndu_unit(float_ndu(r, "five_d", {3, 2, 2, 3, 2}, true, 1, -38)));
    d.units.push_back(ndu_unit(float_ndu(r, "row", {1, 50}, true, 2, -38)));
    d.units.push_back(ndu_unit(float_ndu(r, "column", {50, 1}, true, 2, -38)));
    d.units.push_back(ndu_unit(float_ndu(r, "column_4d", {70, 1, 1, 1}, false, 1, -38)));
    d.units.push_back(ndu_unit(float_ndu(r, "non_multiple", {33, 17}, false, 2, -38)));
    d.units.push_back(ndu_unit(int_ndu(r, "int_scalar", {})));
    return d;
  });
  v.emplace_back("val_names", [] {
    VectorDef d = new_vector("val_names",
                        "topology_elem_id strings: 200 characters, spaces, '/', ':', quotes, backslash, '%', a "
                        "leading dot, UTF-8 (e, CJK), in single units and in an NNR_PT_BLOCK list",
                        {"long names", "odd characters", "UTF-8"}, 407);
    Rng r(d.seed);
    d.units = start_units(2);
    std::string long_name;
    while (long_name.size() < 200) long_name += "encoder.layers." + std::to_string(long_name.size()) + ".";
    long_name.resize(200);
    for (const std::string& n : {long_name, std::string("model/block 1/conv:0"), std::string(".hidden"),
                                 std::string("w\"quoted'\\back%20"), std::string("caf\xc3\xa9.\xe4\xb8\xad.weight")})
      d.units.push_back(ndu_unit(float_ndu(r, n, {3, 2}, true, 0, -38)));
    NduSpec blk;
    blk.payload_type = NNR_PT_BLOCK;
    blk.cpt = NNR_CPT_BI;
    blk.dims = {3, 3};
    blk.dq_flag = 1;
    blk.members = {member(r, Role::kBias, "sp ace/bias:0", {3}, 0, true, 8, -60),
                   member(r, Role::kWeight, "sp ace/kernel:0", {3, 3}, 0, true, 8, -38)};
    d.units.push_back(ndu_unit(blk));
    return d;
  });
}

}  // namespace nnr::suite
