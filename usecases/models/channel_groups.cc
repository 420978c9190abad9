#include "models/channel_groups.h"

#include <map>
#include <set>

namespace nnr::models {

namespace {

class Builder {
 public:
  explicit Builder(const std::vector<Tensor>& params) {
    for (const Tensor& t : params) shapes_[t.name] = t.shape;
  }
  bool has(const std::string& name) const { return shapes_.count(name) != 0; }
  const std::vector<int64_t>& shape(const std::string& name) const { return shapes_.at(name); }

  // A group whose channels are `weight`'s along `dim`. `also`: tensors of
  // one value per channel (bias, batch norm) that exist are cut with it.
  ChannelGroup& start(const std::string& weight, int dim, const std::vector<std::string>& also) {
    ChannelGroup g;
    need(weight, dim);
    g.channels = bad_.empty() ? shapes_[weight][static_cast<size_t>(dim)] : 0;
    g.producers.push_back({weight, dim, 1});
    for (const std::string& a : also)
      if (has(a)) g.producers.push_back({a, 0, 1});
    groups_.push_back(std::move(g));
    return groups_.back();
  }
  // A tensor that reads the group's channels along `dim` (a channel per
  // `factor` consecutive entries: found from the shape).
  void read_by(ChannelGroup& g, const std::string& tensor, int dim) {
    need(tensor, dim);
    if (!bad_.empty() || g.channels <= 0) return;
    const int64_t n = shapes_[tensor][static_cast<size_t>(dim)];
    if (n % g.channels != 0) {
      fail("'" + tensor + "' has " + std::to_string(n) + " entries along dimension " + std::to_string(dim) +
           ", not a multiple of the " + std::to_string(g.channels) + " channels of '" + g.producers[0].tensor + "'");
      return;
    }
    g.consumers.push_back({tensor, dim, n / g.channels});
  }
  // The group's extra producers (one value per channel) must match it.
  Status finish(std::vector<ChannelGroup>* out) {
    for (const ChannelGroup& g : groups_)
      for (const ChannelSlice& p : g.producers) {
        if (!bad_.empty()) break;
        need(p.tensor, p.dim);
        if (bad_.empty() && shapes_[p.tensor][static_cast<size_t>(p.dim)] != g.channels)
          fail("'" + p.tensor + "' does not have the " + std::to_string(g.channels) + " channels of '" +
               g.producers[0].tensor + "'");
      }
    if (bad_.empty() && groups_.empty()) fail("no layer whose channels can be pruned");
    if (!bad_.empty()) return Status(ErrorCode::kInvalidArgument, kNoOffset, bad_);
    *out = std::move(groups_);
    return Status();
  }
  void fail(const std::string& why) {
    if (bad_.empty()) bad_ = why;
  }

 private:
  void need(const std::string& name, int dim) {
    auto it = shapes_.find(name);
    if (it == shapes_.end()) fail("the model has no tensor '" + name + "'");
    else if (static_cast<size_t>(dim) >= it->second.size()) fail("'" + name + "' has no dimension " + std::to_string(dim));
  }

