// The unit parsers on hand-built units (bit strings written from the syntax
// tables of spec section 2), and the unit kinds the reference software never
// writes: LPS, QNT, TPL element lists, indexed references, AGG, partial data.
#include <gtest/gtest.h>

#include <cstring>

#include "dec/ndu_members.h"
#include "hls/enc_units.h"
#include "hls/hls.h"
#include "nnr/decoder.h"
#include "nnr/encoder.h"
#include "test_bits.h"

namespace nnr {
namespace {

using testing_bits::bits;
using testing_bits::cat;
using testing_bits::str_bytes;
using testing_bits::unit;

const std::vector<uint8_t> kStr = {0x00, 0x04, 0x02, 0x00};
const std::vector<uint8_t> kMps = {0x00, 0x08, 0x06, 0x81, 0x00, 0x40, 0x00, 0x80};

Status parse(const std::vector<uint8_t>& b, std::vector<NnrUnit>* u) { return parse_units(b.data(), b.size(), u); }

TEST(Hls, StartAndModelParameterSet) {
  std::vector<NnrUnit> u;
  ASSERT_TRUE(parse(cat({kStr, kMps}), &u).ok());
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(u[0].nnr_unit_type, NNR_STR);
  EXPECT_EQ(u[0].independently_decodable_flag, 1);
  EXPECT_EQ(u[1].nnr_unit_type, NNR_MPS);
  EXPECT_EQ(u[1].mps.topology_carriage_flag, 1);
  EXPECT_EQ(u[1].mps.mps_quantization_method_flags, 1);
  EXPECT_EQ(u[1].mps.mps_qp_density, 2);
  EXPECT_EQ(u[1].mps.mps_quantization_parameter, 0);
  EXPECT_EQ(u[1].offset, 4u);
}

TEST(Hls, MpsWithSparsificationMap) {
  // flags: carriage 1, sparsification 1, others 0, qmf 001, indexed 0, 7 reserved;
  // qp_density 2, QP -3; map: count 2 (one entry): three flt, classes 1,
  // bitmask ue(7) 5, one flt; alignment.
  const std::string body =
      "1 1 0 0 0 001 0 0000000"
      "010 1111111111101"
      "00000010"
      "00000000 00000000 10000000 00111111"  // 1.0f
      "00000000 00000000 00000000 00111111"  // 0.5f
      "00000000 00000000 01000000 00111111"  // 0.75f
      "00000001"
      "10000101"  // ue(7) = 5
      "00000000 00000000 10000000 00111110"  // 0.25f
      "10000000";
  std::vector<uint8_t> payload = bits(body);
  std::vector<uint8_t> unit = cat({{0x00, static_cast<uint8_t>(payload.size() + 3), 0x06}, payload});
  std::vector<NnrUnit> u;
  const Status s = parse(cat({kStr, unit}), &u);
  ASSERT_TRUE(s.ok()) << s.describe();
  const ModelParameterSet& m = u[1].mps;
  EXPECT_EQ(m.mps_qp_density, 2);
  EXPECT_EQ(m.mps_quantization_parameter, -3);
  ASSERT_EQ(m.maps.size(), 1u);
  EXPECT_EQ(m.maps[0].kind, "sparsification");
  EXPECT_EQ(m.maps[0].count, 2);
}

TEST(Hls, QuantizationUnitAndTopologyList) {
  const std::vector<uint8_t> qnt = {0x00, 0x08, 0x12, 0x01, 0x00, 'a', 'b', 0x00};
  // TPL REFLIST: formats 6, 0; ue(7) 0 = "10000000"; alignment 0x80; "a" "b".
  const std::vector<uint8_t> tpl = {0x00, 0x0B, 0x0E, 0x06, 0x00, 0x80, 0x80, 'a', 0x00, 'b', 0x00};
  std::vector<NnrUnit> u;
  const Status s = parse(cat({kStr, kMps, qnt, tpl}), &u);
  ASSERT_TRUE(s.ok()) << s.describe();
  EXPECT_EQ(u[2].nnr_unit_type, NNR_QNT);
  EXPECT_EQ(u[2].qnt.quantization_storage_format, 1);
  EXPECT_EQ(u[2].qnt.quantization_data, "ab");
  EXPECT_EQ(u[3].tpl.topology_storage_format, NNR_TPL_REFLIST);
  EXPECT_EQ(u[3].tpl.topology_elem_ids, (std::vector<std::string>{"a", "b"}));
}

TEST(Hls, UnitErrorsNameTheOffset) {
  std::vector<NnrUnit> u;
  // Reserved unit type 7.
  Status s = parse(cat({kStr, {0x00, 0x03, 0x1E}}), &u);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidBitstream);
  EXPECT_EQ(s.byte_offset(), 4);
  // nnr_unit_size smaller than its header.
  s = parse(cat({kStr, {0x00, 0x02, 0x02}}), &u);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.byte_offset(), 4);
  // A unit with bytes after its syntax.
  s = parse(cat({{0x00, 0x05, 0x02, 0x00, 0x00}}), &u);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidBitstream);
  // First unit not a start unit.
  s = parse(kMps, &u);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidBitstream);
  EXPECT_EQ(s.byte_offset(), 0);
  // The long size form (flag 1, 31 bits).
  s = parse(cat({{0x80, 0x00, 0x00, 0x06, 0x02, 0x00}}), &u);
  EXPECT_TRUE(s.ok()) << s.describe();
  EXPECT_EQ(u[0].nnr_unit_size_flag, 1);
}

// Encodes a one-tensor stream and returns its units' bytes.
std::vector<std::vector<uint8_t>> encoded_units(const std::vector<Tensor>& ts, const EncoderSettings& s,
                                                EncodeResult* r) {
  EXPECT_TRUE(encode(ts, s, r).ok());
  std::vector<NnrUnit> units;
  EXPECT_TRUE(parse_units(r->stream.data(), r->stream.size(), &units).ok());
  std::vector<std::vector<uint8_t>> out;
  for (const NnrUnit& u : units)
    out.emplace_back(r->stream.begin() + static_cast<std::ptrdiff_t>(u.offset),
                     r->stream.begin() + static_cast<std::ptrdiff_t>(u.offset + u.nnr_unit_size));
  return out;
}

