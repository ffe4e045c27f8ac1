// The format version member of tapegrad's .npz archives.
#include "autograd/io/format_version.hpp"

#include "autograd/io/npz.hpp"

namespace tg::detail::io {

IndexArray format_version_array() { return IndexArray(Index(kNpzFormatVersion)); }

void check_and_strip_version(NpzArrays& loaded) {
  const auto it = loaded.integers.find(kNpzVersionKey);
  const bool as_float = loaded.tensors.contains(kNpzVersionKey);
  if (it == loaded.integers.end() && !as_float) return;
  if (as_float || it->second.dimension() != 0 || it->second() < 1)
    fail<IoError>("{}: member '{}.npy' is not a format version (shape {}, expected a positive 0-d integer)",
                  loaded.source, kNpzVersionKey,
                  as_float ? shape_str(loaded.tensors.at(kNpzVersionKey).shape()) : shape_str(it->second.shape()));
  if (it->second() > kNpzFormatVersion)
    fail<IoError>("{}: written in tapegrad npz format version {}, newer than this build reads ({})", loaded.source,
                  it->second(), kNpzFormatVersion);
  loaded.integers.erase(it);
}

}  // namespace tg::detail::io
