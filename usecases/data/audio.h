// Audio file helpers shared by the WAV-folder reader and the spoken-digit
// synthesiser.
#ifndef NNR_USECASES_DATA_AUDIO_H
#define NNR_USECASES_DATA_AUDIO_H

#include <string>
#include <vector>

#include "nnr/error.h"

namespace nnr::data {

// Any libsndfile-readable file, mixed down to mono floats in [-1, 1].
Status read_audio_mono(const std::string& path, std::vector<float>* samples, double* rate);
// Mono 16-bit PCM WAV.
Status write_wav16(const std::string& path, const std::vector<float>& samples, int rate);

}  // namespace nnr::data

#endif
