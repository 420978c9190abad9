// Vectors for NNR_PT_BLOCK: every combination of compressed_parameter_types
// whose output the specification defines (3.5), decomposed weights (G, H)
// with one or two codebooks and with entry points, and decomposition in
// separate units.
#include "conformance/suite/vector_defs.h"

namespace nnr::suite {

namespace {

std::string cpt_text(int cpt) {
  std::string s;
  for (auto [bit, name] : {std::pair{NNR_CPT_DC, "DC"}, {NNR_CPT_LS, "LS"}, {NNR_CPT_BN, "BN"}, {NNR_CPT_BI, "BI"}})
    if (cpt & bit) s += (s.empty() ? "" : "+") + std::string(name);
  return s;
}

// A block unit of `cpt` for a weight of shape `dims`; members in coding order.
NduSpec block(Rng& r, const std::string& prefix, int cpt, const std::vector<int64_t>& dims, bool dq, int scan_order,
              int64_t rank = 0, int64_t g_rows = 0) {
  NduSpec n;
  n.payload_type = NNR_PT_BLOCK;
  n.cpt = cpt;
  n.dims = dims;
  n.dq_flag = dq;
  n.scan_order = scan_order;
  const std::vector<int64_t> vec{dims[0]};
  if (cpt & NNR_CPT_LS) {
    MemberSpec ls = member(r, Role::kLs, prefix + ".weight_scaling", vec, scan_order, dq, 6, -40);
    // Scaling factors near 1: levels around 1/step.
    for (int64_t& k : ls.k) k = (dq ? 256 : 512) + (k % 64);
    n.members.push_back(ls);
  }
  if (cpt & NNR_CPT_BI) n.members.push_back(member(r, Role::kBias, prefix + ".bias", vec, scan_order, dq, 9, -60));
  if (cpt & NNR_CPT_BN) {
    n.members.push_back(member(r, Role::kBnBeta, prefix + ".bn.beta", vec, scan_order, dq, 8, -60));
    n.members.push_back(member(r, Role::kBnGamma, prefix + ".bn.gamma", vec, scan_order, dq, 8, -50));
    n.members.push_back(member(r, Role::kBnMean, prefix + ".bn.mean", vec, scan_order, dq, 8, -60));
    MemberSpec var = member(r, Role::kBnVar, prefix + ".bn.var", vec, scan_order, dq, 8, -50);
    for (int64_t& k : var.k) k = k < 0 ? -k : k;
    n.members.push_back(var);
  }
  if (cpt & NNR_CPT_DC) {
    int64_t total = 1;
    for (int64_t d : dims) total *= d;
    n.decomposition_rank = rank;
    n.g_number_of_rows = g_rows;
    n.members.push_back(member(r, Role::kG, prefix + ".weight_G", {g_rows, rank}, scan_order, dq, 8, -36));
    n.members.push_back(member(r, Role::kH, prefix + ".weight_H", {rank, total / g_rows}, scan_order, dq, 8, -36));
  } else {
    n.members.push_back(member(r, Role::kWeight, prefix + ".weight", dims, scan_order, dq, 8, -38));
  }
  return n;
}

}  // namespace

void add_block_vectors(std::vector<std::pair<std::string, VectorMaker>>& v) {
  // cpt 3, 7, 11 and 15 (LS with DC) have no defined output (spec 3.5).
  for (int cpt : {1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14}) {
    char num[8];
    std::snprintf(num, sizeof num, "%02d", cpt);
    const std::string name = std::string("blk_cpt") + num + "_" + cpt_text(cpt);
    v.emplace_back(name, [cpt, name] {
      const bool dc = cpt & NNR_CPT_DC;
      const bool dq = cpt % 3 != 0;
      const int scan = (cpt == 4 || cpt == 9 || cpt == 14) ? 1 : 0;
      VectorDef d = new_vector(name,
                          "NNR_PT_BLOCK with compressed_parameter_types " + std::to_string(cpt) + " (" + cpt_text(cpt) +
                              ")" + (dq ? ", DQ" : ", URQ") + (scan ? ", scan_order 1 with entry points" : "") +
                              (cpt & NNR_CPT_LS ? "; the weight is output multiplied by LS" : ""),
                          {"NNR_PT_BLOCK", "cpt " + cpt_text(cpt), dq ? "DQ" : "URQ"},
                          300 + static_cast<uint64_t>(cpt));
      Rng r(d.seed);
      d.units = start_units(2);
      if (dc) d.units.push_back(ndu_unit(block(r, "l0", cpt, {12, 3, 3}, dq, scan, 4, 12)));
      else d.units.push_back(ndu_unit(block(r, "l0", cpt, scan ? std::vector<int64_t>{19, 10} : std::vector<int64_t>{8, 6}, dq, scan)));
      d.units.push_back(ndu_unit(block(r, "l1", cpt, {5, 7}, !dq, 0, 3, 5)));
      return d;
    });
  }
  v.emplace_back("blk_dc_codebooks", [] {
    VectorDef d = new_vector("blk_dc_codebooks",
                        "decomposed weight (G, H) in NNR_PT_BLOCK with bias, G through the main codebook and H through "
                        "the second codebook",
                        {"NNR_CPT_DC", "second codebook", "codebook"}, 320);
    Rng r(d.seed);
    NduSpec n = block(r, "dc", NNR_CPT_DC | NNR_CPT_BI, {10, 12}, false, 0, 3, 5);
    n.codebook_present = true;
    for (MemberSpec& m : n.members) {
      if (m.role != Role::kG && m.role != Role::kH) continue;
      m.codebook = m.role == Role::kG ? 1 : 2;
      for (int64_t& k : m.k) k = k % (m.role == Role::kG ? 4 : 7);
    }
    n.codebook = make_codebook(-3, 3, -5, 1, {0, 2, 5, 1});
    n.codebook_h = make_codebook(-6, 6, 17, 3, {9, 0, 30, 4, 2});
    d.units = start_units(2);
    d.units.push_back(ndu_unit(n));
    return d;
  });
  v.emplace_back("blk_dc_scan_entry_points", [] {
    VectorDef d = new_vector("blk_dc_scan_entry_points",
                        "decomposed weight in NNR_PT_BLOCK with scan_order 1: the entry point list holds G's block "
                        "rows then H's, difference-coded across the boundary",
                        {"NNR_CPT_DC", "entry points", "scan1", "DQ"}, 321);
    Rng r(d.seed);
    d.units = start_units(2);
    d.units.push_back(ndu_unit(block(r, "dcs", NNR_CPT_DC | NNR_CPT_BN, {27, 20}, true, 1, 18, 27)));
    return d;
  });
  v.emplace_back("blk_dc_separate_units", [] {
    VectorDef d = new_vector("blk_dc_separate_units",
                        "NNR_CPT_DC in NNR_PT_FLOAT units: G and H of one weight in two units, told apart by the "
                        "_G / _H name suffix",
                        {"NNR_CPT_DC", "NNR_PT_FLOAT", "_G/_H"}, 322);
    Rng r(d.seed);
    d.units = start_units(2);
    for (Role role : {Role::kG, Role::kH}) {
      NduSpec n;
      n.payload_type = NNR_PT_FLOAT;
      n.cpt = NNR_CPT_DC;
      n.dims = {9, 8};
      n.decomposition_rank = 2;
      n.g_number_of_rows = 9;
      n.dq_flag = 1;
      const bool g = role == Role::kG;
      n.members.push_back(member(r, Role::kSingle, g ? "sep.weight_G" : "sep.weight_H",
                                 g ? std::vector<int64_t>{9, 2} : std::vector<int64_t>{2, 8}, 0, true, 8, -36));
      d.units.push_back(ndu_unit(n));
    }
    return d;
  });
  v.emplace_back("blk_scan_with_members", [] {
    VectorDef d = new_vector("blk_scan_with_members",
                        "NNR_PT_BLOCK with LS, BN and BI before a block-scanned weight (scan_order 2): entry points "
                        "measured after the 1-D members",
                        {"NNR_PT_BLOCK", "scan2", "entry points", "DQ"}, 323);
    Rng r(d.seed);
    d.units = start_units(2);
    d.units.push_back(ndu_unit(block(r, "bs", NNR_CPT_LS | NNR_CPT_BN | NNR_CPT_BI, {40, 3, 3, 3}, true, 2)));
    return d;
  });
}

}  // namespace nnr::suite
