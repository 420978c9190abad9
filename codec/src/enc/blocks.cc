#include "enc/blocks.h"

#include <climits>
#include <cmath>
#include <map>
#include <string>

#include "nnr/error.h"

namespace nnr {

namespace {

[[noreturn]] void invalid(const std::string& msg) {
  throw Error(ErrorCode::kInvalidArgument, kNoOffset, msg);
}

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

MemberRole role_of(const std::string& type) {
  if (type == "weight") return MemberRole::kWeight;
  if (type == "weight.ls") return MemberRole::kLs;
  if (type == "bias") return MemberRole::kBias;
  if (type == "bn.beta") return MemberRole::kBnBeta;
  if (type == "bn.gamma") return MemberRole::kBnGamma;
  if (type == "bn.mean") return MemberRole::kBnMean;
  if (type == "bn.var") return MemberRole::kBnVar;
  return MemberRole::kSingle;
}

// Batch-norm folding (9.9): g = gamma / sqrt(var + eps); LS <- (LS or 1) * g;
// BI <- ((BI or 0) - mean) * g + beta, all in binary32.
void fold_batch_norm(std::map<MemberRole, PlannedTensor>& m, const std::string& weight_name,
                     float eps) {
  const PlannedTensor& gamma = m.at(MemberRole::kBnGamma);
  const PlannedTensor& beta = m.at(MemberRole::kBnBeta);
  const PlannedTensor& mean = m.at(MemberRole::kBnMean);
  const PlannedTensor& var = m.at(MemberRole::kBnVar);
  const size_t n = gamma.tensor().f32.size();
  std::vector<float> g(n);
  for (size_t i = 0; i < n; ++i) g[i] = gamma.tensor().f32[i] / std::sqrt(var.tensor().f32[i] + eps);
  if (!m.count(MemberRole::kLs)) {
    Tensor t;
    t.name = weight_name + "_scaling";
    t.shape = {static_cast<int64_t>(n)};
    t.f32.assign(n, 1.0f);
    PlannedTensor ls = PlannedTensor::made(std::move(t));
    ls.type = "weight.ls";
    ls.role = MemberRole::kLs;
    m[MemberRole::kLs] = std::move(ls);
  }
  if (!m.count(MemberRole::kBias)) {
    Tensor t;
    t.name = weight_name + ".bias";
    t.shape = {static_cast<int64_t>(n)};
    t.f32.assign(n, 0.0f);
    PlannedTensor bi = PlannedTensor::made(std::move(t));
    bi.type = "bias";
    bi.role = MemberRole::kBias;
    m[MemberRole::kBias] = std::move(bi);
  }
  ValueVector<float>& ls = m[MemberRole::kLs].own().f32;
  ValueVector<float>& bi = m[MemberRole::kBias].own().f32;
  for (size_t i = 0; i < n; ++i) {
    ls[i] = ls[i] * g[i];
    float t = bi[i] - mean.tensor().f32[i];
    t = t * g[i];
    bi[i] = t + beta.tensor().f32[i];
  }
  m.erase(MemberRole::kBnGamma);
  m.erase(MemberRole::kBnBeta);
  m.erase(MemberRole::kBnMean);
  m.erase(MemberRole::kBnVar);
}

bool ends_with(const std::string& s, const char* suffix) {
  const size_t n = std::char_traits<char>::length(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// A decomposed weight: the indices of its factors in the model.
struct Decomposition {
  std::string weight;  // name of W
  size_t g = 0, h = 0;
};

// Finds every pair `<W>_G`, `<W>_H` whose W is not itself a tensor of the model,
// keyed by the index of the factor that comes first.
std::map<size_t, Decomposition> find_decompositions(const std::vector<Tensor>& tensors) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < tensors.size(); ++i) index[tensors[i].name] = i;
  std::map<size_t, Decomposition> out;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const std::string& name = tensors[i].name;
    if (!ends_with(name, kDecompositionG)) continue;
    const std::string w = name.substr(0, name.size() - 2);
    auto h = index.find(w + kDecompositionH);
    if (h == index.end() || index.count(w)) continue;
    out[std::min(i, h->second)] = Decomposition{w, i, h->second};
  }
  return out;
}

// Checks the factors and fills the unit's DC fields (spec 2.8.3: G is g x r,
// H is r x prod(d)/g, W = reshape(G H, d)).
void plan_decomposition(const Tensor& g, const Tensor& h, const std::string& weight, const EncoderSettings& s,
                        PlannedUnit* u) {
  for (const Tensor* t : {&g, &h}) {
    if (t->shape.size() != 2 || t->shape[0] < 1 || t->shape[1] < 1)
      invalid("tensor '" + t->name + "': a factor of the decomposed weight '" + weight +
              "' must be a matrix with at least one row and column");
    if (t->dtype != DType::kFloat32) invalid("tensor '" + t->name + "': decomposition factors must be float32");
  }
  if (g.shape[1] != h.shape[0])
    invalid("decomposed weight '" + weight + "': '" + g.name + "' has " + std::to_string(g.shape[1]) +
            " columns but '" + h.name + "' has " + std::to_string(h.shape[0]) + " rows");
  u->decomposition_rank = g.shape[1];
  u->g_number_of_rows = g.shape[0];
  auto shape = s.decomposed_weight_shape.find(weight);
  if (shape == s.decomposed_weight_shape.end()) {
    u->weight_dims = {g.shape[0], h.shape[1]};
  } else {
    u->weight_dims = shape->second;
    int64_t n = 1;
    for (int64_t d : u->weight_dims) {
      if (d < 1 || n > INT64_MAX / d)
        invalid("decomposed_weight_shape of '" + weight + "': dimensions must be positive");
      n *= d;
    }
    if (u->weight_dims.empty() || n != g.shape[0] * h.shape[1])
      invalid("decomposed_weight_shape of '" + weight + "' has " + std::to_string(n) + " elements, G H has " +
              std::to_string(g.shape[0] * h.shape[1]));
  }
  u->cpt |= NNR_CPT_DC;
}

}  // namespace

