// Which hand-written code this build has. The portable C++ of every hot loop
// is always built; the x86-64 forms (cabac/x86_64/) beside it unless
// NNR_PORTABLE_CABAC is defined (cmake -DNNR_ASM=OFF), and the level decoder
// chooses between them at run time (cabac/level_run_dispatch.h).
#ifndef NNR_CABAC_ISA_H
#define NNR_CABAC_ISA_H

#if defined(__GNUC__) && defined(__x86_64__) && !defined(NNR_PORTABLE_CABAC)
#define NNR_HAVE_X86_64_ASM 1
#else
#define NNR_HAVE_X86_64_ASM 0
#endif

#endif  // NNR_CABAC_ISA_H
