#include "enc/blocks.h"

#include <cmath>
#include <map>

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
  const size_t n = gamma.tensor.f32.size();
  std::vector<float> g(n);
  for (size_t i = 0; i < n; ++i) g[i] = gamma.tensor.f32[i] / std::sqrt(var.tensor.f32[i] + eps);
  if (!m.count(MemberRole::kLs)) {
    PlannedTensor ls;
    ls.tensor.name = weight_name + "_scaling";
    ls.tensor.shape = {static_cast<int64_t>(n)};
    ls.tensor.f32.assign(n, 1.0f);
    ls.type = "weight.ls";
    ls.role = MemberRole::kLs;
    m[MemberRole::kLs] = std::move(ls);
  }
  if (!m.count(MemberRole::kBias)) {
    PlannedTensor bi;
    bi.tensor.name = weight_name + ".bias";
    bi.tensor.shape = {static_cast<int64_t>(n)};
    bi.tensor.f32.assign(n, 0.0f);
    bi.type = "bias";
    bi.role = MemberRole::kBias;
    m[MemberRole::kBias] = std::move(bi);
  }
  std::vector<float>& ls = m[MemberRole::kLs].tensor.f32;
  std::vector<float>& bi = m[MemberRole::kBias].tensor.f32;
  for (size_t i = 0; i < n; ++i) {
    ls[i] = ls[i] * g[i];
    float t = bi[i] - mean.tensor.f32[i];
    t = t * g[i];
    bi[i] = t + beta.tensor.f32[i];
  }
  m.erase(MemberRole::kBnGamma);
  m.erase(MemberRole::kBnBeta);
  m.erase(MemberRole::kBnMean);
  m.erase(MemberRole::kBnVar);
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
  if (!s.has_blocks) {
    if (s.bnf) invalid("bnf needs block information (block_id_and_param_type)");
    for (const Tensor& t : tensors) {
      PlannedUnit u;
      PlannedTensor p;
      p.tensor = t;
      p.type = parameter_type_of(t.name, t.shape.size(), s);
      u.members.push_back(std::move(p));
      units.push_back(std::move(u));
    }
    return units;
  }

  // Members of each block, by role; the block's unit goes where its weight is.
  std::map<std::string, std::map<MemberRole, PlannedTensor>> blocks;
  std::map<std::string, std::string> weight_of_block;
  struct Slot {
    bool is_block;
    std::string key;  // block id
    PlannedTensor single;
  };
  std::vector<Slot> order;
  for (const Tensor& t : tensors) {
    auto bid = s.block_id.find(t.name);
    PlannedTensor p;
    p.tensor = t;
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
    if (members.count(p.role))
      invalid("block '" + id + "' has two tensors of type '" + p.type + "' ('" +
              members[p.role].tensor.name + "' and '" + t.name + "')");
    if (p.role == MemberRole::kWeight) {
      weight_of_block[id] = t.name;
      order.push_back({true, id, {}});
    }
    members[p.role] = std::move(p);
  }
  for (auto& [id, members] : blocks) {
    if (!members.count(MemberRole::kWeight)) invalid("block '" + id + "' has no weight tensor");
    const Tensor& w = members[MemberRole::kWeight].tensor;
    const int64_t d0 = w.shape.empty() ? 1 : w.shape[0];
    for (auto& [role, p] : members) {
      if (role == MemberRole::kWeight) continue;
      if (p.tensor.shape.size() != 1 || p.tensor.shape[0] != d0)
        invalid("tensor '" + p.tensor.name + "' of block '" + id + "' must have shape [" +
                std::to_string(d0) + "] (the weight's first dimension)");
      if (p.tensor.dtype != DType::kFloat32 && s.bnf)
        invalid("tensor '" + p.tensor.name + "': batch-norm folding needs float tensors");
    }
    const int bn = members.count(MemberRole::kBnGamma) + members.count(MemberRole::kBnBeta) +
                   members.count(MemberRole::kBnMean) + members.count(MemberRole::kBnVar);
    if (bn != 0 && bn != 4)
      invalid("block '" + id + "' has only some of bn.beta, bn.gamma, bn.mean, bn.var");
    if (s.bnf && bn == 4)
      fold_batch_norm(members, w.name, s.model_kind == ModelKind::kTensorFlow ? 1e-3f : 1e-5f);
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
    if (members.count(MemberRole::kLs)) u.cpt |= NNR_CPT_LS;
    if (members.count(MemberRole::kBias)) u.cpt |= NNR_CPT_BI;
    if (members.count(MemberRole::kBnGamma)) u.cpt |= NNR_CPT_BN;
    for (MemberRole r : {MemberRole::kLs, MemberRole::kBias, MemberRole::kBnBeta, MemberRole::kBnGamma,
                         MemberRole::kBnMean, MemberRole::kBnVar, MemberRole::kWeight}) {
      auto it = members.find(r);
      if (it != members.end()) u.members.push_back(std::move(it->second));
    }
    units.push_back(std::move(u));
  }
  return units;
}

}  // namespace nnr