Tensor ramp(const std::string& name, std::vector<int64_t> shape) {
  Tensor t;
  t.name = name;
  t.shape = std::move(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.f32.push_back(static_cast<float>((i * 37) % 23 - 11) * 0.003f);
  return t;
}

TEST(Hls, LayerParameterSetOverridesQp) {
  EncoderSettings s;
  s.qp_density = 3;
  s.qp = -40;
  EncodeResult r;
  auto units = encoded_units({ramp("w", {6, 5})}, s, &r);
  // An MPS with qp_density 3, QP 0 and an LPS with qp_density 3, QP -5 (spec 2.5):
  // header 1 + 7 reserved; reserved 0, flags 000, qmf 001, reserved 0; d = 011,
  // QP i(13) = -5; alignment.
  const std::vector<uint8_t> lps = cat({{0x00, 0x08, 0x0A}, bits("1 0000000  0 0 0 0 001 0  011 1111111111011  10000000")});
  std::vector<uint8_t> stream = cat({units[0], units[1], lps, units[2], units[3]});
  DecodedModel plain, with_lps;
  DecodeOptions o;
  o.keep_levels = true;
  ASSERT_TRUE(decode(r.stream.data(), r.stream.size(), o, &plain).ok());
  const Status st = decode(stream.data(), stream.size(), o, &with_lps);
  ASSERT_TRUE(st.ok()) << st.describe();
  EXPECT_EQ(with_lps.units[2].lps.lps_quantization_parameter, -5);
  EXPECT_EQ(plain.tensors[0].info.qp, -40);
  EXPECT_EQ(with_lps.tensors[0].info.qp, -45);
  EXPECT_EQ(with_lps.tensors[0].levels, plain.tensors[0].levels);
  // step(-45, 3) = (8 + 3) * 2^(-6 - 3)
  EXPECT_EQ(with_lps.tensors[0].f32[1], static_cast<float>(plain.tensors[0].levels[1]) * (11.0f / 512.0f));
}

TEST(Hls, PartialDataCounterJoinsParts) {
  const Tensor whole = ramp("big.weight", {10, 6});
  Tensor top = whole, bottom = whole;
  top.shape = {4, 6};
  top.f32.assign(whole.f32.begin(), whole.f32.begin() + 24);
  bottom.shape = {6, 6};
  bottom.f32.assign(whole.f32.begin() + 24, whole.f32.end());
  EncoderSettings s;
  s.use_dq = false;
  EncodeResult r1, r2, rw;
  auto u1 = encoded_units({top}, s, &r1);
  auto u2 = encoded_units({bottom}, s, &r2);
  encoded_units({whole}, s, &rw);
  // Re-wrap each NDU body with partial_data_counter 1 and 2.
  auto rewrap = [](const std::vector<uint8_t>& unit, int counter) {
    const std::vector<uint8_t> body(unit.begin() + 3, unit.end());
    return write_nnr_unit(NNR_NDU, body, counter);
  };
  std::vector<uint8_t> stream = cat({u1[0], u1[1], u1[2], rewrap(u1[3], 1), rewrap(u2[3], 2)});
  DecodedModel m;
  const Status st = decode(stream.data(), stream.size(), DecodeOptions{}, &m);
  ASSERT_TRUE(st.ok()) << st.describe();
  ASSERT_EQ(m.tensors.size(), 1u);
  EXPECT_EQ(m.tensors[0].shape, (std::vector<int64_t>{10, 6}));
  EXPECT_EQ(m.units[3].partial_data_counter, 1);
  // URQ is element-wise, so the parts reconstruct like the whole tensor.
  EXPECT_EQ(m.tensors[0].bytes(), rw.reconstruction[0].bytes());
}

TEST(Hls, AggregateUnitHoldsUnits) {
  EncodeResult r;
  auto units = encoded_units({ramp("a", {8}), ramp("b", {3, 4})}, EncoderSettings{}, &r);
  AggregateHeader agg;
  agg.entry_points_present_flag = 1;
  agg.nnr_unit_types = {NNR_NDU, NNR_NDU};
  agg.nnr_unit_entry_points = {0, static_cast<int64_t>(units[3].size())};
  std::vector<uint8_t> stream =
      cat({units[0], units[1], units[2], write_nnr_unit(NNR_AGG, write_agg_body(agg, {units[3], units[4]}))});
  DecodedModel m;
  const Status st = decode(stream.data(), stream.size(), DecodeOptions{}, &m);
  ASSERT_TRUE(st.ok()) << st.describe();
  ASSERT_EQ(m.tensors.size(), 2u);
  EXPECT_EQ(m.units[3].nnr_unit_type, NNR_AGG);
  EXPECT_EQ(m.units[3].children.size(), 2u);
  EXPECT_EQ(m.tensors[0].bytes(), r.reconstruction[0].bytes());
  EXPECT_EQ(m.tensors[1].bytes(), r.reconstruction[1].bytes());
  // An aggregate that says it holds three units but holds two.
  AggregateHeader bad;
  std::vector<uint8_t> body = write_agg_body(bad, {units[3], units[4]});
  // num_of_nnr_units_minus2 is u(16) at bits 9..24: set it to 1 (three units).
  body[1] = 0x00;
  body[2] = 0x80;
  std::vector<uint8_t> s2 = cat({units[0], units[1], units[2], write_nnr_unit(NNR_AGG, body)});
  EXPECT_FALSE(decode(s2.data(), s2.size(), DecodeOptions{}, &m).ok());
}

TEST(Hls, IndexedTopologyReferences) {
  EncodeResult r;
  auto units = encoded_units({ramp("x", {5})}, EncoderSettings{}, &r);
  // MPS with mps_topology_indexed_reference_flag 1 (bit 8 of the payload).
  std::vector<uint8_t> mps = kMps;
  mps[4] = 0x80;
  const std::vector<uint8_t> tpl = {0x00, 0x0B, 0x0E, 0x06, 0x00, 0x80, 0x80, 'p', 0x00, 'x', 0x00};
  NduHeader h;
  std::vector<NnrUnit> orig;
  ASSERT_TRUE(parse_units(r.stream.data(), r.stream.size(), &orig).ok());
  h = orig[3].ndu;
  h.topology_elem_ids.clear();
  h.topology_elem_id_indices = {1};
  const std::vector<uint8_t> payload(r.stream.begin() + static_cast<std::ptrdiff_t>(orig[3].payload_offset),
                                     r.stream.begin() + static_cast<std::ptrdiff_t>(orig[3].offset + orig[3].nnr_unit_size));
  std::vector<uint8_t> ndu = write_nnr_unit(NNR_NDU, write_ndu_body(h, 1, payload));
  std::vector<uint8_t> stream = cat({kStr, mps, tpl, ndu});
  DecodedModel m;
  const Status st = decode(stream.data(), stream.size(), DecodeOptions{}, &m);
  ASSERT_TRUE(st.ok()) << st.describe();
  EXPECT_EQ(m.tensors[0].name, "x");
  EXPECT_EQ(m.tensors[0].bytes(), r.reconstruction[0].bytes());
}


// ---------------------------------------------------------------------------
// Hand-built units, one parser at a time.

// Parses exactly one unit (after a start unit when it is not one itself).
NnrUnit parse_one(const std::vector<uint8_t>& u) {
  std::vector<NnrUnit> units;
  const bool is_str = u.size() > 2 && (u[2] >> 2) == NNR_STR && !(u[0] & 0x80);
  const std::vector<uint8_t> s = is_str ? u : cat({kStr, kMps, u});
  const Status st = parse(s, &units);
  EXPECT_TRUE(st.ok()) << st.describe();
  if (units.empty()) return NnrUnit{};
  return units.back();
}

TEST(Hls, StartUnit) {
  const NnrUnit u = parse_one(kStr);
  EXPECT_EQ(u.offset, 0u);
  EXPECT_EQ(u.nnr_unit_size_flag, 0);
  EXPECT_EQ(u.nnr_unit_size, 4u);
  EXPECT_EQ(u.nnr_unit_type, NNR_STR);
  EXPECT_EQ(u.independently_decodable_flag, 1);
  EXPECT_EQ(u.partial_data_counter_present_flag, 0);
  EXPECT_EQ(u.general_profile_idc, 0);
  const NnrUnit p = parse_one({0x00, 0x04, 0x02, 0x07});
  EXPECT_EQ(p.general_profile_idc, 7);
  // The trace names the elements at their bit positions.
  ASSERT_GE(u.elements.size(), 6u);
  EXPECT_EQ(u.elements[0].name, "nnr_unit_size_flag");
  EXPECT_EQ(u.elements[1].name, "nnr_unit_size");
  EXPECT_EQ(u.elements[1].bit_offset, 1u);
  EXPECT_EQ(u.elements[1].value, 4);
  EXPECT_EQ(u.elements[2].name, "nnr_unit_type");
  EXPECT_EQ(u.elements[2].bit_offset, 16u);
}

TEST(Hls, ModelParameterSetFields) {
  // 2.4: 00 08 06 81 00 40 00 80 -> qp_density 2, QP 0.
  NnrUnit u = parse_one(cat({kStr, kMps}));
  EXPECT_EQ(u.nnr_unit_size, 8u);
  EXPECT_TRUE(u.mps.has_qp);
  EXPECT_EQ(u.mps.mps_qp_density, 2);
  EXPECT_EQ(u.mps.mps_quantization_parameter, 0);
  EXPECT_EQ(u.mps.mps_topology_indexed_reference_flag, 0);
  EXPECT_TRUE(u.mps.maps.empty());
  // qp_density 7 and QP -4096; quantization method flags 2 (NNR_QCB).
  std::vector<NnrUnit> units;
  const std::vector<uint8_t> mps = unit(1, bits("1 0000 010 0 0000000  111 1000000000000  10000000"));
  ASSERT_TRUE(parse(cat({kStr, mps}), &units).ok());
  EXPECT_EQ(units[1].mps.mps_quantization_method_flags, 2);
  EXPECT_EQ(units[1].mps.mps_qp_density, 7);
  EXPECT_EQ(units[1].mps.mps_quantization_parameter, -4096);
  // No quantization method: no qp fields at all (alignment right after 16 bits).
  const std::vector<uint8_t> noqp = unit(1, bits("1 0000 000 0 0000000  10000000"));
  ASSERT_TRUE(parse(cat({kStr, noqp}), &units).ok());
  EXPECT_FALSE(units[1].mps.has_qp);
}

TEST(Hls, MpsPruningAndDecompositionMaps) {
  const std::string body =
      "1 0 1 0 1 001 0 0000000"                  // pruning and decomposition maps
      "010 0000000000000"                        // qp_density 2, QP 0
      "00000010"                                 // ppm_count_pruning_ratios 2: one entry
      "00000000 00000000 00000000 00111111"      // pruning_ratio 0.5
      "00000000 00000000 01000000 00111111"      // ppm_nn_accuracy 0.75
      "00000010"                                 // ppm_count_classes 2
      "1 0000011"                                // ppm_class_bitmask ue(7) 3
      "00000000 00000000 10000000 00111111"      // class accuracy 1.0
      "00000000 00000000 10000000 00111111"      // class accuracy 1.0
      "00000001"                                 // dpm_count_thresholds 1: no entry
      "10000000";                                // byte_alignment
  const NnrUnit u = parse_one(cat({kStr, unit(1, bits(body))}));
  ASSERT_EQ(u.mps.maps.size(), 2u);
  EXPECT_EQ(u.mps.maps[0].kind, "pruning");
  EXPECT_EQ(u.mps.maps[0].count, 2);
  EXPECT_EQ(u.mps.maps[1].kind, "decomposition");
  EXPECT_EQ(u.mps.maps[1].count, 1);
  bool saw_ratio = false, saw_mask = false;
  for (const SyntaxElement& e : u.mps.maps[0].elements) {
    if (e.name == "pruning_ratio") {
      saw_ratio = true;
      EXPECT_EQ(e.value, 0x3F000000);
    }
    if (e.name == "ppm_class_bitmask") {
      saw_mask = true;
      EXPECT_EQ(e.value, 3);
    }
  }
  EXPECT_TRUE(saw_ratio);
  EXPECT_TRUE(saw_mask);
}

// The writer's performance maps give the bits the syntax table of 2.4.1
// prescribes (count = entries + 1, no class accuracies), and a stream
// carrying all four maps decodes to the tensors of the same stream without.
TEST(Hls, MpsWriterPerformanceMaps) {
  ModelParameterSet m;
  m.topology_carriage_flag = 1;
  m.mps_quantization_method_flags = 1;
  m.mps_qp_density = 2;
  m.mps_quantization_parameter = -3;
  PerformanceMaps maps;
  maps.sparsification.push_back({1.0f, 0.5f, 0.75f});
  const std::string body =
      "1 1 0 0 0 001 0 0000000"
      "010 1111111111101"
      "00000010"                             // spm_count_thresholds 2: one entry
      "00000000 00000000 10000000 00111111"  // 1.0f
      "00000000 00000000 00000000 00111111"  // 0.5f
      "00000000 00000000 01000000 00111111"  // 0.75f
      "00000000"                             // spm_count_classes 0
      "10000000"                             // spm_class_bitmask ue(7) 0
      "10000000";                            // byte_alignment
  EXPECT_EQ(write_mps_body(m, maps), bits(body));

  maps.pruning.push_back({0.25f, 0.5f});
  maps.unification.push_back({{8, 6, 1}, {8, 6}, {2, 2, 1}, 0.125f, 0.875f});
  maps.decomposition.push_back({0.001f, 0.5f, 0.25f});
  maps.decomposition.push_back({0.01f, 0.25f, 0.125f});
  const NnrUnit u = parse_one(cat({kStr, unit(1, write_mps_body(m, maps))}));
  EXPECT_EQ(u.mps.mps_sparsification_flag, 1);
  EXPECT_EQ(u.mps.mps_pruning_flag, 1);
  EXPECT_EQ(u.mps.mps_unification_flag, 1);
  EXPECT_EQ(u.mps.mps_decomposition_performance_map_flag, 1);
  EXPECT_EQ(u.mps.mps_quantization_parameter, -3);
  ASSERT_EQ(u.mps.maps.size(), 4u);
  EXPECT_EQ(u.mps.maps[3].count, 3);
  std::vector<std::pair<std::string, uint64_t>> got;
  for (const auto& map : u.mps.maps)
    for (const SyntaxElement& e : map.elements) got.emplace_back(e.name, e.value);
  auto value_of = [&](const std::string& name, int nth) -> uint64_t {
    for (const auto& [n, v] : got)
      if (n == name && nth-- == 0) return v;
    return ~0ull;
  };
  EXPECT_EQ(value_of("pruning_ratio", 0), 0x3E800000u);          // 0.25f
  EXPECT_EQ(value_of("reshaped_tensor_dimensions", 2), 1u);
  EXPECT_EQ(value_of("super_block_dimensions", 1), 6u);
  EXPECT_EQ(value_of("block_dimensions", 0), 2u);
  EXPECT_EQ(value_of("upm_nn_accuracy", 0), 0x3F600000u);        // 0.875f
  EXPECT_EQ(value_of("nn_reduction_ratio", 1), 0x3E000000u);     // 0.125f
  EXPECT_EQ(value_of("dpm_count_classes", 1), 0u);

  std::vector<Tensor> ts(1);
  ts[0].name = "w";
  ts[0].shape = {4, 5};
  for (int i = 0; i < 20; ++i) ts[0].f32.push_back(0.1f * static_cast<float>(i - 7));
  EncoderSettings plain, with_maps;
  with_maps.performance_maps = maps;
  EncodeResult a, b;
  ASSERT_TRUE(encode(ts, plain, &a).ok());
  ASSERT_TRUE(encode(ts, with_maps, &b).ok());
  EXPECT_GT(b.stream.size(), a.stream.size());
  DecodedModel da, db;
  ASSERT_TRUE(decode(a.stream.data(), a.stream.size(), DecodeOptions(), &da).ok());
  const Status s = decode(b.stream.data(), b.stream.size(), DecodeOptions(), &db);
  ASSERT_TRUE(s.ok()) << s.describe();
  ASSERT_EQ(da.tensors.size(), 1u);
  ASSERT_EQ(db.tensors.size(), 1u);
  EXPECT_TRUE(da.tensors[0].f32 == db.tensors[0].f32);
  PerformanceMaps too_many;
  too_many.pruning.resize(255);
  EXPECT_THROW(write_mps_body(m, too_many), Error);
}

TEST(Hls, MpsUnificationMapLoopsOverTheBitmask) {
  // 2.4.1: the class-accuracy loop runs upm_class_bitmask times (sic), not
  // upm_count_classes times: 2 floats follow although count_classes is 9.
  const std::string body =
      "1 0 0 1 0 001 0 0000000"
      "010 0000000000000"
      "00000010"                                 // upm_count_thresholds 2: one entry
      "0101"                                     // count_reshaped_tensor_dimension ue(1) 3
      "1 0001010" "1 0010100"                    // two reshaped dimensions ue(7): 10, 20
      "1000"                                     // byte_alignment (at bit 60)
      "00000010" "00000111"                      // count_super_block_dimension 2, one value
      "00000001"                                 // count_block_dimension 1, no value
      "00000000 00000000 10000000 00111110"      // unification_threshold 0.25
      "00000000 00000000 00000000 00111111"      // upm_nn_accuracy 0.5
      "00001001"                                 // upm_count_classes 9
      "1 0000010"                                // upm_class_bitmask 2
      "00000000 00000000 10000000 00111111"
      "00000000 00000000 10000000 00111111"
      "10000000";
  const NnrUnit u = parse_one(cat({kStr, unit(1, bits(body))}));
  ASSERT_EQ(u.mps.maps.size(), 1u);
  EXPECT_EQ(u.mps.maps[0].kind, "unification");
  int accuracies = 0;
  for (const SyntaxElement& e : u.mps.maps[0].elements) accuracies += e.name == "upm_nn_class_accuracy";
  EXPECT_EQ(accuracies, 2);
}

TEST(Hls, PerformanceMapCountBeyondTheUnitFailsFast) {
  // 255 thresholds claimed in a 10-byte unit.
  const std::vector<uint8_t> mps = unit(1, bits("1 1 0 0 0 001 0 0000000  010 0000000000000  11111111 10000000"));
  std::vector<NnrUnit> units;
  const Status s = parse(cat({kStr, mps}), &units);
  EXPECT_EQ(s.code(), ErrorCode::kTruncated) << s.describe();
  EXPECT_GE(s.byte_offset(), 4);
  EXPECT_LE(s.byte_offset(), 4 + static_cast<int64_t>(mps.size()));
}

TEST(Hls, LayerParameterSet) {
  // 2.5: self-contained 1; qmf 001; qp_density 5, QP -100 (13-bit 1111110011100).
  const std::vector<uint8_t> lps = unit(2, bits("1 0000000  0 0 0 0 001 0  101 1111110011100  10000000"));
  const NnrUnit u = parse_one(lps);
  EXPECT_EQ(u.nnr_unit_type, NNR_LPS);
  EXPECT_EQ(u.lps.lps_self_contained_flag, 1);
  EXPECT_EQ(u.lps.lps_quantization_method_flags, 1);
  EXPECT_TRUE(u.lps.has_qp);
  EXPECT_EQ(u.lps.lps_qp_density, 5);
  EXPECT_EQ(u.lps.lps_quantization_parameter, -100);
  EXPECT_TRUE(u.lps.maps.empty());
}

TEST(Hls, TopologyUnits) {
  // 2.6: NNCodec's TPL units 00 06 0E FF 00 00 for UNREC, PYT and TEF.
  for (uint8_t f : {0, 3, 4}) {
    const NnrUnit u = parse_one({0x00, 0x06, 0x0E, f, 0x00, 0x00});
    EXPECT_EQ(u.nnr_unit_type, NNR_TPL);
    EXPECT_EQ(u.tpl.topology_storage_format, f);
    EXPECT_EQ(u.tpl.topology_compression_format, 0);
    EXPECT_EQ(u.tpl.topology_data, "");
  }
  const NnrUnit d = parse_one(unit(3, cat({{0x03, 0x01}, str_bytes("net")})));
  EXPECT_EQ(d.tpl.topology_storage_format, NNR_TPL_PYT);
  EXPECT_EQ(d.tpl.topology_compression_format, 1);
  EXPECT_EQ(d.tpl.topology_data, "net");
  // REFLIST with three ids: ue(7) 1, alignment, strings.
  const NnrUnit r = parse_one(unit(3, cat({{0x06, 0x00}, bits("1 0000001 10000000"), str_bytes("a"),
                                            str_bytes("bb"), str_bytes("c.d")})));
  EXPECT_EQ(r.tpl.topology_elem_ids, (std::vector<std::string>{"a", "bb", "c.d"}));
  // PRUN is not supported.
  std::vector<NnrUnit> units;
  Status s = parse(cat({kStr, unit(3, {0x05, 0x00, 0x00})}), &units);
  EXPECT_EQ(s.code(), ErrorCode::kUnsupported) << s.describe();
  // A topology string without its terminator inside the unit.
  s = parse(cat({kStr, unit(3, {0x00, 0x00, 'a', 'b'}), {0x00}}), &units);
  EXPECT_EQ(s.code(), ErrorCode::kTruncated) << s.describe();
  EXPECT_EQ(s.byte_offset(), 4 + 5);
  // A byte after the string.
  s = parse(cat({kStr, unit(3, {0x00, 0x00, 'a', 0x00, 0x00})}), &units);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidBitstream) << s.describe();
  EXPECT_EQ(s.byte_offset(), 4 + 7);
}

