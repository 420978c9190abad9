// Log-mel spectrogram: Hann-windowed STFT (radix-2 FFT), HTK mel filterbank.
// Window and hop are given in seconds so features mean the same at any
// sample rate.
#include <cmath>
#include <complex>

#include "data/datasets.h"

namespace nnr::data {
namespace {

constexpr double kPi = 3.14159265358979323846;

// In-place iterative radix-2 FFT; a.size() is a power of two.
void fft(std::vector<std::complex<double>>& a) {
  const size_t n = a.size();
  for (size_t i = 1, j = 0; i < n; ++i) {
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  for (size_t len = 2; len <= n; len <<= 1) {
    const double ang = -2.0 * kPi / static_cast<double>(len);
    const std::complex<double> wl(std::cos(ang), std::sin(ang));
    for (size_t i = 0; i < n; i += len) {
      std::complex<double> w(1.0, 0.0);
      for (size_t k = 0; k < len / 2; ++k) {
        const std::complex<double> u = a[i + k], v = a[i + k + len / 2] * w;
        a[i + k] = u + v;
        a[i + k + len / 2] = u - v;
        w *= wl;
      }
    }
  }
}

double hz_to_mel(double f) { return 2595.0 * std::log10(1.0 + f / 700.0); }
double mel_to_hz(double m) { return 700.0 * (std::pow(10.0, m / 2595.0) - 1.0); }

}  // namespace

std::vector<float> log_mel(const std::vector<float>& samples, double rate, const LogMelOptions& o) {
  const int64_t win = std::max<int64_t>(2, std::llround(o.window_s * rate));
  const int64_t hop = std::max<int64_t>(1, std::llround(o.hop_s * rate));
  int64_t n_fft = 1;
  while (n_fft < win) n_fft <<= 1;
  const int64_t bins = n_fft / 2 + 1;

  // Triangular filters, equally spaced on the mel scale.
  const double fmax = std::min(o.fmax, rate / 2.0);
  std::vector<double> edges(static_cast<size_t>(o.n_mels + 2));
  for (int64_t i = 0; i < o.n_mels + 2; ++i)
    edges[static_cast<size_t>(i)] = mel_to_hz(hz_to_mel(o.fmin) + (hz_to_mel(fmax) - hz_to_mel(o.fmin)) *
                                                                       static_cast<double>(i) / static_cast<double>(o.n_mels + 1));
  std::vector<double> filters(static_cast<size_t>(o.n_mels * bins), 0.0);
  for (int64_t m = 0; m < o.n_mels; ++m) {
    const double lo = edges[static_cast<size_t>(m)], mid = edges[static_cast<size_t>(m + 1)], hi = edges[static_cast<size_t>(m + 2)];
    for (int64_t b = 0; b < bins; ++b) {
      const double f = static_cast<double>(b) * rate / static_cast<double>(n_fft);
      double w = 0.0;
      if (f > lo && f < mid) w = (f - lo) / (mid - lo);
      else if (f >= mid && f < hi) w = (hi - f) / (hi - mid);
      filters[static_cast<size_t>(m * bins + b)] = w;
    }
  }
  std::vector<double> window(static_cast<size_t>(win));
  for (int64_t i = 0; i < win; ++i)
    window[static_cast<size_t>(i)] = 0.5 - 0.5 * std::cos(2.0 * kPi * static_cast<double>(i) / static_cast<double>(win));

  std::vector<float> out(static_cast<size_t>(o.n_mels * o.frames));
  std::vector<std::complex<double>> buf(static_cast<size_t>(n_fft));
  std::vector<double> power(static_cast<size_t>(bins));
  for (int64_t t = 0; t < o.frames; ++t) {
    std::fill(buf.begin(), buf.end(), std::complex<double>(0.0, 0.0));
    for (int64_t i = 0; i < win; ++i) {
      const int64_t s = t * hop + i;
      const double v = s < static_cast<int64_t>(samples.size()) ? samples[static_cast<size_t>(s)] : 0.0;
      buf[static_cast<size_t>(i)] = v * window[static_cast<size_t>(i)];
    }
    fft(buf);
    for (int64_t b = 0; b < bins; ++b) power[static_cast<size_t>(b)] = std::norm(buf[static_cast<size_t>(b)]);
    for (int64_t m = 0; m < o.n_mels; ++m) {
      double e = 0.0;
      for (int64_t b = 0; b < bins; ++b) e += filters[static_cast<size_t>(m * bins + b)] * power[static_cast<size_t>(b)];
      out[static_cast<size_t>(m * o.frames + t)] = static_cast<float>(std::log(e + 1e-10));
    }
  }
  double mean = 0.0, sq = 0.0;
  for (float v : out) mean += v;
  mean /= static_cast<double>(out.size());
  for (float v : out) sq += (v - mean) * (v - mean);
  const double sd = std::sqrt(sq / static_cast<double>(out.size())) + 1e-6;
  for (float& v : out) v = static_cast<float>((v - mean) / sd);
  return out;
}

}  // namespace nnr::data
