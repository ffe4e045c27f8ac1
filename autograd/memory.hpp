#pragma once
// How tapegrad asks the C library's allocator to treat the buffers a training step frees.
//
// A step allocates and frees the same large buffers (activations, gradients) every time. glibc's
// malloc hands blocks above 128 KiB back to the kernel when they are freed, so every step faults
// them in again as fresh zeroed pages: 15,000 page faults and 10-20% of a char-LSTM step (W1 in
// bench/). When the library loads, tapegrad therefore raises glibc's mmap threshold to its maximum
// (32 MiB) and its trim threshold to 1 GiB: freed memory stays in the process for the next step.
// Peak RSS does not grow, since what is kept is what the previous step used; it is just not returned
// to the system until the process ends. It also turns glibc's fast bins off (memory.cpp says why).
//
// To keep glibc's own settings, set TAPEGRAD_MALLOC=system, or set any glibc.malloc tunable in
// GLIBC_TUNABLES (tapegrad then assumes the settings are yours).

namespace tg {

/// True when tapegrad's allocator settings are in force: on glibc, unless opted out as above.
bool malloc_tuned();

namespace detail {
/// Applies the settings unless opted out; returns malloc_tuned(). Runs once when the library loads.
bool tune_malloc();
}  // namespace detail

}  // namespace tg
