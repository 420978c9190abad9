// The worked example of the bitstream specification (section 10): a 59-byte
// stream whose every byte and decoded value the specification gives. An
// independent oracle for the bit reader, the unit parsers, the arithmetic
// decoder and encoder, and the trellis quantiser.
#include <gtest/gtest.h>

#include <cstring>

#include "nnr/decoder.h"
#include "nnr/encoder.h"

namespace nnr {
namespace {

const std::vector<uint8_t> kStream = {
    0x00, 0x04, 0x02, 0x00,                                      // NNR_STR
    0x00, 0x08, 0x06, 0x81, 0x00, 0x40, 0x00, 0x80,              // NNR_MPS
    0x00, 0x06, 0x0E, 0x00, 0x00, 0x00,                          // NNR_TPL
    0x00, 0x29, 0x16, 0x09, 0x6C, 0x61, 0x79, 0x65, 0x72, 0x2E,  // NDU header ...
    0x77, 0x65, 0x69, 0x67, 0x68, 0x74, 0x00, 0x70, 0x48, 0x28, 0x40, 0xA0, 0x80,
    0xD9, 0xB3, 0x00, 0x07, 0x87, 0x03, 0x2B, 0x3E, 0x0F, 0xA6,  // arithmetic segment
    0xCB, 0x21, 0x23, 0xA0, 0xDA, 0x05, 0xC7, 0xC0};

const uint32_t kDecodedBits[8] = {0x3C400000, 0xBD280000, 0x00000000, 0x3DB40000,
                                  0xBBC00000, 0x3CD80000, 0x3E190000, 0xBDBD0000};

const float kWeights[8] = {0.0113f, -0.0421f, 0.0f, 0.0877f, -0.0062f, 0.0250f, 0.1500f, -0.0930f};

TEST(SpecExample, StreamIs59Bytes) { EXPECT_EQ(kStream.size(), 59u); }

TEST(SpecExample, DecodesToTheGivenValues) {
  DecodedModel m;
  DecodeOptions opt;
  opt.keep_levels = true;
  ASSERT_TRUE(decode(kStream.data(), kStream.size(), opt, &m).ok());
  ASSERT_EQ(m.tensors.size(), 1u);
  const DecodedTensor& t = m.tensors[0];
  EXPECT_EQ(t.name, "layer.weight");
  EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(t.info.qp, -38);
  for (int i = 0; i < 8; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &t.f32[i], 4);
    EXPECT_EQ(bits, kDecodedBits[i]) << "element " << i;
  }
  EXPECT_EQ(t.levels, (std::vector<int32_t>{8, -28, 0, 60, -4, 18, 102, -63}));
}

TEST(SpecExample, NduHeaderFields) {
  std::vector<NnrUnit> units;
  ASSERT_TRUE(parse_units(kStream.data(), kStream.size(), &units).ok());
  ASSERT_EQ(units.size(), 4u);
  EXPECT_EQ(units[1].mps.mps_qp_density, 2);
  const NduHeader& h = units[3].ndu;
  EXPECT_EQ(units[3].nnr_unit_size, 0x29u);
  EXPECT_EQ(h.nnr_compressed_data_unit_payload_type, NNR_PT_FLOAT);
  EXPECT_EQ(h.dq_flag, 1);
  EXPECT_EQ(h.tensor_dimensions, (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(h.cabac_unary_length_minus1, 10);
  EXPECT_EQ(units[3].payload_offset, 41u);
  EXPECT_EQ(units[3].payload_size, 18u);
}

TEST(SpecExample, EncoderReproducesTheStream) {
  Tensor t;
  t.name = "layer.weight";
  t.shape = {2, 4};
  t.f32.assign(kWeights, kWeights + 8);
  EncoderSettings s;
  s.param_opt = false;
  EncodeResult r;
  ASSERT_TRUE(encode({t}, s, &r).ok());
  EXPECT_EQ(r.stream, kStream);
}

// Spec 10.4: the same input with param_opt on, and with use_dq off.
TEST(SpecExample, Variants) {
  Tensor t;
  t.name = "layer.weight";
  t.shape = {2, 4};
  t.f32.assign(kWeights, kWeights + 8);
  {
    EncoderSettings s;  // defaults: param_opt on
    EncodeResult r;
    ASSERT_TRUE(encode({t}, s, &r).ok());
    const std::vector<uint8_t> seg = {0xD9, 0xB3, 0x05, 0xE2, 0x6E, 0x58, 0xA8, 0x1D, 0x7C, 0xFD, 0x60, 0xA2,
                                      0x00, 0x0F, 0x75, 0x88, 0x7B, 0x6D, 0x72, 0x6D, 0x11, 0x11, 0x80};
    ASSERT_GE(r.stream.size(), seg.size());
    EXPECT_EQ(std::vector<uint8_t>(r.stream.end() - seg.size(), r.stream.end()), seg);
    EXPECT_EQ(r.stream[19], 0x2E);  // NDU size
  }
  {
    EncoderSettings s;
    s.use_dq = false;
    s.param_opt = false;
    EncodeResult r;
    ASSERT_TRUE(encode({t}, s, &r).ok());
    const std::vector<uint8_t> seg = {0xD9, 0xB3, 0x00, 0x13, 0x50, 0x00, 0x04, 0xA0, 0x0F, 0xCD, 0xE3,
                                      0x6A, 0xC3, 0x38, 0x00, 0x1C, 0x27, 0x93, 0x11, 0x65, 0xC0};
    EXPECT_EQ(std::vector<uint8_t>(r.stream.end() - seg.size(), r.stream.end()), seg);
    EXPECT_EQ(r.stream[19], 0x2C);
    EXPECT_EQ(r.stream[35], 0x30);  // codebook 0, dq_flag 0, dims flag, unary flag, cpt 0
    DecodedModel m;
    DecodeOptions opt;
    opt.keep_levels = true;
    ASSERT_TRUE(decode(r.stream.data(), r.stream.size(), opt, &m).ok());
    EXPECT_EQ(m.tensors[0].levels, (std::vector<int32_t>{8, -29, 0, 60, -4, 17, 102, -63}));
  }
}

// Spec 10.5: a block-scanned tensor with one entry point.
TEST(SpecExample, EntryPoint) {
  Tensor t;
  t.name = "ep.weight";
  t.shape = {12, 10};
  for (int i = 0; i < 12; ++i)
    for (int j = 0; j < 10; ++j) t.f32.push_back(static_cast<float>(((3 * i + j) % 7 - 3) * 0.01));
  EncoderSettings s;
  s.scan_order = 1;
  s.param_opt = false;
  EncodeResult r;
  ASSERT_TRUE(encode({t}, s, &r).ok());
  std::vector<NnrUnit> units;
  ASSERT_TRUE(parse_units(r.stream.data(), r.stream.size(), &units).ok());
  const NduHeader& h = units[3].ndu;
  ASSERT_EQ(h.entry_points.size(), 1u);
  EXPECT_EQ(h.entry_points[0].ep_value, 165u);
  EXPECT_EQ(h.entry_points[0].ep_dq_state, 3u);
  EXPECT_EQ(h.entry_points[0].delta, 487);
  EXPECT_EQ(units[3].payload_size, 100u);
  const size_t p = units[3].payload_offset;
  EXPECT_EQ(std::vector<uint8_t>(r.stream.begin() + p, r.stream.begin() + p + 8),
            (std::vector<uint8_t>{0xD9, 0xB3, 0x00, 0x00, 0x01, 0x00, 0x83, 0x45}));
  // The header bytes after the name.
  const size_t name_end = units[3].offset + 3 + 1 + t.name.size() + 1;
  EXPECT_EQ(std::vector<uint8_t>(r.stream.begin() + name_end, r.stream.begin() + name_end + 8),
            (std::vector<uint8_t>{0x70, 0x48, 0xC8, 0xA0, 0xA1, 0xA5, 0x73, 0xCF}));
}

}  // namespace
}  // namespace nnr
