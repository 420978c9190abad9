// The unit parsers on hand-built units (bit strings written from the syntax
// tables of spec section 2), and the unit kinds the reference software never
// writes: LPS, QNT, TPL element lists, indexed references, AGG, partial data.
#include <gtest/gtest.h>

#include <cstring>

#include "hls/enc_units.h"
#include "nnr/decoder.h"
#include "nnr/encoder.h"

namespace nnr {
namespace {

// "0101 1..." -> bytes (spaces ignored, zero-padded).
std::vector<uint8_t> bits(const std::string& s) {
  std::vector<uint8_t> out;
  int n = 0;
  for (char c : s) {
    if (c != '0' && c != '1') continue;
    if (n % 8 == 0) out.push_back(0);
    if (c == '1') out.back() |= static_cast<uint8_t>(0x80 >> (n % 8));
    ++n;
  }
  return out;
}

std::vector<uint8_t> cat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> v;
  for (const auto& p : parts) v.insert(v.end(), p.begin(), p.end());
  return v;
}

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

}  // namespace
}  // namespace nnr
