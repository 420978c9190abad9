// Image fidelity metrics on planar float images (channels x height x width,
// values in [0, peak]); torch-free.
#ifndef NNR_USECASES_METRICS_IMAGE_QUALITY_H
#define NNR_USECASES_METRICS_IMAGE_QUALITY_H

#include <cstdint>

namespace nnr::metrics {

// Peak signal-to-noise ratio in dB over all values; +inf for identical images.
double psnr(const float* ref, const float* test, int64_t count, double peak = 1.0);

// Mean SSIM (Wang, Bovik, Sheikh, Simoncelli 2004): 11x11 Gaussian window,
// sigma 1.5, K1 = 0.01, K2 = 0.03, dynamic range `peak`, averaged over the
// windows that lie wholly inside the image (the paper's "valid" filtering),
// computed per channel and averaged over channels. Images smaller than the
// window use a window cut to the image size.
double ssim(const float* ref, const float* test, int64_t channels, int64_t height, int64_t width,
            double peak = 1.0);

}  // namespace nnr::metrics

#endif
