// The arithmetic of the parameter-reduction stages (the NNR paper's
// section V), on named tensors; no training here. A "weight" is a float32
// tensor of rank >= 2.
#ifndef NNR_HARNESS_REDUCTIONS_H
#define NNR_HARNESS_REDUCTIONS_H

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/channel_groups.h"
#include "nnr/tensor.h"

namespace nnr {

// Per tensor name, one flag per element: 1 where the element is held at its
// value by any later fine-tuning (sparsified, pruned or unified elements).
using HeldMasks = std::map<std::string, std::vector<uint8_t>>;

bool is_weight(const Tensor& t);

// Magnitude sparsification: of each weight, the `ratio` share of smallest
// |w| (ratio > 0; with `global`, that share of all weights' elements, by one
// cut over all of them), or every |w| < threshold (threshold > 0), set to zero.
nlohmann::json sparsify(std::vector<Tensor>& params, double ratio, double threshold, bool global = false);

// Micro-structured blocks (spec'd by the paper's section V.B.2 and V.D):
// each weight seen as out x in x kernel (kernel = the trailing dimensions,
// 1 for a matrix) and cut into blocks of at most block[0] x block[1] x
// block[2]. Pruning zeroes the `ratio` share of blocks (by count, over the
// whole model) with the smallest mean square; unification gives every
// element of the `ratio` share of blocks with the smallest unification loss
// (mean square of |w| - mean |w|) the block's mean |w|, signs kept. The
// changed elements are marked in `held`.
nlohmann::json prune_blocks(std::vector<Tensor>& params, double ratio, const std::array<int64_t, 3>& block,
                            HeldMasks* held);
// With super_block = {s1, s2} (multiples of block[0], block[1]; {0, 0}:
// none), unification chooses as the paper's section V.D does: each weight is
// cut into super-blocks of s1 x s2 x kernel, a super-block's loss is the mean
// of its blocks' losses, and every block of the `ratio` share of super-blocks
// (by count, over the model) with the smallest loss is unified.
nlohmann::json unify_blocks(std::vector<Tensor>& params, double ratio, const std::array<int64_t, 3>& block,
                            HeldMasks* held, const std::array<int64_t, 2>& super_block = {0, 0});

// Filter pruning by graph diffusion (the paper's section V.B.1, eq. 5-6):
// for each weight with at least two output channels, its rows m_i (one per
// output channel) are the states of a Markov chain with transitions
// p_ij = exp(-D(m_i, m_j)) / sum_z exp(-D(m_i, m_z)), D the Euclidean
// distance divided by its mean over i != j (so that the weights' scale does
// not matter), and S = exp(-1 / (sigma pi)) from the chain's equilibrium pi,
// sigma = the number of channels. With eq. 6 as printed, pi (and so S) is
// largest for a channel close to many others, i.e. redundant; the paper's
// intent is to remove redundant channels, so the `ratio` share of each
// weight's channels of largest S is zeroed (and held). The shapes stay as
// they are (the network is not rebuilt smaller).
nlohmann::json prune_filters(std::vector<Tensor>& params, double ratio, HeldMasks* held);

// The same importance, but the network is rebuilt smaller: in each channel
// group (models::channel_groups) the `ratio` share of channels of largest S,
// ranked by the rows of the group's first producer, is cut out of every
// producer and consumer, and out of any mask already held for them. At least
// one channel stays. The groups must come from `params`.
nlohmann::json prune_filters_rebuild(std::vector<Tensor>& params, double ratio,
                                     const std::vector<models::ChannelGroup>& groups, HeldMasks* held);

// S of each row of a rows x cols matrix, as above.
std::vector<double> filter_importance(const float* w, int64_t rows, int64_t cols);

// Low-rank decomposition: each weight W (as d0 x rest) replaced by factors
// <W>_G = U_r S_r and <W>_H = V_r^T of its SVD, r the smallest rank keeping
// the `energy` share of the squared singular values (or `rank_ratio` of the
// full rank); kept only where the factors are smaller. The original shapes
// go into settings["decomposed_weight_shape"].
nlohmann::json low_rank(std::vector<Tensor>& params, nlohmann::json& settings, double energy, double rank_ratio);

}  // namespace nnr

#endif  // NNR_HARNESS_REDUCTIONS_H
