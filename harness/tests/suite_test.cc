// The project's conformance suite: the stream builder and the specification
// model reproduce the specification's worked example exactly, and
// regenerating the suite gives the committed bytes.
#include <gtest/gtest.h>

#include <cstring>

#include "conformance/suite/generate.h"
#include "conformance/suite/spec_model.h"
#include "conformance/suite/stream_builder.h"
#include "conformance/suite/vector_defs.h"

namespace nnr {
namespace {

// Spec 10.1-10.3: one tensor, DQ, qp -38, every init set 0.
TEST(SuiteBuilder, ReproducesTheWorkedExampleOfTheSpecification) {
  using namespace suite;
  NduSpec n;
  n.payload_type = NNR_PT_FLOAT;
  n.dims = {2, 4};
  n.dq_flag = 1;
  MemberSpec m;
  m.name = "layer.weight";
  m.shape = {2, 4};
  m.k = {4, -14, 0, 30, -2, 9, 51, -32};
  m.qp_offset = -38;
  m.init_sets = InitSets::kZero;
  n.members.push_back(m);
  const std::vector<UnitSpec> units = {str_unit(), mps_unit(2), tpl_unit(), ndu_unit(n)};
  const std::vector<uint8_t> want = {
      0x00, 0x04, 0x02, 0x00, 0x00, 0x08, 0x06, 0x81, 0x00, 0x40, 0x00, 0x80, 0x00, 0x06, 0x0E,
      0x00, 0x00, 0x00, 0x00, 0x29, 0x16, 0x09, 'l',  'a',  'y',  'e',  'r',  '.',  'w',  'e',
      'i',  'g',  'h',  't',  0x00, 0x70, 0x48, 0x28, 0x40, 0xA0, 0x80, 0xD9, 0xB3, 0x00, 0x07,
      0x87, 0x03, 0x2B, 0x3E, 0x0F, 0xA6, 0xCB, 0x21, 0x23, 0xA0, 0xDA, 0x05, 0xC7, 0xC0};
  EXPECT_EQ(build_stream(units), want);
  const std::vector<Tensor> out = expected_output(units);
  ASSERT_EQ(out.size(), 1u);
  const uint32_t bits[8] = {0x3C400000, 0xBD280000, 0x00000000, 0x3DB40000,
                            0xBBC00000, 0x3CD80000, 0x3E190000, 0xBDBD0000};
  ASSERT_EQ(out[0].f32.size(), 8u);
  for (int i = 0; i < 8; ++i) {
    uint32_t b;
    std::memcpy(&b, &out[0].f32[static_cast<size_t>(i)], 4);
    EXPECT_EQ(b, bits[i]) << "element " << i;
  }
}

TEST(SuiteModel, BlockScanOrderAndDqStates) {
  // Spec 5.2's example: H = W = 10, B = 8.
  const std::vector<int64_t> pos = suite::scan_positions({10, 10}, 1);
  ASSERT_EQ(pos.size(), 100u);
  EXPECT_EQ(pos[0], 0);
  EXPECT_EQ(pos[7], 7);
  EXPECT_EQ(pos[8], 10);
  EXPECT_EQ(pos[64], 8);   // block (rows 0-7, cols 8-9)
  EXPECT_EQ(pos[80], 80);  // block (rows 8-9, cols 0-7)
  EXPECT_EQ(pos[96], 88);  // block (rows 8-9, cols 8-9)
  // Spec 10.1: states 0 0 0 0 0 0 2 3 give L = 8 -28 0 60 -4 18 102 -63.
  EXPECT_EQ(suite::reconstruction_levels({4, -14, 0, 30, -2, 9, 51, -32}, {8}, 0, true),
            (std::vector<int64_t>{8, -28, 0, 60, -4, 18, 102, -63}));
  // Spec 4.1: qp -38 and -75 at qp_density 2.
  EXPECT_EQ(suite::step_size_of(-38, 2), 0.00146484375);
  EXPECT_EQ(suite::step_size_of(-75, 2), 5.0 / (1 << 21));
}

TEST(Suite, NamesAreUniqueAndFileSafe) {
  std::set<std::string> names;
  for (const auto& [name, make] : suite::all_vector_makers()) {
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_+ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
              std::string::npos)
        << name;
  }
  EXPECT_GE(names.size(), 50u);
}

// Regenerating the suite gives the committed bytes (streams, manifests,
// expected tensors, COVERAGE.md).
TEST(Suite, RegeneratingGivesTheCommittedBytes) {
  GenerateOptions o;
  o.out_dir = NNR_SOURCE_DIR "/datasets/conformance";
  std::string report;
  const Status s = check_suite(o, &report);
  EXPECT_TRUE(s.ok()) << s.describe();
}

}  // namespace
}  // namespace nnr
