// Crash-safe file replacement for save_npz (docs/reliability.md, "Crash-safe checkpoints").
#include "autograd/io/atomic_file.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

namespace tg::detail::io {

AtomicFile::AtomicFile(const std::string& path) : path_(path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  dir_ = dir.empty() ? "." : dir;
  remove_stale_temporaries();
  int fd = ::open(dir_.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
  if (fd < 0 && (errno == EISDIR || errno == EOPNOTSUPP || errno == EINVAL)) {
    std::string pattern = path + ".tmp.XXXXXX";
    fd = mkstemp(pattern.data());
    if (fd >= 0) temp_ = pattern;
  }
  if (fd < 0) fail<IoError>("save_npz: cannot create a temporary file beside '{}': {}", path, std::strerror(errno));
  file_ = fdopen(fd, "wb");
  if (!file_) {
    ::close(fd);
    abandon();
    fail<IoError>("save_npz: cannot open a temporary file beside '{}' for writing", path_);
  }
}

AtomicFile::~AtomicFile() {
  if (file_) std::fclose(file_);
  if (!committed_) abandon();
}

void AtomicFile::write(const Bytes& bytes) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size())
    fail<IoError>("save_npz: writing beside '{}' failed: {}", path_, std::strerror(errno));
}

void AtomicFile::commit() {
  if (std::fflush(file_) != 0 || fsync(fileno(file_)) != 0)
    fail<IoError>("save_npz: flushing the temporary file beside '{}' failed: {}", path_, std::strerror(errno));
  if (temp_.empty()) name_anonymous_file();
  const int status = std::fclose(file_);
  file_ = nullptr;
  if (status != 0) fail<IoError>("save_npz: closing '{}' failed: {}", temp_, std::strerror(errno));
  if (std::rename(temp_.c_str(), path_.c_str()) != 0)
    fail<IoError>("save_npz: renaming '{}' to '{}' failed: {}", temp_, path_, std::strerror(errno));
  committed_ = true;
  // Make the rename itself durable.
  const int dir_fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    fsync(dir_fd);
    ::close(dir_fd);
  }
}

/// Links the O_TMPFILE file into the folder under a fresh name (linkat cannot replace `path`).
void AtomicFile::name_anonymous_file() {
  const std::string proc = fmt::format("/proc/self/fd/{}", fileno(file_));
  for (int attempt = 0;; ++attempt) {
    temp_ = fmt::format("{}.tmp.{}.{}", path_, ::getpid(), attempt);
    if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, temp_.c_str(), AT_SYMLINK_FOLLOW) == 0) return;
    // EEXIST: a leftover of a killed process that had the same pid; take the next name.
    if (errno != EEXIST || attempt == 100) {
      const int error = errno;
      temp_.clear();
      fail<IoError>("save_npz: cannot name the temporary file beside '{}': {}", path_, std::strerror(error));
    }
  }
}

void AtomicFile::abandon() {
  if (!temp_.empty()) std::remove(temp_.c_str());
}

/// Removes `<path>.tmp.<pid>.<n>` files of writers that no longer run: a writer killed between
/// naming its file and renaming it leaves one; the next save of the same path cleans it up.
void AtomicFile::remove_stale_temporaries() const {
  const std::string prefix = std::filesystem::path(path_).filename().string() + ".tmp.";
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, error)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(prefix)) continue;
    const std::string rest = name.substr(prefix.size());
    const std::size_t dot = rest.find('.');
    if (dot == std::string::npos || dot == 0 || rest.find_first_not_of("0123456789.") != std::string::npos) continue;
    const long pid = std::strtol(rest.substr(0, dot).c_str(), nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) std::filesystem::remove(entry.path(), error);
  }
}

}  // namespace tg::detail::io
