#pragma once
// The format version of tapegrad's .npz archives: what save_npz writes, what load_npz accepts.
#include "autograd/xt.hpp"

namespace tg {

/// The version of the archives save_npz writes, stored as a 0-d int64 member `__tapegrad__.npy`.
/// load_npz refuses a newer version and hides the member from the loaded state dict; archives
/// without it (numpy.savez) load as before. Each member is also CRC-32 checked on load.
inline constexpr int kNpzFormatVersion = 1;
inline constexpr const char* kNpzVersionKey = "__tapegrad__";

struct NpzArrays;

namespace detail::io {

/// The version member's array: a 0-d int64, so that `numpy.load(path)["__tapegrad__"]` reads it too.
IndexArray format_version_array();

/// Checks the version member of a loaded archive and removes it. Archives without one (written by
/// numpy) are accepted as they are; a malformed or newer one is an IoError.
void check_and_strip_version(NpzArrays& loaded);

}  // namespace detail::io
}  // namespace tg