std::string parameter_type_of(const std::string& name, size_t rank, const EncoderSettings& s) {
  if (s.has_blocks) {
    auto it = s.parameter_type.find(name);
    if (it != s.parameter_type.end()) return it->second;
  }
  if (rank >= 2) return "weight";
  switch (s.model_kind) {
    case ModelKind::kPlain:
      return "unspecified";
    case ModelKind::kPyTorch:
      if (contains(name, ".bias")) return "bias";
      if (contains(name, ".running_mean")) return "bn.mean";
      if (contains(name, ".running_var")) return "bn.var";
      if (contains(name, ".weight_scaling")) return "weight.ls";
      if (contains(name, "gamma")) return "bn.gamma";
      if (contains(name, ".weight")) return "weight";
      return "unspecified";
    case ModelKind::kTensorFlow:
      if (contains(name, "bias")) return "bias";
      if (contains(name, "beta")) return "bn.beta";
      if (contains(name, "moving_mean")) return "bn.mean";
      if (contains(name, "moving_variance")) return "bn.var";
      if (contains(name, "gamma")) return "bn.gamma";
      if (contains(name, "weight")) return "weight";
      return "unspecified";
  }
  return "unspecified";
}

std::vector<PlannedUnit> plan_units(const std::vector<Tensor>& tensors, const EncoderSettings& s) {
  std::vector<PlannedUnit> units;
  const std::map<size_t, Decomposition> dcs = find_decompositions(tensors);
  std::vector<bool> is_factor(tensors.size(), false);
  for (const auto& [first, d] : dcs) is_factor[d.g] = is_factor[d.h] = true;
  auto factor = [&](size_t i, MemberRole role) {
    PlannedTensor p(tensors[i]);
    p.type = "weight";
    p.role = role;
    return p;
  };

  if (!s.has_blocks) {
    if (s.bnf) invalid("bnf needs block information (block_id_and_param_type)");
    for (size_t i = 0; i < tensors.size(); ++i) {
      auto dc = dcs.find(i);
      if (dc != dcs.end()) {  // G and H alone form an NNR_PT_BLOCK unit
        PlannedUnit u;
        u.block = true;
        plan_decomposition(tensors[dc->second.g], tensors[dc->second.h], dc->second.weight, s, &u);
        u.members.push_back(factor(dc->second.g, MemberRole::kG));
        u.members.push_back(factor(dc->second.h, MemberRole::kH));
        units.push_back(std::move(u));
        continue;
      }
      if (is_factor[i]) continue;
      const Tensor& t = tensors[i];
      PlannedUnit u;
      PlannedTensor p(t);
      p.type = parameter_type_of(t.name, t.shape.size(), s);
      u.members.push_back(std::move(p));
      units.push_back(std::move(u));
    }
    return units;
  }

  // Members of each block, by role; the block's unit goes where its weight
  // (or the first factor of a decomposed weight) is.
  std::map<std::string, std::map<MemberRole, PlannedTensor>> blocks;
  std::map<std::string, std::string> weight_of_block;
  struct Slot {
    bool is_block;
    std::string key;  // block id
    PlannedTensor single;
  };
  std::vector<Slot> order;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    auto dc = dcs.find(i);
    if (dc != dcs.end()) {
      // A decomposed weight's block is that of W (or of its first factor).
      const std::string& w = dc->second.weight;
      auto bid = s.block_id.find(w);
      if (bid == s.block_id.end()) bid = s.block_id.find(t.name);
      std::string id;
      if (bid != s.block_id.end() && bid->second) {
        id = *bid->second;
      } else {
        id = "\001decomposition of " + w;  // a block of G and H only; \001 keeps it apart from given block ids
      }
      auto& members = blocks[id];
      if (members.count(MemberRole::kWeight) || members.count(MemberRole::kG))
        invalid("block '" + id + "' has two weights ('" + w + "' and another)");
      members[MemberRole::kG] = factor(dc->second.g, MemberRole::kG);
      members[MemberRole::kH] = factor(dc->second.h, MemberRole::kH);
      weight_of_block[id] = w;
      order.push_back({true, id, {}});
      continue;
    }
    if (is_factor[i]) continue;
    auto bid = s.block_id.find(t.name);
    PlannedTensor p(t);
    p.type = parameter_type_of(t.name, t.shape.size(), s);
    if (bid == s.block_id.end() || !bid->second) {
      order.push_back({false, "", std::move(p)});
      continue;
    }
    const std::string& id = *bid->second;
    p.role = role_of(p.type);
    if (p.role == MemberRole::kSingle || p.type == "raw")
      invalid("tensor '" + t.name + "' is in block '" + id + "' but has parameter type '" + p.type +
              "', which no block member has");
    auto& members = blocks[id];
    if (members.count(p.role) || (p.role == MemberRole::kWeight && members.count(MemberRole::kG)))
      invalid("block '" + id + "' has two tensors of type '" + p.type + "' ('" +
              (members.count(p.role) ? members[p.role].tensor().name : weight_of_block[id]) + "' and '" + t.name + "')");
    if (p.role == MemberRole::kWeight) {
      weight_of_block[id] = t.name;
      order.push_back({true, id, {}});
    }
    members[p.role] = std::move(p);
  }
  std::map<std::string, PlannedUnit> dc_fields;
  for (auto& [id, members] : blocks) {
    const bool dc = members.count(MemberRole::kG) > 0;
    if (!dc && !members.count(MemberRole::kWeight)) invalid("block '" + id + "' has no weight tensor");
    const std::string& wname = weight_of_block[id];
    int64_t d0 = 1;
    if (dc) {
      PlannedUnit& f = dc_fields[id];
      plan_decomposition(members[MemberRole::kG].tensor(), members[MemberRole::kH].tensor(), wname, s, &f);
      d0 = f.weight_dims[0];
      if (members.count(MemberRole::kLs) ||
          (s.bnf && members.count(MemberRole::kBnGamma)))
        invalid("block '" + id + "': local scaling of the decomposed weight '" + wname +
                "' is not defined (no weight_scaling member, no bnf)");
    } else {
      const Tensor& w = members[MemberRole::kWeight].tensor();
      d0 = w.shape.empty() ? 1 : w.shape[0];
    }
    for (auto& [role, p] : members) {
      if (role == MemberRole::kWeight || role == MemberRole::kG || role == MemberRole::kH) continue;
      if (p.tensor().shape.size() != 1 || p.tensor().shape[0] != d0)
        invalid("tensor '" + p.tensor().name + "' of block '" + id + "' must have shape [" +
                std::to_string(d0) + "] (the weight's first dimension)");
      if (p.tensor().dtype != DType::kFloat32 && s.bnf)
        invalid("tensor '" + p.tensor().name + "': batch-norm folding needs float tensors");
    }
    const int bn = members.count(MemberRole::kBnGamma) + members.count(MemberRole::kBnBeta) +
                   members.count(MemberRole::kBnMean) + members.count(MemberRole::kBnVar);
    if (bn != 0 && bn != 4)
      invalid("block '" + id + "' has only some of bn.beta, bn.gamma, bn.mean, bn.var");
    if (s.bnf && bn == 4)
      fold_batch_norm(members, wname, s.model_kind == ModelKind::kTensorFlow ? 1e-3f : 1e-5f);
  }

  for (Slot& slot : order) {
    PlannedUnit u;
    if (!slot.is_block) {
      u.members.push_back(std::move(slot.single));
      units.push_back(std::move(u));
      continue;
    }
    auto& members = blocks[slot.key];
    if (members.size() == 1) {  // a weight alone is an ordinary tensor
      PlannedTensor w = std::move(members[MemberRole::kWeight]);
      w.role = MemberRole::kSingle;
      u.members.push_back(std::move(w));
      units.push_back(std::move(u));
      continue;
    }
    u.block = true;
    auto dc = dc_fields.find(slot.key);
    if (dc != dc_fields.end()) {
      u.cpt = dc->second.cpt;
      u.weight_dims = dc->second.weight_dims;
      u.decomposition_rank = dc->second.decomposition_rank;
      u.g_number_of_rows = dc->second.g_number_of_rows;
    }
    if (members.count(MemberRole::kLs)) u.cpt |= NNR_CPT_LS;
    if (members.count(MemberRole::kBias)) u.cpt |= NNR_CPT_BI;
    if (members.count(MemberRole::kBnGamma)) u.cpt |= NNR_CPT_BN;
    // Coding order: LS, BI, BN beta, gamma, mean, var, W (or G, H).
    for (MemberRole r : {MemberRole::kLs, MemberRole::kBias, MemberRole::kBnBeta, MemberRole::kBnGamma,
                         MemberRole::kBnMean, MemberRole::kBnVar, MemberRole::kWeight, MemberRole::kG,
                         MemberRole::kH}) {
      auto it = members.find(r);
      if (it != members.end()) u.members.push_back(std::move(it->second));
    }
    units.push_back(std::move(u));
  }
  return units;
}

}  // namespace nnr