// The NDU header of the worked example (spec 10.2), field by field.
TEST(Hls, FloatNduHeader) {
  const std::vector<uint8_t> ndu = {0x00, 0x29, 0x16, 0x09, 'l', 'a', 'y', 'e', 'r', '.', 'w', 'e', 'i', 'g',
                                    'h',  't',  0x00, 0x70, 0x48, 0x28, 0x40, 0xA0, 0x80};
  std::vector<uint8_t> s = cat({kStr, kMps, {0x00, 0x06, 0x0E, 0x00, 0x00, 0x00}, ndu, std::vector<uint8_t>(18, 0)});
  std::vector<NnrUnit> units;
  ASSERT_TRUE(parse(s, &units).ok());
  const NnrUnit& u = units[3];
  EXPECT_EQ(u.offset, 18u);
  EXPECT_EQ(u.nnr_unit_size, 41u);
  EXPECT_EQ(u.nnr_unit_type, NNR_NDU);
  const NduHeader& h = u.ndu;
  EXPECT_EQ(h.nnr_compressed_data_unit_payload_type, NNR_PT_FLOAT);
  EXPECT_EQ(h.nnr_multiple_topology_elements_present_flag, 0);
  EXPECT_EQ(h.nnr_decompressed_data_format_present_flag, 0);
  EXPECT_EQ(h.input_parameters_present_flag, 1);
  EXPECT_EQ(h.topology_elem_ids, (std::vector<std::string>{"layer.weight"}));
  EXPECT_EQ(h.codebook_present_flag, 0);
  EXPECT_EQ(h.dq_flag, 1);
  EXPECT_EQ(h.tensor_dimensions_flag, 1);
  EXPECT_EQ(h.cabac_unary_length_flag, 1);
  EXPECT_EQ(h.compressed_parameter_types, 0);
  EXPECT_EQ(h.tensor_dimensions, (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(h.cabac_unary_length_minus1, 10);
  EXPECT_EQ(h.scan_order, 0);
  EXPECT_TRUE(h.entry_points.empty());
  EXPECT_EQ(u.payload_offset, 18u + 23u);
  EXPECT_EQ(u.payload_size, 18u);
}

TEST(Hls, IntNduHeader) {
  // pt 0 (00000 0 0 1), name "i"; no codebook flag; dq 0, dims flag 1, unary
  // flag 1, cpt 0000; count ue(1) 1 = "11"; dim 5; unary_minus1 10; no
  // scan_order (one dimension); alignment.
  const std::vector<uint8_t> body =
      cat({{0x01}, str_bytes("i"), bits("0 1 1 0000  11  1 0000101  00001010  1000000"), {0xAB, 0xCD}});
  const NnrUnit u = parse_one(unit(5, body));
  const NduHeader& h = u.ndu;
  EXPECT_EQ(h.nnr_compressed_data_unit_payload_type, NNR_PT_INT);
  EXPECT_EQ(h.codebook_present_flag, 0);
  EXPECT_EQ(h.dq_flag, 0);
  EXPECT_EQ(h.tensor_dimensions, (std::vector<int64_t>{5}));
  EXPECT_EQ(h.cabac_unary_length_minus1, 10);
  EXPECT_EQ(u.payload_offset, u.offset + 3 + 1 + 2 + 4);
  EXPECT_EQ(u.payload_size, 2u);
}

TEST(Hls, RawFloatNdu) {
  // pt 2 (00010 0 0 1): neither codebook nor dq flag. 24 header bits after
  // the name, so the alignment is a whole byte.
  const float v[3] = {1.0f, -2.5f, 0.001f};
  std::vector<uint8_t> payload(12);
  for (int i = 0; i < 3; ++i) {
    uint32_t b;
    std::memcpy(&b, &v[i], 4);
    for (int k = 0; k < 4; ++k) payload[4 * i + k] = static_cast<uint8_t>(b >> (8 * k));
  }
  const std::vector<uint8_t> header = cat({{0x11}, str_bytes("r"), bits("1 1 0000  11  1 0000011  00001010  10000000")});
  const std::vector<uint8_t> s = cat({kStr, kMps, unit(5, cat({header, payload}))});
  std::vector<NnrUnit> units;
  ASSERT_TRUE(parse(s, &units).ok());
  EXPECT_EQ(units[2].ndu.nnr_compressed_data_unit_payload_type, NNR_PT_RAW_FLOAT);
  EXPECT_EQ(units[2].ndu.tensor_dimensions, (std::vector<int64_t>{3}));
  EXPECT_EQ(units[2].payload_size, 12u);
  DecodedModel m;
  const Status st = decode(s.data(), s.size(), DecodeOptions{}, &m);
  ASSERT_TRUE(st.ok()) << st.describe();
  ASSERT_EQ(m.tensors.size(), 1u);
  EXPECT_EQ(m.tensors[0].name, "r");
  EXPECT_EQ(m.tensors[0].dtype, DType::kFloat32);
  EXPECT_EQ(m.tensors[0].f32, std::vector<float>(v, v + 3));
  // One byte short of 3 floats.
  payload.pop_back();
  const std::vector<uint8_t> bad = cat({kStr, kMps, unit(5, cat({header, payload}))});
  EXPECT_EQ(decode(bad.data(), bad.size(), DecodeOptions{}, &m).code(), ErrorCode::kInvalidBitstream);
}

TEST(Hls, EntryPointsSecondOrder) {
  // FLOAT, dq 1, dims [32, 4], scan_order 1 (B = 8): ceil(32/8) - 1 = 3 entry
  // points with Delta 300, 290, 310: ue(11) 300, then ie(7) -10 and +20.
  const std::string h =
      "0 1 1 1 0000"         // codebook 0, dq 1, dims flag, unary flag, cpt 0
      "0100"                 // count_tensor_dimensions 2
      "1 0100000 1 0000100"  // 32, 4
      "00001010"             // cabac_unary_length_minus1 10
      "0001"                 // scan_order 1
      "10100101 011 1 00100101100"   // ep_value 165, dq state 3, ue(11) 300
      "00000000 111 1 0010100"       // ep_value 0, dq state 7, ie(7) -10 (x = 20)
      "11111111 000 1 0100111"       // ep_value 255, dq state 0, ie(7) +20 (x = 39)
      "1";
  const NnrUnit u = parse_one(unit(5, cat({{0x09}, str_bytes("e"), bits(h), {0x00, 0x00}})));
  const NduHeader& n = u.ndu;
  EXPECT_EQ(n.scan_order, 1);
  ASSERT_EQ(n.entry_points.size(), 3u);
  EXPECT_EQ(n.entry_points[0].ep_value, 165u);
  EXPECT_EQ(n.entry_points[0].ep_dq_state, 3u);
  EXPECT_EQ(n.entry_points[0].delta, 300);
  EXPECT_EQ(n.entry_points[1].ep_value, 0u);
  EXPECT_EQ(n.entry_points[1].ep_dq_state, 7u);
  EXPECT_EQ(n.entry_points[1].delta, 290);
  EXPECT_EQ(n.entry_points[2].ep_value, 255u);
  EXPECT_EQ(n.entry_points[2].ep_dq_state, 0u);
  EXPECT_EQ(n.entry_points[2].delta, 310);
  EXPECT_EQ(u.payload_size, 2u);
}

TEST(Hls, EntryPointExampleOfTheSpec) {
  // 10.5: the header bytes after the name 70 48 C8 A0 A1 A5 73 CF: dims 12
  // and 10, unary 10, scan_order 1, ep_value 165, ep_dq_state 3, Delta 487.
  const NnrUnit u = parse_one(unit(5, cat({{0x09}, str_bytes("ep.weight"),
                                           {0x70, 0x48, 0xC8, 0xA0, 0xA1, 0xA5, 0x73, 0xCF},
                                           std::vector<uint8_t>(100, 0x00)})));
  const NduHeader& h = u.ndu;
  EXPECT_EQ(h.tensor_dimensions, (std::vector<int64_t>{12, 10}));
  EXPECT_EQ(h.dq_flag, 1);
  EXPECT_EQ(h.scan_order, 1);
  ASSERT_EQ(h.entry_points.size(), 1u);
  EXPECT_EQ(h.entry_points[0].ep_value, 165u);
  EXPECT_EQ(h.entry_points[0].ep_dq_state, 3u);
  EXPECT_EQ(h.entry_points[0].delta, 487);
  EXPECT_EQ(u.payload_size, 100u);
}

TEST(Hls, IntegerCodebooks) {
  struct Case {
    std::string code;
    int egk;
    int64_t zero_offset;
    std::vector<int64_t> values;
  };
  const Case cases[] = {
      // egk 1, size ue(2) 5 = 01001, centre ie(2) 0 (CbZeroOffset 2), zero
      // value ie(7) -3 (x = 6); left deltas ue(1) 3, 12; right deltas 2, 8.
      {"0001 01001 100 10000110 0101 001110 0100 001010", 1, 2, {-20, -7, -3, 0, 9}},
      // egk 0, size 1 (101), centre 0, value 5 (ie(7): x = 9).
      {"0000 101 100 10001001", 0, 0, {5}},
      // size 5, centre -2 (ie(2) 110: x = 4 -> 01000): CbZeroOffset 0; zero value
      // 0; right deltas ue(0) 0, 0, 1, 2 -> 1, 2, 4, 7.
      {"0000 01001 01000 10000000 1 1 010 011", 0, 0, {0, 1, 2, 4, 7}},
      // size 3 (111), centre +1 (ie(2) 101): CbZeroOffset 2; zero value 100
      // (ie(7) x = 199 = 01 01000111); left deltas ue(3) 0 (1000), 9 (0 1 0001).
      {"0011 111 101 01 01000111 1000 010001", 3, 2, {89, 99, 100}},
  };
  for (const Case& c : cases) {
    const std::vector<uint8_t> b = bits(c.code);
    BitReader br(b.data(), b.size());
    IntegerCodebook cb;
    parse_integer_codebook(br, cb);
    EXPECT_EQ(cb.codebook_egk, c.egk) << c.code;
    EXPECT_EQ(cb.codebook_size, static_cast<int64_t>(c.values.size())) << c.code;
    EXPECT_EQ(cb.cb_zero_offset, c.zero_offset) << c.code;
    EXPECT_EQ(cb.values, c.values) << c.code;
    EXPECT_EQ(br.bit_pos(), testing_bits::bit_count(c.code)) << c.code;
  }
  // CbZeroOffset outside 0 .. S-1: size 2 with centre offset +1 -> 2.
  {
    const std::vector<uint8_t> b = bits("0000 110 101 1000000 0000000");
    BitReader br(b.data(), b.size());
    IntegerCodebook cb;
    EXPECT_THROW(parse_integer_codebook(br, cb), Error);
  }
  // codebook_size 0.
  {
    const std::vector<uint8_t> b = bits("0000 100 100 10000000");
    BitReader br(b.data(), b.size());
    IntegerCodebook cb;
    EXPECT_THROW(parse_integer_codebook(br, cb), Error);
  }
}

TEST(Hls, BlockUnitWithLocalScalingBatchNormAndBias) {
  // pt 3, multiple 1: 00011 1 0 1; count_topology_elements_minus2 ue(7) 5,
  // byte_alignment (a whole byte), seven names; codebook 0, dq 1, dims flag,
  // unary flag, cpt 1110 (BI | BN | LS); dims [4, 3]; unary 10; scan 0.
  const std::vector<uint8_t> body =
      cat({{0x1D}, bits("1 0000101 10000000"), str_bytes("w"), str_bytes("ls"), str_bytes("beta"),
           str_bytes("gamma"), str_bytes("mean"), str_bytes("var"), str_bytes("b"),
           bits("0 1 1 1 1110  0100 1 0000100 1 0000011  00001010  0000  1000"), {0x00, 0x00}});
  const NnrUnit u = parse_one(unit(5, body));
  const NduHeader& h = u.ndu;
  EXPECT_EQ(h.nnr_compressed_data_unit_payload_type, NNR_PT_BLOCK);
  EXPECT_EQ(h.nnr_multiple_topology_elements_present_flag, 1);
  EXPECT_EQ(h.topology_elem_ids.size(), 7u);
  EXPECT_EQ(h.compressed_parameter_types, NNR_CPT_LS | NNR_CPT_BN | NNR_CPT_BI);
  EXPECT_EQ(h.tensor_dimensions, (std::vector<int64_t>{4, 3}));
  // Coding order (3.3): LS, BI, beta, gamma, mean, var, W; list positions
  // LS 1, BN 2..5, BI 6, W 0.
  const std::vector<MemberPlan> m = plan_ndu_members(u, h.topology_elem_ids);
  ASSERT_EQ(m.size(), 7u);
  const std::vector<std::pair<std::string, int>> want = {{"ls", 1},   {"b", 6},   {"beta", 2}, {"gamma", 3},
                                                         {"mean", 4}, {"var", 5}, {"w", 0}};
  for (size_t i = 0; i < m.size(); ++i) {
    EXPECT_EQ(m[i].name, want[i].first) << i;
    EXPECT_EQ(m[i].list_position, want[i].second) << i;
    const std::vector<int64_t> shape = i + 1 < m.size() ? std::vector<int64_t>{4} : std::vector<int64_t>{4, 3};
    EXPECT_EQ(m[i].shape, shape) << i;
    EXPECT_EQ(m[i].codebook, nullptr);
  }
  EXPECT_EQ(m[0].role, MemberRole::kLs);
  EXPECT_EQ(m[6].role, MemberRole::kWeight);
  // The same cpt with one name fewer is inconsistent.
  std::vector<std::string> fewer = h.topology_elem_ids;
  fewer.pop_back();
  EXPECT_THROW(plan_ndu_members(u, fewer), Error);
}

TEST(Hls, BlockUnitWithDecompositionCodebooksAndEntryPoint) {
  // cpt 1001 (DC | BI): names G, H, BI. Main codebook {5}; rank ue(3) 3,
  // g_number_of_rows ue(3) 16 (0 1 1000); dims [16, 6]; second codebook
  // {-1, 2} (size 2, centre -1 -> CbZeroOffset 0, value -1, right delta
  // ue(0) 2); scan_order 1: (ceil(16/8) - 1) + (ceil(3/8) - 1) = 1 entry
  // point: ep_value 0x55, ue(11) 1000.
  const std::string h =
      "1 0000 101 100 10001001"        // codebook_present, integer_codebook {5}
      "0 1 1 1001"                     // dq 0, dims flag, unary flag, cpt
      "1011 011000"                    // rank 3, g 16
      "0100 1 0010000 1 0000110"       // dims 16, 6
      "00001010"                       // unary 10
      "0000 110 110 10000010 011"      // second codebook
      "0001"                           // scan_order 1
      "01010101 1 01111101000"         // entry point
      "1";
  const std::vector<uint8_t> body =
      cat({{0x1D}, bits("1 0000001 10000000"), str_bytes("g"), str_bytes("h"), str_bytes("bias"), bits(h), {0x00}});
  const NnrUnit u = parse_one(unit(5, body));
  const NduHeader& n = u.ndu;
  EXPECT_EQ(n.codebook_present_flag, 1);
  EXPECT_EQ(n.codebook.values, (std::vector<int64_t>{5}));
  EXPECT_EQ(n.codebook_h.values, (std::vector<int64_t>{-1, 2}));
  EXPECT_EQ(n.codebook_h.cb_zero_offset, 0);
  EXPECT_EQ(n.decomposition_rank, 3);
  EXPECT_EQ(n.g_number_of_rows, 16);
  EXPECT_EQ(n.tensor_dimensions, (std::vector<int64_t>{16, 6}));
  ASSERT_EQ(n.entry_points.size(), 1u);
  EXPECT_EQ(n.entry_points[0].ep_value, 0x55u);
  EXPECT_EQ(n.entry_points[0].delta, 1000);
  EXPECT_EQ(u.payload_size, 1u);
  // Members: BI [16], then G [16, 3] with the main codebook and the entry
  // point, then H [3, 96/16] with the second codebook.
  const std::vector<MemberPlan> m = plan_ndu_members(u, n.topology_elem_ids);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].role, MemberRole::kBias);
  EXPECT_EQ(m[0].list_position, 2);
  EXPECT_EQ(m[0].shape, (std::vector<int64_t>{16}));
  EXPECT_EQ(m[1].role, MemberRole::kG);
  EXPECT_EQ(m[1].shape, (std::vector<int64_t>{16, 3}));
  EXPECT_EQ(m[1].codebook, &n.codebook);
  EXPECT_EQ(m[1].ep_count, 1u);
  EXPECT_EQ(m[2].role, MemberRole::kH);
  EXPECT_EQ(m[2].shape, (std::vector<int64_t>{3, 6}));
  EXPECT_EQ(m[2].codebook, &n.codebook_h);
  EXPECT_EQ(m[2].ep_count, 0u);
}

