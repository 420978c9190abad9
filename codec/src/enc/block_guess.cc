#include "enc/block_guess.h"

#include <map>
#include <optional>
#include <set>

namespace nnr {

namespace {

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// Type of a tensor from its last name component, or nullopt (no block).
std::optional<std::string> guessed_type(const std::string& last, size_t rank) {
  if (rank > 1) return std::string("weight");
  if (rank != 1) return std::nullopt;
  if (contains(last, "bias") || contains(last, "beta")) return std::string("bias");
  if (contains(last, "running_mean") || contains(last, "moving_mean")) return std::string("bn.mean");
  if (contains(last, "running_var") || contains(last, "moving_variance")) return std::string("bn.var");
  if (contains(last, "weight_scaling")) return std::string("weight.ls");
  if (contains(last, "gamma")) return std::string("bn.gamma");
  if (contains(last, "weight")) return std::string("weight");
  return std::nullopt;
}

struct Member {
  const Tensor* t;
  std::string type;
};

struct Block {
  std::string id;
  std::vector<Member> members;
  bool has(const std::string& type) const {
    for (const Member& m : members)
      if (m.type == type) return true;
    return false;
  }
};

// The checks of spec 3.3 on the guessed blocks: non-weights 1-D, one tensor
// per type, a weight, and one first dimension throughout.
bool valid_blocks(const std::vector<Tensor>& tensors, const EncoderSettings& g, std::string* why) {
  std::map<std::string, std::vector<const Tensor*>> blocks;
  for (const Tensor& t : tensors) {
    auto id = g.block_id.find(t.name);
    if (id == g.block_id.end() || !id->second) continue;
    const std::string& type = g.parameter_type.at(t.name);
    if (type != "weight" && t.shape.size() != 1) {
      *why = "tensor '" + t.name + "' of type " + type + " is not 1-D";
      return false;
    }
    blocks[*id->second].push_back(&t);
  }
  for (const auto& [id, ts] : blocks) {
    std::set<std::string> seen;
    for (const Tensor* t : ts) {
      const std::string& type = g.parameter_type.at(t->name);
      if (!seen.insert(type).second) {
        *why = "block '" + id + "' has two tensors of type " + type;
        return false;
      }
      if (t->shape.empty() || t->shape[0] != ts.front()->shape[0]) {
        *why = "the tensors of block '" + id + "' differ in their first dimension";
        return false;
      }
    }
    if (!seen.count("weight")) {
      *why = "block '" + id + "' has no weight";
      return false;
    }
  }
  return true;
}

}  // namespace

bool guess_blocks(const std::vector<Tensor>& tensors, EncoderSettings* s, std::string* why) {
  EncoderSettings g = *s;
  g.block_id.clear();
  g.parameter_type.clear();
  // Provisional blocks: runs of one module's tensors, numbered in order of
  // creation (the number keeps two runs of one module apart).
  std::vector<Block> blocks;
  std::map<std::string, size_t> index;  // block id -> position in blocks
  int number = -1;
  for (const Tensor& t : tensors) {
    const size_t dot = t.name.rfind('.');
    const std::string module = dot == std::string::npos ? "genericBlk." : t.name.substr(0, dot + 1);
    const std::string last = dot == std::string::npos ? t.name : t.name.substr(dot + 1);
    const std::optional<std::string> type = guessed_type(last, t.shape.size());
    if (!type) {
      g.block_id[t.name] = std::nullopt;
      g.parameter_type[t.name] = "unspecified";
      continue;
    }
    auto it = index.find(module + std::to_string(number));
    if (it == index.end() || blocks[it->second].has(*type)) ++number;
    const std::string id = module + std::to_string(number);
    if (!index.count(id)) {
      index[id] = blocks.size();
      blocks.push_back(Block{id, {}});
    }
    blocks[index[id]].members.push_back(Member{&t, *type});
  }

  // Batch-norm blocks: those with statistics; their weight is gamma, their
  // bias beta. Each joins a weight block, in order.
  std::vector<Block*> bn_blocks, weight_blocks;
  for (Block& b : blocks) {
    bool bn = false;
    for (const Member& m : b.members) bn |= m.type.compare(0, 3, "bn.") == 0;
    if (bn) {
      for (Member& m : b.members) {
        if (m.type == "weight" && m.t->shape.size() == 1) m.type = "bn.gamma";
        if (m.type == "bias") m.type = "bn.beta";
      }
      bn_blocks.push_back(&b);
    } else {
      weight_blocks.push_back(&b);
    }
  }
  size_t next_bn = 0;
  for (Block* b : weight_blocks) {
    const std::vector<int64_t>* weight_shape = nullptr;
    for (const Member& m : b->members) {
      g.block_id[m.t->name] = b->id;
      g.parameter_type[m.t->name] = m.type;
      if (m.type == "weight") weight_shape = &m.t->shape;
    }
    if (next_bn == bn_blocks.size() || !weight_shape) continue;
    const int64_t channels = bn_blocks[next_bn]->members.front().t->shape[0];
    bool fits = false;
    for (int64_t d : *weight_shape) fits |= d == channels;
    if (!fits) continue;
    for (const Member& m : bn_blocks[next_bn]->members) {
      g.block_id[m.t->name] = b->id;
      g.parameter_type[m.t->name] = m.type;
    }
    ++next_bn;
  }
  if (next_bn != bn_blocks.size()) {
    *why = "batch-norm block '" + bn_blocks[next_bn]->id + "' (tensor '" +
           bn_blocks[next_bn]->members.front().t->name + "') follows no weight of matching size";
    return false;
  }
  if (!valid_blocks(tensors, g, why)) return false;
  g.has_blocks = true;
  *s = std::move(g);
  return true;
}

}  // namespace nnr
