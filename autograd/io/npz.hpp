#pragma once
// NumPy's .npz (a zip of .npy arrays): the format of state dicts and checkpoints, so that
//     numpy.savez(path, **{k: v.numpy() for k, v in model.state_dict().items()})
// from PyTorch loads here, and a tapegrad save opens with numpy.load.
// The rest of autograd/io/ is internal: the zip container (zip.hpp), the .npy arrays (npy.hpp), the
// crash-safe write (atomic_file.hpp) and the format version (format_version.hpp, whose
// kNpzFormatVersion and kNpzVersionKey are public).
#include "autograd/io/format_version.hpp"
#include "autograd/tensor.hpp"

#include <map>
#include <string>
#include <string_view>

namespace tg {

/// Named tensors: a model's parameters and buffers, an optimizer's state, a checkpoint.
using StateDict = std::map<std::string, Tensor>;
/// Named integer arrays (token ids, lengths, targets): what a StateDict is for tensors.
using IndexDict = std::map<std::string, IndexArray>;

/// Writes `tensors` (float32 as '<f4', float64 as '<f8') and `integers` ('<i8', numpy's int64) as
/// an .npz, crash-safely: to a temporary
/// file in the same folder, flushed, then renamed over `path`. A process killed at any point leaves
/// `path` either as it was or completely written. The temporary file has no name while it is
/// written; killed in the instant between naming and renaming it, a writer leaves
/// `<path>.tmp.<pid>.<n>`, which the next save of `path` removes (see docs/reliability.md).
/// The key `__tapegrad__` is reserved (the format version), and a key names one array only.
void save_npz(const std::string& path, const StateDict& tensors, const IndexDict& integers = {});

/// Every member of an .npz, integers kept exact: float16/32/64 arrays in `tensors` (float16 as
/// float32), integer and bool arrays in `integers` as int64.
///
///     tg::NpzArrays batch = tg::load_npz_arrays("batch.npz");
///     tg::IndexArray lengths = batch.integer("lengths");   // int64 above 2^24 stays exact
///     tg::Tensor x = batch.tensor("x");
struct NpzArrays {
  std::string source;  // "load_npz('batch.npz')", for error messages
  StateDict tensors;
  IndexDict integers;

  /// The float member `key`: DtypeError if it is an integer array, IoError if there is none.
  const Tensor& tensor(const std::string& key) const;
  /// The integer member `key`: DtypeError if it is a float array, IoError if there is none.
  const IndexArray& integer(const std::string& key) const;
};

/// Reads an .npz written by numpy.savez / savez_compressed or by save_npz. float16/32/64, integer and
/// bool arrays are accepted (uint64, big-endian, complex and object arrays are not). A corrupt,
/// truncated or unsupported file throws IoError naming the file, the member and what was wrong.
NpzArrays load_npz_arrays(const std::string& path);

/// load_npz_arrays as float tensors only, for state dicts and checkpoints: integer arrays convert to
/// float32, and an integer that float32 cannot hold exactly (beyond 2^24) throws IoError naming it.
StateDict load_npz(const std::string& path);

/// load_npz on an archive already in memory; `name` stands for the file in error messages. The entry
/// point for fuzzing.
StateDict load_npz_bytes(std::string_view bytes, const std::string& name = "<memory>");

}  // namespace tg