TEST(Hls, NduHeaderErrors) {
  std::vector<NnrUnit> units;
  auto try_ndu = [&](const std::vector<uint8_t>& body) {
    return parse(cat({kStr, kMps, unit(5, body)}), &units);
  };
  // Reserved payload type 4.
  Status s = try_ndu(cat({{0x21}, str_bytes("x"), {0x70, 0x48, 0x28, 0x40, 0xA0, 0x80}}));
  EXPECT_EQ(s.code(), ErrorCode::kInvalidBitstream) << s.describe();
  // scan_order 5.
  s = try_ndu(cat({{0x09}, str_bytes("x"), {0x70, 0x48, 0x28, 0x40, 0xA5, 0x80}}));
  EXPECT_EQ(s.code(), ErrorCode::kInvalidBitstream) << s.describe();
  // The header runs past the end of its unit.
  s = try_ndu(cat({{0x09}, str_bytes("x"), {0x70, 0x48}}));
  EXPECT_EQ(s.code(), ErrorCode::kTruncated) << s.describe();
  EXPECT_GE(s.byte_offset(), 12);
  EXPECT_LE(s.byte_offset(), 12 + 8);
  // The name runs past the end of its unit.
  s = try_ndu({0x09, 'a', 'b'});
  EXPECT_EQ(s.code(), ErrorCode::kTruncated) << s.describe();
  // Several elements in a non-block unit (topology_tensor_dimension_mapping).
  s = try_ndu(cat({{0x0D}, bits("1 0000000 10000000"), str_bytes("a"), str_bytes("b"),
                   {0x70, 0x48, 0x28, 0x40, 0xA0, 0x80}}));
  EXPECT_EQ(s.code(), ErrorCode::kUnsupported) << s.describe();
}

