#pragma once
// Internal to save_npz: replacing a file crash-safely (a temporary file beside it, fsync, rename,
// fsync of the folder). Its errors are IoErrors that start with "save_npz:", its one user.
#include "autograd/io/bytes.hpp"

#include <cstdio>
#include <string>

namespace tg::detail::io {

/// Writes to a temporary file beside `path` and renames it over `path` only once it is on disk,
/// so a crash leaves either the old file or the new one, never half of one. The temporary file is
/// unnamed while it is written (O_TMPFILE), so a process killed mid-write leaves nothing behind; it
/// gets a name only for the rename. Filesystems without O_TMPFILE get a named one (mkstemp).
///
///     AtomicFile file(path);
///     file.write(bytes);
///     file.commit();  // without it, the destructor drops the temporary file and `path` stays as it was
class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const Bytes& bytes);
  /// Flushes and fsyncs the file, renames it over the path, and fsyncs the folder.
  void commit();

 private:
  void name_anonymous_file();
  void abandon();
  void remove_stale_temporaries() const;

  std::string path_, dir_, temp_;  // temp_ is empty while the file has no name
  std::FILE* file_ = nullptr;
  bool committed_ = false;
};

}  // namespace tg::detail::io