  std::map<std::string, std::vector<int64_t>> shapes_;
  std::vector<ChannelGroup> groups_;
  std::string bad_;
};

std::vector<std::string> with_bn(const std::string& bias, const std::string& bn) {
  return {bias, bn + ".weight", bn + ".bias", bn + ".running_mean", bn + ".running_var"};
}

// A chain of layers, each feeding the next: every layer but the last gives a group.
struct Layer {
  std::string weight;
  int out_dim, in_dim;
  std::vector<std::string> also;
};
void chain(Builder& b, const std::vector<Layer>& layers) {
  for (size_t i = 0; i + 1 < layers.size(); ++i) {
    ChannelGroup& g = b.start(layers[i].weight, layers[i].out_dim, layers[i].also);
    b.read_by(g, layers[i + 1].weight, layers[i + 1].in_dim);
  }
}

void vgg16(Builder& b, const std::vector<Tensor>& params) {
  std::vector<Layer> layers;
  for (const Tensor& t : params) {
    const std::string& n = t.name;
    const bool feature = n.rfind("features.", 0) == 0, classifier = n.rfind("classifier.", 0) == 0;
    if ((feature || classifier) && n.size() > 7 && n.compare(n.size() - 7, 7, ".weight") == 0) {
      const std::string module = n.substr(0, n.size() - 7);
      layers.push_back({n, 0, 1, {module + ".bias"}});
    }
  }
  chain(b, layers);
}

void resnet50(Builder& b, const std::vector<Tensor>& params) {
  for (const Tensor& t : params) {
    const std::string suffix = ".conv1.weight";
    const std::string& n = t.name;
    if (n.rfind("layer", 0) != 0 || n.size() < suffix.size() || n.compare(n.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    const std::string block = n.substr(0, n.size() - suffix.size()) + ".";
    // Inside a bottleneck only: its output is added to the shortcut.
    for (int k = 1; k <= 2; ++k) {
      const std::string conv = block + "conv" + std::to_string(k);
      ChannelGroup& g = b.start(conv + ".weight", 0, with_bn(conv + ".bias", block + "bn" + std::to_string(k)));
      b.read_by(g, block + "conv" + std::to_string(k + 1) + ".weight", 1);
    }
  }
}

void mobilenetv2(Builder& b, const std::vector<Tensor>& params) {
  int last = -1;
  for (const Tensor& t : params) {
    const std::string& n = t.name;
    if (n.rfind("features.", 0) != 0) continue;
    const size_t dot = n.find('.', 9);
    const std::string idx = n.substr(9, dot == std::string::npos ? std::string::npos : dot - 9);
    const std::string block = "features." + idx + ".";
    if (n == block + "conv.0.0.weight" && b.has(block + "conv.1.0.weight") && b.has(block + "conv.2.weight") &&
        t.shape.size() == 4 && t.shape[1] != 1) {
      // Expansion 1x1, depthwise 3x3, projection: the hidden channels.
      ChannelGroup& g = b.start(n, 0, with_bn(block + "conv.0.0.bias", block + "conv.0.1"));
      for (const std::string& dw : with_bn(block + "conv.1.0.weight", block + "conv.1.1"))
        if (b.has(dw)) g.producers.push_back({dw, 0, 1});
      b.read_by(g, block + "conv.2.weight", 1);
    }
    if (n == block + "0.weight") last = std::stoi(idx);
  }
  // The last 1x1 convolution feeds the classifier.
  if (last >= 0 && b.has("classifier.1.weight")) {
    const std::string block = "features." + std::to_string(last) + ".";
    ChannelGroup& g = b.start(block + "0.weight", 0, with_bn(block + "0.bias", block + "1"));
    b.read_by(g, "classifier.1.weight", 1);
  }
}

void dcase(Builder& b) {
  chain(b, {{"conv1.weight", 0, 1, with_bn("conv1.bias", "bn1")},
            {"conv2.weight", 0, 1, with_bn("conv2.bias", "bn2")},
            {"fc1.weight", 0, 1, {"fc1.bias"}},
            {"fc2.weight", 0, 1, {}}});
}

void uc12b(Builder& b) {
  // Transposed convolutions hold their weight as in x out x kernel.
  chain(b, {{"encoder.0.weight", 0, 1, {"encoder.0.bias"}},
            {"encoder.2.weight", 0, 1, {"encoder.2.bias"}},
            {"encoder.4.weight", 0, 1, {"encoder.4.bias"}},
            {"decoder.0.weight", 0, 1, {"decoder.0.bias"}},
            {"decoder.2.weight", 1, 0, {"decoder.2.bias"}},
            {"decoder.4.weight", 1, 0, {}}});
}

}  // namespace

Status channel_groups(const std::string& id, const std::vector<Tensor>& params, std::vector<ChannelGroup>* out) {
  Builder b(params);
  if (id == "vgg16") vgg16(b, params);
  else if (id == "resnet50") resnet50(b, params);
  else if (id == "mobilenetv2") mobilenetv2(b, params);
  else if (id == "dcase") dcase(b);
  else if (id == "uc12b") uc12b(b);
  else
    return Status(ErrorCode::kInvalidArgument, kNoOffset,
                  "filter pruning at smaller shapes knows the layers of vgg16, resnet50, mobilenetv2, dcase and "
                  "uc12b, not of '" + id + "'");
  Status s = b.finish(out);
  if (!s.ok()) return Status(s.code(), kNoOffset, id + ": " + s.message());
  return s;
}

}  // namespace nnr::models
