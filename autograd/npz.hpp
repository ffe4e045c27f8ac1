#pragma once
// NumPy's .npz (a zip of .npy arrays): the format of state dicts and checkpoints, so that
//     numpy.savez(path, **{k: v.numpy() for k, v in model.state_dict().items()})
// from PyTorch loads here, and a tapegrad save opens with numpy.load.
#include "autograd/tensor.hpp"

#include <map>
#include <string>
#include <string_view>

namespace tg {

/// The version of the archives save_npz writes, stored as a 0-d int64 member `__tapegrad__.npy`.
/// load_npz refuses a newer version and hides the member from the loaded state dict; archives
/// without it (numpy.savez) load as before. Each member is also CRC-32 checked on load.
inline constexpr int kNpzFormatVersion = 1;
inline constexpr const char* kNpzVersionKey = "__tapegrad__";

/// Named tensors: a model's parameters and buffers, an optimizer's state, a checkpoint.
using StateDict = std::map<std::string, Tensor>;

/// Writes `tensors` as an .npz (float32 as '<f4', float64 as '<f8'), crash-safely: to a temporary
/// file in the same folder, flushed, then renamed over `path`. A process killed at any point leaves
/// `path` either as it was or completely written. The temporary file has no name while it is
/// written; killed in the instant between naming and renaming it, a writer leaves
/// `<path>.tmp.<pid>.<n>`, which the next save of `path` removes (see docs/reliability.md).
/// The key `__tapegrad__` is reserved (the format version).
void save_npz(const std::string& path, const StateDict& tensors);

/// Reads an .npz written by numpy.savez / savez_compressed or by save_npz. float16/32/64 and integer
/// arrays are accepted (integers and float16 convert to float32; float64 stays float64). A corrupt,
/// truncated or unsupported file throws IoError naming the file, the member and what was wrong.
StateDict load_npz(const std::string& path);

/// load_npz on an archive already in memory; `name` stands for the file in error messages. The entry
/// point for fuzzing.
StateDict load_npz_bytes(std::string_view bytes, const std::string& name = "<memory>");

}  // namespace tg