TEST(Hls, AggregateUnitLayout) {
  // The project's reading (hls/agg.cc): u(8) type, u(1) entry points flag,
  // u(16) num_of_nnr_units_minus2, [u(6) type, u(32) entry point]..., alignment.
  const std::vector<uint8_t> qnt = {0x00, 0x08, 0x12, 0x01, 0x00, 'a', 'b', 0x00};
  const std::vector<uint8_t> tpl = {0x00, 0x06, 0x0E, 0x03, 0x00, 0x00};
  {
    const std::vector<uint8_t> agg = unit(6, cat({bits("00000000 0 0000000000000000 1000000"), qnt, tpl}));
    std::vector<NnrUnit> units;
    const Status s = parse(cat({kStr, kMps, agg}), &units);
    ASSERT_TRUE(s.ok()) << s.describe();
    const NnrUnit& a = units[2];
    EXPECT_EQ(a.nnr_unit_type, NNR_AGG);
    EXPECT_EQ(a.agg.entry_points_present_flag, 0);
    EXPECT_EQ(a.agg.num_of_nnr_units_minus2, 0);
    EXPECT_EQ(a.payload_offset, 12u + 3u + 4u);
    ASSERT_EQ(a.children.size(), 2u);
    EXPECT_EQ(a.children[0].nnr_unit_type, NNR_QNT);
    EXPECT_EQ(a.children[0].offset, 19u);
    EXPECT_EQ(a.children[0].qnt.quantization_data, "ab");
    EXPECT_EQ(a.children[1].nnr_unit_type, NNR_TPL);
    EXPECT_EQ(a.children[1].offset, 27u);
    EXPECT_EQ(a.children[1].tpl.topology_storage_format, NNR_TPL_PYT);
  }
  {
    // With the table: types 4 and 3, entry points 0 and 8; 101 bits + 3.
    const std::string h =
        "00000111 1 0000000000000000"
        "000100 00000000000000000000000000000000"
        "000011 00000000000000000000000000001000"
        "100";
    const std::vector<uint8_t> agg = unit(6, cat({bits(h), qnt, tpl}));
    std::vector<NnrUnit> units;
    const Status s = parse(cat({kStr, kMps, agg}), &units);
    ASSERT_TRUE(s.ok()) << s.describe();
    const AggregateHeader& a = units[2].agg;
    EXPECT_EQ(a.nnr_aggregate_unit_type, 7);
    EXPECT_EQ(a.entry_points_present_flag, 1);
    EXPECT_EQ(a.nnr_unit_types, (std::vector<int>{NNR_QNT, NNR_TPL}));
    EXPECT_EQ(a.nnr_unit_entry_points, (std::vector<int64_t>{0, 8}));
    EXPECT_EQ(units[2].children.size(), 2u);
  }
  std::vector<NnrUnit> units;
  // Nested aggregates are not supported.
  const std::vector<uint8_t> inner = unit(6, cat({bits("00000000 0 0000000000000000 1000000"), qnt, tpl}));
  Status s = parse(cat({kStr, unit(6, cat({bits("00000000 0 0000000000000000 1000000"), inner, tpl}))}), &units);
  EXPECT_EQ(s.code(), ErrorCode::kUnsupported) << s.describe();
  // A child unit that runs past the end of the aggregate.
  std::vector<uint8_t> long_child = tpl;
  long_child[1] = 0x07;
  s = parse(cat({kStr, unit(6, cat({bits("00000000 0 0000000000000000 1000000"), qnt, long_child})), {0x00}}), &units);
  EXPECT_EQ(s.code(), ErrorCode::kTruncated) << s.describe();
  EXPECT_EQ(s.byte_offset(), 4 + 7 + 8);
  // Two units where the header says three.
  s = parse(cat({kStr, unit(6, cat({bits("00000000 0 0000000000000001 1000000"), qnt, tpl}))}), &units);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidBitstream) << s.describe();
  EXPECT_EQ(s.byte_offset(), 4);
  // An entry point table longer than the unit: 65537 units claimed.
  s = parse(cat({kStr, unit(6, bits("00000000 1 1111111111111111 0000000"))}), &units);
  EXPECT_EQ(s.code(), ErrorCode::kTruncated) << s.describe();
}

