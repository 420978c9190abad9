// Vectors for the high-level syntax: every NNR unit type, both unit size
// forms, the partial data counter, performance maps, topology formats and
// references by index, every payload type. Made with the stream builder.
#include "conformance/suite/vector_defs.h"

namespace nnr::suite {

void add_syntax_vectors(std::vector<std::pair<std::string, VectorMaker>>& v) {
  v.emplace_back("hls_mps_performance_maps", [] {
    VectorDef d = new_vector("hls_mps_performance_maps",
                        "NNR_MPS with all four performance maps (sparsification, pruning, unification, decomposition) "
                        "and both quantization method flags (NNR_QSU | NNR_QCB)",
                        {"NNR_MPS", "performance maps", "NNR_QCB"}, 201);
    Rng r(d.seed);
    UnitSpec mps = mps_unit(2, 0, NNR_QSU | NNR_QCB);
    mps.maps = {true, true, true, true};
    d.units = {str_unit(), mps, tpl_unit(), ndu_unit(float_ndu(r, "w", {6, 5}, true, 0, -38))};
    return d;
  });
  v.emplace_back("hls_lps", [] {
    VectorDef d = new_vector("hls_lps",
                        "NNR_LPS units: the active one replaces the MPS's qp_density and base QP for the NDUs after it "
                        "(one with performance maps, one with lps_self_contained_flag 0, one without quantization "
                        "fields, after which the MPS's values apply)",
                        {"NNR_LPS", "performance maps", "base QP"}, 202);
    Rng r(d.seed);
    d.units = start_units(2);
    d.units.push_back(ndu_unit(float_ndu(r, "before_lps", {5, 4}, true, 0, -38)));
    UnitSpec l1 = lps_unit(3, -40);
    l1.maps = {true, true, true, false};
    d.units.push_back(l1);
    d.units.push_back(ndu_unit(float_ndu(r, "lps1.a", {6, 4}, true, 0, -5)));
    d.units.push_back(ndu_unit(float_ndu(r, "lps1.b", {7}, false, 0, 3)));
    UnitSpec l2 = lps_unit(0, -9);
    l2.lps.lps_self_contained_flag = 0;
    d.units.push_back(l2);
    d.units.push_back(ndu_unit(float_ndu(r, "lps2.a", {4, 4}, false, 0, 1)));
    d.units.push_back(lps_unit(0, 0, 0));  // no quantization fields: the MPS's qp_density and QP apply again
    d.units.push_back(ndu_unit(float_ndu(r, "lps3.a", {3, 3}, true, 0, -1)));
    return d;
  });
  for (int f : {NNR_TPL_UNREC, NNR_TPL_NNEF, NNR_TPL_ONNX, NNR_TPL_PYT, NNR_TPL_TEF}) {
    const std::string name = "hls_tpl_format_" + std::to_string(f);
    v.emplace_back(name, [f, name] {
      VectorDef d = new_vector(name,
                          std::string("NNR_TPL with topology_storage_format ") + topology_storage_format_name(f) +
                              " and a non-empty topology_data string",
                          {"NNR_TPL", topology_storage_format_name(f)}, 210 + static_cast<uint64_t>(f));
      Rng r(d.seed);
      d.units = {str_unit(), mps_unit(2),
                 tpl_unit(f, "graph { conv1 -> relu -> fc } # format " + std::to_string(f)),
                 ndu_unit(float_ndu(r, "conv1.weight", {4, 2, 3}, true, 0, -38))};
      return d;
    });
  }
  v.emplace_back("hls_tpl_reflist_indexed", [] {
    VectorDef d = new_vector("hls_tpl_reflist_indexed",
                        "mps_topology_indexed_reference_flag 1: NNR_TPL_REFLIST names the elements and NDUs refer to "
                        "them by topology_elem_id_index (a single tensor and an NNR_PT_BLOCK unit)",
                        {"NNR_TPL_REFLIST", "topology_elem_id_index", "NNR_PT_BLOCK"}, 220);
    Rng r(d.seed);
    UnitSpec mps = mps_unit(2);
    mps.mps.mps_topology_indexed_reference_flag = 1;
    UnitSpec tpl = tpl_unit(NNR_TPL_REFLIST);
    tpl.tpl.topology_elem_ids = {"layer0.weight", "layer1.weight", "layer1.bias", "unused"};
    NduSpec one = float_ndu(r, "layer0.weight", {5, 6}, true, 0, -38);
    one.indices = {0};
    NduSpec blk;
    blk.payload_type = NNR_PT_BLOCK;
    blk.cpt = NNR_CPT_BI;
    blk.dims = {6, 4};
    blk.dq_flag = 1;
    blk.members = {member(r, Role::kBias, "layer1.bias", {6}, 0, true, 8, -75),
                   member(r, Role::kWeight, "layer1.weight", {6, 4}, 0, true, 8, -38)};
    blk.indices = {1, 2};  // list order: W, BI
    d.units = {str_unit(), mps, tpl, ndu_unit(one), ndu_unit(blk)};
    d.expected_warnings = {"names 1 tensor(s) that no NNR_NDU carries, e.g. 'unused'"};
    return d;
  });
  v.emplace_back("hls_qnt", [] {
    VectorDef d = new_vector("hls_qnt", "an NNR_QNT unit (quantization data, no influence on the output)",
                        {"NNR_QNT"}, 230);
    Rng r(d.seed);
    UnitSpec q;
    q.type = NNR_QNT;
    q.qnt.quantization_storage_format = 1;
    q.qnt.quantization_compression_format = 0;
    q.qnt.quantization_data = "codebook=none; method=uniform";
    d.units = start_units(2);
    d.units.push_back(q);
    d.units.push_back(ndu_unit(float_ndu(r, "w", {4, 4}, false, 0, -30)));
    return d;
  });
  v.emplace_back("hls_agg", [] {
    VectorDef d = new_vector("hls_agg",
                        "NNR_AGG units: one with the entry point table holding two NDUs, one without it holding an "
                        "NNR_LPS and two NDUs",
                        {"NNR_AGG", "entry_points_present_flag"}, 240);
    Rng r(d.seed);
    UnitSpec a1;
    a1.type = NNR_AGG;
    a1.agg.entry_points_present_flag = 1;
    a1.children = {ndu_unit(float_ndu(r, "agg1.a", {5, 3}, true, 0, -38)),
                   ndu_unit(int_ndu(r, "agg1.b", {4}))};
    UnitSpec a2;
    a2.type = NNR_AGG;
    a2.agg.nnr_aggregate_unit_type = 1;
    a2.children = {lps_unit(1, -10), ndu_unit(float_ndu(r, "agg2.a", {3, 6}, false, 0, -5)),
                   ndu_unit(float_ndu(r, "agg2.b", {6}, true, 0, -8))};
    d.units = start_units(2);
    d.units.push_back(a1);
    d.units.push_back(ndu_unit(float_ndu(r, "between", {2, 2}, true, 0, -38)));
    d.units.push_back(a2);
    return d;
  });
  v.emplace_back("hls_partial_data", [] {
    VectorDef d = new_vector("hls_partial_data",
                        "partial_data_counter: a DQ tensor in three parts and an int32 tensor in two, joined along "
                        "the first dimension in counter order, with a whole tensor between them",
                        {"partial_data_counter"}, 250);
    Rng r(d.seed);
    d.units = start_units(2);
    int counter = 1;
    for (int64_t rows : {3, 5, 2}) {
      NduSpec n = float_ndu(r, "split.weight", {rows, 6}, true, 0, -38);
      n.framing.partial_data_counter = counter++;
      d.units.push_back(ndu_unit(n));
      if (counter == 3) d.units.push_back(ndu_unit(float_ndu(r, "whole", {4}, true, 0, -40)));
    }
    for (int c : {1, 2}) {
      NduSpec n = int_ndu(r, "split.index", {c == 1 ? int64_t{4} : int64_t{1}, 3});
      n.framing.partial_data_counter = c;
      d.units.push_back(ndu_unit(n));
    }
    return d;
  });
  v.emplace_back("hls_unit_size_long", [] {
    VectorDef d = new_vector("hls_unit_size_long",
                        "the 31-bit nnr_unit_size form: on every small unit (allowed, though a writer would not need "
                        "it) and on an NDU longer than 32767 bytes",
                        {"nnr_unit_size_flag 1", "long NDU"}, 260);
    Rng r(d.seed);
    d.units = start_units(2);
    for (UnitSpec& u : d.units) u.framing.long_size = true;
    NduSpec small = float_ndu(r, "small", {3, 5}, true, 0, -38);
    small.framing.long_size = true;
    d.units.push_back(ndu_unit(small));
    d.units.push_back(ndu_unit(int_ndu(r, "big_int", {90, 100}, 26)));
    d.units.push_back(ndu_unit(raw_ndu(r, "big_raw", {90, 95})));  // 34200 bytes of payload
    return d;
  });
  v.emplace_back("hls_header_flags", [] {
    VectorDef d = new_vector("hls_header_flags",
                        "independently_decodable_flag 0, nnr_decompressed_data_format present (0 and 1), "
                        "no NNR_TPL unit",
                        {"independently_decodable_flag 0", "nnr_decompressed_data_format", "no NNR_TPL"}, 270);
    Rng r(d.seed);
    UnitSpec s = str_unit();
    UnitSpec m = mps_unit(2);
    m.framing.independently_decodable_flag = 0;
    NduSpec a = int_ndu(r, "as_int32", {3, 3});
    a.decompressed_data_format = 0;
    a.framing.independently_decodable_flag = 0;
    NduSpec b = float_ndu(r, "as_float32", {3, 3}, true, 0, -38);
    b.decompressed_data_format = 1;
    d.units = {s, m, ndu_unit(a), ndu_unit(b)};
    return d;
  });
  v.emplace_back("hls_payload_types", [] {
    VectorDef d = new_vector("hls_payload_types",
                        "every payload type in one stream: NNR_PT_INT, NNR_PT_FLOAT, NNR_PT_RAW_FLOAT, NNR_PT_BLOCK",
                        {"NNR_PT_INT", "NNR_PT_FLOAT", "NNR_PT_RAW_FLOAT", "NNR_PT_BLOCK"}, 280);
    Rng r(d.seed);
    NduSpec blk;
    blk.payload_type = NNR_PT_BLOCK;
    blk.cpt = NNR_CPT_BI;
    blk.dims = {4, 3};
    blk.members = {member(r, Role::kBias, "blk.bias", {4}, 0, false, 8, -60),
                   member(r, Role::kWeight, "blk.weight", {4, 3}, 0, false, 8, -38)};
    d.units = start_units(2);
    d.units.push_back(ndu_unit(int_ndu(r, "int", {5})));
    d.units.push_back(ndu_unit(float_ndu(r, "float", {5, 2}, true, 0, -38)));
    d.units.push_back(ndu_unit(raw_ndu(r, "raw", {2, 3})));
    d.units.push_back(ndu_unit(blk));
    return d;
  });
  v.emplace_back("hls_mps_without_qp", [] {
    VectorDef d = new_vector("hls_mps_without_qp",
                        "mps_quantization_method_flags 0 (no qp_density): only NNR_PT_INT and NNR_PT_RAW_FLOAT units",
                        {"NNR_MPS without qp", "NNR_PT_INT", "NNR_PT_RAW_FLOAT"}, 290);
    Rng r(d.seed);
    d.units = {str_unit(), mps_unit(0, 0, 0), tpl_unit(), ndu_unit(int_ndu(r, "i", {4, 2})),
               ndu_unit(raw_ndu(r, "f", {3}))};
    return d;
  });
  v.emplace_back("hls_no_tensors", [] {
    VectorDef d = new_vector("hls_no_tensors", "a stream of NNR_STR, NNR_MPS and NNR_TPL only: the output is empty",
                        {"empty model"}, 295);
    d.units = start_units(2);
    return d;
  });
}

}  // namespace nnr::suite
