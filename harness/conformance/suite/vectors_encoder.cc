// Vectors made by the project's high-level encoder (nnr::encode) from seeded
// inputs: the tools a reference-style encoder uses, with NNCodec's syntax.
#include "conformance/suite/vector_defs.h"

namespace nnr::suite {

namespace {

VectorDef enc(const std::string& name, const std::string& description, std::vector<std::string> exercises,
              uint64_t seed) {
  return new_vector(name, description, std::move(exercises), seed, /*use_encoder=*/true);
}

}  // namespace

void add_encoder_vectors(std::vector<std::pair<std::string, VectorMaker>>& v) {
  v.emplace_back("enc_urq_mixed", [] {
    VectorDef d = enc("enc_urq_mixed", "URQ (dq off), a 2-D and a 4-D weight, a bias and an int32 tensor (NNR_PT_INT)",
                      {"URQ", "NNR_PT_FLOAT", "NNR_PT_INT", "4-D"}, 101);
    Rng r(d.seed);
    d.inputs = {random_tensor(r, "fc.weight", {16, 9}), random_tensor(r, "fc.bias", {16}),
                random_tensor(r, "conv.weight", {6, 3, 3, 3}), random_int_tensor(r, "steps", {7}, 20)};
    d.settings.use_dq = false;
    return d;
  });
  v.emplace_back("enc_dq_defaults", [] {
    VectorDef d = enc("enc_dq_defaults", "NNCodec's defaults: DQ trellis, qp -38, init-set selection (param_opt)",
                      {"DQ", "param_opt"}, 102);
    Rng r(d.seed);
    d.inputs = {random_tensor(r, "a.weight", {24, 20}), random_tensor(r, "a.bias", {24})};
    return d;
  });
  v.emplace_back("enc_param_opt_off", [] {
    VectorDef d = enc("enc_param_opt_off", "DQ with every context init set 0 (param_opt false)", {"DQ", "init sets 0"}, 103);
    Rng r(d.seed);
    d.inputs = {random_tensor(r, "w", {12, 11})};
    d.settings.param_opt = false;
    return d;
  });
  for (int qpd = 0; qpd <= 7; ++qpd) {
    const std::string name = "enc_qp_density_" + std::to_string(qpd);
    v.emplace_back(name, [qpd, name] {
      VectorDef d = enc(name, "qp_density " + std::to_string(qpd) + ": step sizes with " + std::to_string(qpd) +
                                  " fractional bits, DQ and URQ tensors",
                        {"qp_density " + std::to_string(qpd), qpd % 2 ? "URQ" : "DQ"}, 110 + static_cast<uint64_t>(qpd));
      Rng r(d.seed);
      d.inputs = {random_tensor(r, "w", {10, 7}), random_tensor(r, "b", {10})};
      const int k = 1 << qpd;
      d.settings.qp_density = qpd;
      d.settings.qp = -7 * k + (k - 1) / 2;  // a step near 2^-7
      d.settings.nonweight_qp = 0;           // qp - 2 * 2^qp_density
      d.settings.use_dq = qpd % 2 == 0;
      return d;
    });
  }
  struct Scan {
    int order;
    bool dq;
    std::vector<int64_t> shape;
  };
  for (const Scan& s : {Scan{1, true, {37, 29}}, Scan{2, false, {50, 33}}, Scan{3, true, {70, 40}},
                        Scan{4, true, {130, 70}}}) {
    const std::string name = "enc_scan" + std::to_string(s.order);
    v.emplace_back(name, [s, name] {
      const int b = 4 << s.order;
      VectorDef d = enc(name,
                        "scan_order " + std::to_string(s.order) + " (" + std::to_string(b) + "x" + std::to_string(b) +
                            " blocks) with entry points, " + (s.dq ? "DQ" : "URQ") +
                            ", a shape that is not a multiple of the block size, and a 4-D weight",
                        {"scan" + std::to_string(s.order), "entry points", s.dq ? "DQ" : "URQ"},
                        120 + static_cast<uint64_t>(s.order));
      Rng r(d.seed);
      d.inputs = {random_tensor(r, "w2d", s.shape),
                  random_tensor(r, "w4d", {s.shape[0] / 2 + 3, 3, 2, 2})};
      d.settings.scan_order = s.order;
      d.settings.use_dq = s.dq;
      return d;
    });
  }
  v.emplace_back("enc_codebook1", [] {
    VectorDef d = enc("enc_codebook1", "codebook_mode 1: every float tensor through an integer codebook",
                      {"codebook", "integer_codebook"}, 130);
    Rng r(d.seed);
    d.inputs = {random_tensor(r, "w", {20, 12}), random_tensor(r, "b", {20})};
    d.settings.codebook_mode = 1;
    d.settings.qp = -30;
    return d;
  });
  v.emplace_back("enc_codebook2", [] {
    VectorDef d = enc("enc_codebook2", "codebook_mode 2: per-tensor choice between codebook and DQ",
                      {"codebook", "DQ"}, 131);
    Rng r(d.seed);
    Tensor few = random_tensor(r, "few_values", {16, 16});
    for (float& f : few.f32) f = static_cast<float>(static_cast<int>(f * 4096.0f) % 3) * 0.25f;
    d.inputs = {few, random_tensor(r, "many_values", {16, 16})};
    d.settings.codebook_mode = 2;
    return d;
  });
  v.emplace_back("enc_unary_length_1", [] {
    VectorDef d = enc("enc_unary_length_1", "cabac_unary_length_minus1 0: one AbsGr flag, everything else Exp-Golomb",
                      {"cabac_unary_length_minus1 0"}, 140);
    Rng r(d.seed);
    d.inputs = {random_tensor(r, "w", {15, 15})};
    d.settings.cabac_unary_length_minus1 = 0;
    d.settings.qp = -60;
    return d;
  });
  v.emplace_back("enc_raw_float", [] {
    VectorDef d = enc("enc_raw_float", "NNR_PT_RAW_FLOAT next to a quantised tensor", {"NNR_PT_RAW_FLOAT"}, 150);
    Rng r(d.seed);
    d.inputs = {random_tensor(r, "raw", {5, 3}), random_tensor(r, "q", {5, 3})};
    d.settings.parameter_type["raw"] = "raw";
    return d;
  });
  v.emplace_back("enc_edge_shapes", [] {
    VectorDef d = enc("enc_edge_shapes",
                      "1-element, 1-D, [1,N] and [N,1] tensors and an all-zero tensor with scan_order 2 requested "
                      "(coded row-major where the 2-D view is degenerate)",
                      {"[1]", "1-D", "[1,N]", "[N,1]", "all zero"}, 160);
    Rng r(d.seed);
    Tensor zero = random_tensor(r, "zero", {9, 9});
    for (float& f : zero.f32) f = 0.0f;
    d.inputs = {random_tensor(r, "one", {1}), random_tensor(r, "vec", {33}), random_tensor(r, "row", {1, 40}),
                random_tensor(r, "col", {40, 1}), random_tensor(r, "one2d", {1, 1}), zero,
                random_tensor(r, "odd", {19, 23})};
    d.settings.scan_order = 2;
    return d;
  });

  // Edition 2 (general_profile_idc 1) single streams; update sequences are
  // covered by the shared NNCodec 2.0 vectors.
  v.emplace_back("enc_ed2_rowskip_dq_scan1", [] {
    VectorDef d = enc("enc_ed2_rowskip_dq_scan1",
                      "edition 2: DQ with an 8x8 block scan and row skipping (rows of zeros, the DQ state advanced "
                      "over skipped row segments), a [40,1] column and a bias",
                      {"edition 2", "row skipping", "DQ", "scan1"}, 170);
    Rng r(d.seed);
    Tensor w = random_tensor(r, "pruned.weight", {36, 30});
    for (int64_t y = 0; y < 36; y += 3)
      for (int64_t x = 0; x < 30; ++x) w.f32[static_cast<size_t>(y * 30 + x)] = 0.0f;
    d.inputs = {w, random_tensor(r, "pruned.bias", {36}), random_tensor(r, "col", {40, 1})};
    d.settings.general_profile_idc = 1;
    d.settings.row_skipping = true;
    d.settings.scan_order = 1;
    return d;
  });
  v.emplace_back("enc_ed2_codebook_parent_signalling", [] {
    VectorDef d = enc("enc_ed2_codebook_parent_signalling",
                      "edition 2: codebook-bounded levels (codebook_mode 1) with row skipping, in a stream with "
                      "parent signalling (a differential update with no parent: put_node_depth 0)",
                      {"edition 2", "codebook", "row skipping", "parent signalling"}, 171);
    Rng r(d.seed);
    Tensor w = random_tensor(r, "update.weight", {20, 12});
    for (int64_t y = 0; y < 20; y += 4)
      for (int64_t x = 0; x < 12; ++x) w.f32[static_cast<size_t>(y * 12 + x)] = 0.0f;
    d.inputs = {w, random_tensor(r, "update.bias", {20})};
    d.settings.general_profile_idc = 1;
    d.settings.codebook_mode = 1;
    d.settings.row_skipping = true;
    d.settings.compress_differences = true;
    d.settings.qp = -30;
    return d;
  });
}

}  // namespace nnr::suite
