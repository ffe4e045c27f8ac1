#pragma once
// The fuzz targets: every loader of data from outside tapegrad, fed raw bytes. Shared by the
// libFuzzer drivers (tests/fuzz/driver.cpp, built by scripts/fuzz.sh) and by the regression test
// (tests/fuzz/regression_test.cpp) that replays tests/data/fuzz/<target>/ in the normal suite.
//
// The contract under test: a loader returns normally or throws a tg::Error. Any other exception,
// a crash, a sanitizer report, a hang or a huge allocation is a bug.
#include <autograd/io/npz.hpp>
#include <datasets/datasets.hpp>
#include <tapegrad.hpp>

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

#include <sys/mman.h>
#include <unistd.h>

namespace tg::fuzz {

using Target = void (*)(std::string_view bytes);

/// `bytes` as a file in memory (memfd), named by a /proc/self/fd path, so that the loaders' own
/// file-reading code runs, without touching the disk.
class MemoryFile {
 public:
  explicit MemoryFile(std::string_view bytes) : fd_(::memfd_create("tapegrad-fuzz", MFD_CLOEXEC)) {
    if (fd_ < 0) throw std::runtime_error("memfd_create failed");
    for (std::size_t done = 0; done < bytes.size();) {
      const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      if (n <= 0) throw std::runtime_error("writing the memfd failed");
      done += static_cast<std::size_t>(n);
    }
  }
  ~MemoryFile() { ::close(fd_); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

/// .npz archives (numpy.savez, savez_compressed, save_npz): zip structure, deflate, .npy headers.
inline void npz(std::string_view bytes) { load_npz_bytes(bytes, "fuzz.npz"); }

/// A plain-text corpus file through TextCorpus::from_file. The first byte picks the tokenizer
/// (char or word level, and the normalizer), as different users would.
inline void text_corpus(std::string_view bytes) {
  if (bytes.empty()) return;
  const auto choice = static_cast<unsigned char>(bytes[0]);
  const data::Tokenizer tokenizer(choice & 1 ? data::TokenLevel::Word : data::TokenLevel::Char,
                                  static_cast<data::Normalizer>((choice >> 1) % 4));
  MemoryFile file(bytes.substr(1));
  data::TextCorpus::from_file(file.path(), tokenizer);
}

/// A tab-separated parallel corpus file (Tatoeba format) through ParallelCorpus::from_file.
inline void parallel_corpus(std::string_view bytes) {
  MemoryFile file(bytes);
  data::ParallelCorpus::from_file(file.path());
}

/// A vocabulary file (one escaped token a line) through Vocab::load; a loaded vocab must round-trip.
inline void vocab(std::string_view bytes) {
  MemoryFile file(bytes);
  const data::Vocab v = data::Vocab::load(file.path());
  for (std::size_t id = 0; id < v.size(); ++id)
    if (v[v.token(static_cast<Index>(id))] != static_cast<Index>(id))
      throw std::logic_error("Vocab::load: token " + std::to_string(id) + " does not map back to its id");
}

/// An ELMo options.json (AllenNLP's format) through elmo_options_from_json.
inline void elmo_options(std::string_view bytes) {
  MemoryFile file(bytes);
  nn::elmo_options_from_json(file.path());
}

/// An ELMo weights.hdf5 through the HDF5 loader, for the small biLM of tests/data/elmo/small_options.json
/// (a build without HDF5 throws IoError on every input, which the contract allows).
inline void elmo_weights(std::string_view bytes) {
  static const nn::ElmoOptions options = nn::elmo_options_from_json_text(R"({"lstm": {"use_skip_connections": true,
      "projection_dim": 6, "cell_clip": 1.5, "proj_clip": 0.6, "dim": 10, "n_layers": 2}, "char_cnn": {"activation": "relu",
      "filters": [[1, 4], [2, 6], [3, 6]], "n_highway": 2, "embedding": {"dim": 4}, "n_characters": 262,
      "max_characters_per_token": 50}})");
  nn::ElmoBiLm bilm(options);
  nn::load_allennlp_weights_bytes(bilm, bytes, "fuzz.hdf5");
}

/// Every target by name; the name is also the folder of its cases under tests/data/fuzz/.
///
///     tg::fuzz::targets().at("npz")(bytes);
inline const std::map<std::string, Target>& targets() {
  static const std::map<std::string, Target> all{
      {"npz", npz}, {"text_corpus", text_corpus}, {"parallel_corpus", parallel_corpus}, {"vocab", vocab},
      {"elmo_options", elmo_options}, {"elmo_weights", elmo_weights}};
  return all;
}

}  // namespace tg::fuzz