TEST(Hls, UnitFraming) {
  std::vector<NnrUnit> units;
  // Empty input and a lone byte.
  EXPECT_EQ(parse({}, &units).code(), ErrorCode::kTruncated);
  Status s = parse({0x00}, &units);
  EXPECT_EQ(s.code(), ErrorCode::kTruncated);
  EXPECT_EQ(s.byte_offset(), 0);
  // A unit cut inside its size field, after a complete start unit.
  s = parse(cat({kStr, {0x00}}), &units);
  EXPECT_EQ(s.code(), ErrorCode::kTruncated);
  EXPECT_EQ(s.byte_offset(), 4);
  // Reserved unit types 7 and 63 (type byte = type << 2 | 0b10).
  for (int type : {7, 33, 63}) {
    s = parse(cat({kStr, {0x00, 0x03, static_cast<uint8_t>(type << 2 | 2)}}), &units);
    EXPECT_EQ(s.code(), ErrorCode::kInvalidBitstream) << type;
    EXPECT_EQ(s.byte_offset(), 4) << type;
  }
  // nnr_unit_size smaller than size field + header byte: short form < 3, long form < 5.
  s = parse(cat({kStr, {0x00, 0x00}}), &units);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.byte_offset(), 4);
  s = parse(cat({kStr, {0x80, 0x00, 0x00, 0x04, 0x02}}), &units);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidBitstream) << s.describe();
  EXPECT_EQ(s.byte_offset(), 4);
  // nnr_unit_size larger than what is left: short form, and long form near 2^31.
  s = parse(cat({kStr, {0x00, 0x09, 0x02, 0x00}}), &units);
  EXPECT_EQ(s.code(), ErrorCode::kTruncated) << s.describe();
  EXPECT_EQ(s.byte_offset(), 4);
  s = parse(cat({kStr, {0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0x00}}), &units);
  EXPECT_EQ(s.code(), ErrorCode::kTruncated) << s.describe();
  EXPECT_EQ(s.byte_offset(), 4);
  // A long-form start unit of exactly its size.
  s = parse({0x80, 0x00, 0x00, 0x06, 0x02, 0x00}, &units);
  ASSERT_TRUE(s.ok()) << s.describe();
  EXPECT_EQ(units[0].nnr_unit_size, 6u);
  // Trailing bytes inside a unit: the error names the first unused byte.
  s = parse(cat({kStr, {0x00, 0x06, 0x02, 0x00, 0x00, 0x00}}), &units);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidBitstream) << s.describe();
  EXPECT_EQ(s.byte_offset(), 4 + 4);
  s = parse(cat({kStr, {0x00, 0x09, 0x06, 0x81, 0x00, 0x40, 0x00, 0x80, 0x00}}), &units);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidBitstream) << s.describe();
  EXPECT_EQ(s.byte_offset(), 4 + 8);
  // An MPS after an NDU.
  const std::vector<uint8_t> raw = unit(5, cat({{0x11}, str_bytes("r"), bits("1 1 0000 11 1 0000001 00001010 10000000"),
                                               {0x00, 0x00, 0x80, 0x3F}}));
  ASSERT_TRUE(parse(cat({kStr, kMps, raw}), &units).ok());
  s = parse(cat({kStr, kMps, raw, kMps}), &units);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidBitstream) << s.describe();
  EXPECT_EQ(s.byte_offset(), static_cast<int64_t>(4 + 8 + raw.size()));
}

TEST(Hls, PartialDataCounterInTheHeader) {
  // partial_data_counter_present_flag 1: u(8) counter after the header byte.
  const std::vector<uint8_t> q = {0x00, 0x09, 0x13, 0x05, 0x01, 0x00, 'x', 'y', 0x00};
  const NnrUnit u = parse_one(q);
  EXPECT_EQ(u.nnr_unit_type, NNR_QNT);
  EXPECT_EQ(u.partial_data_counter_present_flag, 1);
  EXPECT_EQ(u.partial_data_counter, 5);
  EXPECT_EQ(u.qnt.quantization_data, "xy");
}

}  // namespace
}  // namespace nnr
