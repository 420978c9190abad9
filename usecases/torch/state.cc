#include "torch/state.h"

#include <cstring>
#include <functional>
#include <unordered_map>
#include <unordered_set>

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/utils.h>

namespace nnr::torchuc {
namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

// Visits (name, tensor) in state-dict order.
void visit_state(torch::nn::Module& m, const std::string& prefix,
                 const std::function<void(const std::string&, torch::Tensor&)>& f) {
  for (auto& p : m.named_parameters(/*recurse=*/false)) f(prefix + p.key(), p.value());
  for (auto& b : m.named_buffers(/*recurse=*/false)) f(prefix + b.key(), b.value());
  for (auto& c : m.named_children()) visit_state(*c.value(), prefix + c.key() + ".", f);
}

bool is_float(const torch::Tensor& t) { return t.scalar_type() == torch::kFloat32; }

}  // namespace

std::vector<Tensor> state_tensors(torch::nn::Module& m) {
  std::vector<Tensor> out;
  visit_state(m, "", [&](const std::string& name, torch::Tensor& t) {
    if (!is_float(t)) return;
    Tensor r;
    r.name = name;
    r.shape = t.sizes().vec();
    if (r.shape.empty()) r.shape = {1};
    const torch::Tensor c = t.detach().contiguous();
    r.f32.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    out.push_back(std::move(r));
  });
  return out;
}

std::map<std::string, std::vector<int64_t>> state_shapes(torch::nn::Module& m) {
  std::map<std::string, std::vector<int64_t>> out;
  visit_state(m, "", [&](const std::string& name, torch::Tensor& t) {
    if (!is_float(t)) return;
    std::vector<int64_t> s = t.sizes().vec();
    if (s.empty()) s = {1};
    out[name] = std::move(s);
  });
  return out;
}

namespace {

bool fits_within(const std::vector<int64_t>& shape, const std::vector<int64_t>& full) {
  if (shape.size() != full.size()) return false;
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] < 1 || shape[i] > full[i]) return false;
  return true;
}

// A depthwise convolution (weight C x 1 x k x k, C groups) after its channels
// changed: as many groups as channels again.
void match_depthwise_groups(torch::nn::Module& m) {
  for (auto& mod : m.modules(/*include_self=*/true))
    if (auto* c = mod->as<torch::nn::Conv2d>())
      if (c->options.groups() > 1 && c->weight.size(1) == 1) c->options.groups(c->weight.size(0));
}

}  // namespace

Status assign_state(torch::nn::Module& m, const std::vector<Tensor>& tensors, const std::string& source,
                    const std::map<std::string, std::vector<int64_t>>* full_shapes) {
  const std::string from = source.empty() ? "" : source + ": ";
  std::unordered_map<std::string, const Tensor*> by_name;
  for (const auto& t : tensors) by_name[t.name] = &t;
  std::unordered_set<std::string> used;
  Status bad;
  // Tensor handles share storage with the module's (the dicts visited are copies).
  std::vector<std::pair<torch::Tensor, const Tensor*>> copies;
  visit_state(m, "", [&](const std::string& name, torch::Tensor& t) {
    if (!is_float(t) || !bad.ok()) return;
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      bad = Status(ErrorCode::kInvalidArgument, kNoOffset, from + "parameter '" + name + "' is missing");
      return;
    }
    const Tensor& src = *it->second;
    std::vector<int64_t> want = t.sizes().vec();
    if (want.empty()) want = {1};
    bool reshaped = false;
    if (src.shape != want && full_shapes && src.dtype == DType::kFloat32) {
      const auto full = full_shapes->find(name);
      reshaped = full != full_shapes->end() && fits_within(src.shape, full->second);
    }
    if ((src.shape != want && !reshaped) || src.dtype != DType::kFloat32) {
      bad = Status(ErrorCode::kInvalidArgument, kNoOffset,
                   from + "parameter '" + name + "' has shape " + shape_str(src.shape) + " (" +
                       dtype_name(src.dtype) + "), the model expects " + shape_str(want) + " (float32)");
      return;
    }
    used.insert(name);
    copies.emplace_back(t, &src);
  });
  if (!bad.ok()) return bad;
  for (const auto& t : tensors)
    if (!used.count(t.name) && t.name.find("num_batches_tracked") == std::string::npos)
      return Status(ErrorCode::kInvalidArgument, kNoOffset,
                    from + "unexpected parameter '" + t.name + "' (not in the model; wrong architecture or options?)");
  torch::NoGradGuard no_grad;
  bool any_reshaped = false;
  for (auto& [dst, src] : copies) {
    std::vector<int64_t> now = dst.sizes().vec();
    if (now.empty()) now = {1};
    if (now != src->shape) {
      // Same dtype and device, the new shape; the module keeps this handle.
      dst.set_data(torch::empty(src->shape, dst.options()));
      any_reshaped = true;
    }
    if (!dst.is_contiguous())
      return Status(ErrorCode::kInternal, kNoOffset, "parameter '" + src->name + "' is not contiguous in the model");
    std::memcpy(dst.data_ptr<float>(), src->f32.data(), src->f32.size() * sizeof(float));
  }
  if (any_reshaped) match_depthwise_groups(m);
  return Status();
}

}  // namespace nnr::torchuc
